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
//   - Intel XPU Manager's exporter (intel/xpumanager doc/Prometheus_Exported_Metrics.csv and its
//     Grafana dashboard): xpum_engine_ratio (GPU active time, per tile) or
//     xpum_engine_group_ratio{type="compute"}, memory xpum_memory_used_bytes / xpum_memory_ratio,
//     one accelerator per (node, pci_bdf, sub_dev tile).
// Google TPU: GKE publishes TPU duty cycle and memory to Cloud Monitoring
// (kubernetes.io/container/accelerator/duty_cycle), not to an in-cluster endpoint whose metric
// names could be confirmed upstream, so the probe knows none for TPUs.

import type { Sample } from './prometheus-text.js';

export interface MetricFamily {
  vendor: 'NVIDIA DCGM' | 'AMD device-metrics-exporter' | 'Intel XPU Manager';
  /** Every utilisation metric of the family (what is read). */
  utilisation: string[];
  /** The utilisation metrics that count for one accelerator (by its key). */
  utilisationFor(key: string): string[];
  memory: string[];
  /** One accelerator's identity in a sample of this family, or undefined when it names none. */
  key(sample: Sample): string | undefined;
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
    const { pci_bdf, sub_dev } = sample.labels;
    return pci_bdf ? `${host(sample.labels)}/${pci_bdf}${sub_dev ? `/tile${sub_dev}` : ''}` : undefined;
  },
};

export const FAMILIES = [DCGM, AMD, INTEL];

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
    (labels.pod === pod.name && labels.namespace === pod.namespace)
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

/** A PromQL selector for every utilisation and memory series of the known exporters. */
export const FAMILY_QUERY = `{__name__=~"${FAMILIES.flatMap((f) => [...f.utilisation, ...f.memory]).join('|')}|DCGM_FI_DEV_GPU_TEMP|DCGM_FI_DEV_MEMORY_TEMP|DCGM_FI_DEV_POWER_USAGE|DCGM_FI_DEV_NVLINK_.*|DCGM_FI_PROF_NVLINK_.*|DCGM_FI_PROF_PCIE_.*"}`;

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
    if (!wanted.some((n) => names.has(n))) missing.push(`utilisation (${wanted.join(' or ')})`);
    if (!cover.family.memory.some((n) => names.has(n))) missing.push(`memory (${cover.family.memory.join('/')})`);
    if (missing.length) out.push(`${key} lacks ${missing.join(' and ')}`);
  }
  return out;
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
