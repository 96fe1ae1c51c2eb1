// What counts as per-accelerator utilisation and memory in the exporters whose metric names are
// public, and how one accelerator is told from another in their series:
//   - NVIDIA dcgm-exporter: DCGM_FI_DEV_GPU_UTIL (%) or, where DCGM has no such counter (MIG
//     instances, and exporters configured for profiling fields), DCGM_FI_PROF_GR_ENGINE_ACTIVE
//     (ratio); memory DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE. A MIG instance's series carry
//     its parent's UUID plus GPU_I_PROFILE and GPU_I_ID, so the instance is (host, gpu, GPU_I_ID);
//   - AMD device-metrics-exporter (ROCm/device-metrics-exporter docs/configuration/metricslist.md,
//     GPU_GFX_ACTIVITY, GPU_USED_VRAM, … exported lower-case): gpu_gfx_activity (%), gpu_used_vram /
//     gpu_free_vram / gpu_total_vram (MB), one accelerator per gpu_uuid, else (hostname, gpu_id);
//     with its pod mapping it labels a device's series pod, namespace and container;
//   - Intel XPU Manager's exporter (intel/xpumanager doc/Prometheus_Exported_Metrics.csv @ 055045b;
//     rest/prometheus_exporter/prometheus_exporter_types.py @ 04ebef9, prometheus_exporter.py
//     @ 004009e): xpum_engine_ratio (GPU active time, 0-1: the exporter scales XPUM's % by 0.01)
//     or xpum_engine_group_ratio{type="compute"}, memory xpum_memory_used_bytes / xpum_memory_ratio.
//     Every device series carries uuid, dev_name, pci_bdf (and dev_file), node (NODE_NAME) and, for
//     a device a pod holds, kube_pod / kube_namespace / kube_container; tile series add sub_dev,
//     card aggregates carry card and no pci_bdf. One accelerator is (node, pci_bdf): the device the
//     GPU plugin hands out, whose device-level and tile series together must show both kinds;
//   - AWS Neuron Monitor (aws-neuron/aws-neuron-sdk tools/neuron-sys-tools/neuron-monitor-user-guide.rst
//     @ 1db4d74, neuron-monitor-prometheus.py): neuroncore_utilization_ratio (0-1) and
//     neuroncore_memory_usage_{constants,model_code,model_shared_scratchpad,runtime_memory,tensors}
//     (bytes), one series per NeuronCore labelled neuroncore plus the EC2 instance's instance_id,
//     instance_type, availability_zone, region, subnet_id; no pod labels. It exports them only while
//     a Neuron runtime is active: an idle node serves only neuron_hardware_info
//     (aws/amazon-cloudwatch-agent plugins/processors/awsneuron/README.md @ 37f3069);
//   - GKE's TPU device plugin (pods k8s-app=tpu-device-plugin in kube-system, /metrics on 2112:
//     llm-d/llm-d docs/operations/observability/tpu.md and guides/recipes/observability/tpu; the GKE
//     v6e sample in ray-project/ray#57829; Ray's reporter_agent.py parser): tensorcore_utilization
//     and duty_cycle (%), memory_used / memory_total (bytes), labelled make="cloud-tpu", model,
//     tpu_topology, accelerator_id ("<node id>-<chip>") and the pod, namespace and container of the
//     workload holding the chip. Per-chip series are the workload's: with none running only the
//     node-level *_node series are there; memory_used / memory_total are runtime metrics that some
//     TPU types omit.
// Intel Gaudi: docs.habana.ai (Prometheus Metric Exporter, metric-exporter 1.23.0, port 41611) names
// habanalabs_utilization and habanalabs_memory_used_bytes, but no public repository holds the
// exporter's Kubernetes manifest or says which label names a device, so the probe knows none.

import type { Sample } from './prometheus-text.js';

export interface MetricFamily {
  vendor: 'NVIDIA DCGM' | 'AMD device-metrics-exporter' | 'Intel XPU Manager' | 'AWS Neuron Monitor' | 'GKE TPU device plugin';
  /** Every utilisation metric of the family (what is read). */
  utilisation: string[];
  /** The utilisation metrics that count for one accelerator (by its key). */
  utilisationFor(key: string): string[];
  memory: string[];
  /** One accelerator's identity in a sample of this family, or undefined when it names none. */
  key(sample: Sample): string | undefined;
  /**
   * Series the exporter serves while no accelerator reports per-device series (nothing runs on
   * them), and why that is so: seen alone, the probe cannot check and says so.
   */
  idle?: { names: string[]; why: string };
  /** Where memory lacking from this exporter is published elsewhere: a person checks it there. */
  memoryElsewhere?: string;
  /** Label matchers the family's series need in a Prometheus query (names other exporters use too). */
  matchers?: string;
}

const host = (labels: Sample['labels']): string => labels.Hostname ?? labels.hostname ?? labels.node ?? labels.instance ?? '?';

export const DCGM: MetricFamily = {
  vendor: 'NVIDIA DCGM',
  utilisation: ['DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE'],
  // dcgm-exporter reports DCGM_FI_DEV_GPU_UTIL for every whole GPU (a default counter); DCGM has
  // no such counter for a MIG instance, whose utilisation is the profiling field.
  utilisationFor: (key) => (key.includes('/mig-') ? ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'DCGM_FI_DEV_GPU_UTIL'] : ['DCGM_FI_DEV_GPU_UTIL']),
  memory: ['DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE'],
  key(sample) {
    const { UUID, uuid, gpu, GPU_I_ID, GPU_I_PROFILE } = sample.labels;
    if (GPU_I_ID !== undefined) return `${host(sample.labels)}/gpu${gpu ?? '?'}/mig-${GPU_I_PROFILE ?? '?'}-${GPU_I_ID}`;
    if (UUID || uuid) return UUID ?? uuid;
    if (gpu !== undefined) return `${host(sample.labels)}/gpu${gpu}`;
    return undefined;
  },
};

export const AMD: MetricFamily = {
  vendor: 'AMD device-metrics-exporter',
  utilisation: ['gpu_gfx_activity'],
  utilisationFor: () => ['gpu_gfx_activity'],
  memory: ['gpu_used_vram', 'gpu_free_vram', 'gpu_total_vram'],
  key(sample) {
    const { gpu_id, gpu_uuid } = sample.labels;
    if (gpu_uuid) return gpu_uuid;
    return gpu_id !== undefined ? `${host(sample.labels)}/gpu${gpu_id}` : undefined;
  },
};

export const INTEL: MetricFamily = {
  vendor: 'Intel XPU Manager',
  utilisation: ['xpum_engine_ratio', 'xpum_engine_group_ratio'],
  utilisationFor: () => ['xpum_engine_ratio', 'xpum_engine_group_ratio'],
  memory: ['xpum_memory_used_bytes', 'xpum_memory_ratio'],
  key(sample) {
    const { pci_bdf } = sample.labels;
    return pci_bdf ? `${host(sample.labels)}/${pci_bdf}` : undefined;
  },
};

export const NEURON: MetricFamily = {
  vendor: 'AWS Neuron Monitor',
  utilisation: ['neuroncore_utilization_ratio'],
  utilisationFor: () => ['neuroncore_utilization_ratio'],
  memory: [
    'neuroncore_memory_usage_tensors',
    'neuroncore_memory_usage_constants',
    'neuroncore_memory_usage_model_code',
    'neuroncore_memory_usage_model_shared_scratchpad',
    'neuroncore_memory_usage_runtime_memory',
  ],
  key(sample) {
    const { neuroncore, instance_id } = sample.labels;
    return neuroncore === undefined ? undefined : `${instance_id ?? host(sample.labels)}/nc${neuroncore}`;
  },
  idle: {
    names: ['neuron_hardware_info'],
    why: 'neuron-monitor exports per-NeuronCore utilisation and memory only while a Neuron runtime is active, and serves only neuron_hardware_info on an idle node',
  },
};

export const TPU: MetricFamily = {
  vendor: 'GKE TPU device plugin',
  utilisation: ['tensorcore_utilization', 'duty_cycle'],
  utilisationFor: () => ['tensorcore_utilization', 'duty_cycle'],
  memory: ['memory_used', 'memory_total'],
  // Generic names: only the device plugin's TPU series count.
  key: (sample) => (sample.labels.make === 'cloud-tpu' ? sample.labels.accelerator_id : undefined),
  idle: {
    names: ['tensorcore_utilization_node', 'duty_cycle_node', 'memory_bandwidth_utilization_node'],
    why: "GKE's TPU device plugin reports per-chip series for the workload that holds a chip, and only node-level *_node series while no TPU workload runs",
  },
  memoryElsewhere:
    "memory_used / memory_total are TPU runtime metrics that some TPU types omit from the device plugin's endpoint; GKE publishes kubernetes.io/container/accelerator/memory_used and memory_total to Cloud Monitoring: check there that every chip reports memory",
  matchers: 'make="cloud-tpu"',
};

export const FAMILIES = [DCGM, AMD, INTEL, NEURON, TPU];

/** Every utilisation metric of the known exporters. */
export const UTILISATION_NAMES = FAMILIES.flatMap((f) => f.utilisation);
/** Utilisation metrics that are ratios (0-1) rather than percentages. */
const RATIO = /^DCGM_FI_PROF_GR_ENGINE_ACTIVE$|_ratio$/;

/** One utilisation sample as a reader sees it: "GPU-…=97% (DCGM_FI_DEV_GPU_UTIL)". */
export function describeUtilisation(sample: Sample): string {
  const key = FAMILIES.map((f) => f.key(sample)).find((k) => k !== undefined) ?? '?';
  const percent = RATIO.test(sample.name) ? sample.value * 100 : sample.value;
  return `${key}=${percent.toFixed(0)}% (${sample.name})`;
}

/** The pod a device's series is attributed to: the exporter's own labels, renamed exported_* where Prometheus kept the target's. */
function attributed(sample: Sample, pod: { name: string; namespace: string }): boolean {
  const { labels } = sample;
  return (
    (labels.exported_pod === pod.name && labels.exported_namespace === pod.namespace) ||
    (labels.pod === pod.name && labels.namespace === pod.namespace) ||
    // Intel XPU Manager's names for them.
    (labels.kube_pod === pod.name && labels.kube_namespace === pod.namespace)
  );
}

export interface PodUtilisation {
  /** How the pod's device was found in the series. */
  by: 'its pod labels' | 'its device UUID' | 'its parent GPU UUID and MIG profile';
  samples: Sample[];
}

/** A MIG instance as the pod saw it: its own UUID, its parent GPU's and its profile (nvidia-smi -L). */
export interface PodMig {
  uuid: string;
  parent: string;
  profile: string;
}

/** The pod's MIG instance matches more than one instance's series: which one it is cannot be told. */
export interface AmbiguousMig {
  ambiguous: string;
}

/**
 * The utilisation series of the device a pod holds: those the exporter attributes to the pod,
 * else (exporters without the kubelet pod mapping) those of the device UUIDs the pod saw, else,
 * for a MIG instance (dcgm-exporter labels its series with the parent GPU's UUID, GPU_I_PROFILE
 * and GPU_I_ID, never the MIG- UUID the pod sees), those of the one instance of the pod's profile
 * on its parent GPU; when the parent has several instances of that profile, which is the pod's
 * cannot be told, and that is said rather than one picked.
 */
export function podUtilisation(
  samples: Sample[],
  pod: { name: string; namespace: string; uuids: string[]; migs?: PodMig[] },
): PodUtilisation | AmbiguousMig | undefined {
  const utilisation = samples.filter((sample) => UTILISATION_NAMES.includes(sample.name));
  const byPod = utilisation.filter((sample) => attributed(sample, pod));
  if (byPod.length > 0) return { by: 'its pod labels', samples: byPod };
  const uuid = (sample: Sample): string | undefined => sample.labels.UUID ?? sample.labels.uuid ?? sample.labels.gpu_uuid;
  const byUuid = utilisation.filter((sample) => pod.uuids.includes(uuid(sample) ?? ''));
  if (byUuid.length > 0) return { by: 'its device UUID', samples: byUuid };
  const found: Sample[] = [];
  for (const mig of pod.migs ?? []) {
    const same = utilisation.filter((sample) => uuid(sample) === mig.parent && sample.labels.GPU_I_PROFILE === mig.profile);
    const instances = [...new Set(same.map((sample) => sample.labels.GPU_I_ID ?? '?'))].sort();
    if (instances.length > 1) {
      return {
        ambiguous: `MIG instance ${mig.uuid} (profile ${mig.profile}) is one of ${instances.length} ${mig.profile} instances of GPU ${mig.parent} in the series (GPU_I_ID ${instances.join(', ')}), and the series name no pod`,
      };
    }
    found.push(...same);
  }
  return found.length > 0 ? { by: 'its parent GPU UUID and MIG profile', samples: found } : undefined;
}

const OPTIONAL_DCGM =
  'DCGM_FI_DEV_GPU_TEMP|DCGM_FI_DEV_MEMORY_TEMP|DCGM_FI_DEV_POWER_USAGE|DCGM_FI_DEV_NVLINK_.*|DCGM_FI_PROF_NVLINK_.*|DCGM_FI_PROF_PCIE_.*';
const namesOf = (f: MetricFamily): string[] => [...f.utilisation, ...f.memory];
const idleOf = (f: MetricFamily): string[] => f.idle?.names ?? [];

/**
 * PromQL selectors for every utilisation and memory series of the known exporters (and the series
 * an idle exporter serves): one for the distinctive names, one per family whose names other
 * exporters use too, narrowed by its labels. A fixed handful of queries, whatever the fleet.
 */
export const FAMILY_QUERIES = [
  `{__name__=~"${[...FAMILIES.filter((f) => !f.matchers).flatMap(namesOf), ...FAMILIES.flatMap(idleOf)].join('|')}|${OPTIONAL_DCGM}"}`,
  ...FAMILIES.filter((f) => f.matchers).map((f) => `{__name__=~"${namesOf(f).join('|')}",${f.matchers}}`),
];

export interface Coverage {
  family: MetricFamily;
  /** Accelerator key -> the utilisation and memory names it reports. */
  accelerators: Map<string, Set<string>>;
}

/** The accelerators each known exporter family reports, and which of its metrics each has. */
export function coverage(samples: Sample[]): Coverage[] {
  const out: Coverage[] = [];
  for (const family of FAMILIES) {
    const names = new Set([...family.utilisation, ...family.memory]);
    const accelerators = new Map<string, Set<string>>();
    for (const sample of samples) {
      if (!names.has(sample.name)) continue;
      const key = family.key(sample);
      if (!key) continue;
      const seen = accelerators.get(key) ?? new Set<string>();
      seen.add(sample.name);
      accelerators.set(key, seen);
    }
    if (accelerators.size > 0) out.push({ family, accelerators });
  }
  return out;
}

/** "GPU-… lacks utilisation (DCGM_FI_DEV_GPU_UTIL)" for each accelerator missing a kind. */
export function lacking(cover: Coverage): string[] {
  const out: string[] = [];
  for (const [key, names] of cover.accelerators) {
    const missing: string[] = [];
    const wanted = cover.family.utilisationFor(key);
    const noUtilisation = !wanted.some((n) => names.has(n));
    const noMemory = !cover.family.memory.some((n) => names.has(n));
    if (noUtilisation) missing.push(`utilisation (${wanted.join(' or ')})`);
    // Memory published elsewhere is a person's to check (memoryElsewhere below), not a failure.
    if (noMemory && (noUtilisation || !cover.family.memoryElsewhere)) missing.push(`memory (${cover.family.memory.join('/')})`);
    if (missing.length) out.push(`${key} lacks ${missing.join(' and ')}`);
  }
  return out;
}

/** The accelerators that report utilisation but no memory, where the family publishes memory elsewhere. */
export function memoryElsewhere(cover: Coverage): string[] {
  if (!cover.family.memoryElsewhere) return [];
  return [...cover.accelerators].filter(([, names]) => !cover.family.memory.some((n) => names.has(n))).map(([key]) => key);
}

export interface IdleExporter {
  family: MetricFamily;
  /** The idle series seen. */
  seen: string[];
}

/** Families whose exporter serves only its idle series: no accelerator of theirs to judge yet. */
export function idleExporters(samples: Sample[], covered: Coverage[]): IdleExporter[] {
  const names = new Set(samples.map((sample) => sample.name));
  return FAMILIES.filter((f) => f.idle && !covered.some((c) => c.family === f)).flatMap((family) => {
    const seen = (family.idle?.names ?? []).filter((n) => names.has(n));
    return seen.length ? [{ family, seen }] : [];
  });
}

/** "key=V%" for the first few accelerators, from the first utilisation metric each reports. */
export function utilisationSummary(cover: Coverage, samples: Sample[], limit = 8): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  for (const sample of samples) {
    const key = cover.family.key(sample);
    if (!key || done.has(key) || !cover.family.utilisationFor(key).includes(sample.name)) continue;
    done.add(key);
    const ratio = RATIO.test(sample.name);
    out.push(`${key}=${ratio ? `${(sample.value * 100).toFixed(0)}% (${sample.name})` : `${sample.value}%`}`);
    if (out.length >= limit) break;
  }
  return out;
}
