// accelerator_metrics (MUST): the platform exposes per-accelerator metrics — at least utilisation
// and memory — through a standard endpoint.
//
// Test plan:
//  1. Find the metrics endpoint: --accelerator-metrics-url, else an exporter Service (NVIDIA DCGM
//     exporter, AMD device-metrics-exporter, Intel XPU Manager): every exporter pod behind it (one
//     per accelerator node) read through the API server's pod proxy, or the Service itself where
//     it has no pods to list; else the pods of exporters that ship without a Service (AWS Neuron
//     Monitor, GKE's TPU device plugin), each read through the pod proxy; else, or when the API
//     server cannot reach the exporter, the known exporters' series in the cluster's Prometheus.
//  2. Every accelerator reported has utilisation and memory (lib/accelerator-metrics.ts): a whole
//     GPU DCGM_FI_DEV_GPU_UTIL, a MIG instance (parent UUID + GPU_I_ID) the profiling field
//     DCGM_FI_PROF_GR_ENGINE_ACTIVE, framebuffer memory DCGM_FI_DEV_FB_USED / _FREE; AMD
//     gpu_gfx_activity and gpu_used_vram / gpu_free_vram; Intel xpum_engine_ratio and
//     xpum_memory_used_bytes per PCI device; Neuron neuroncore_utilization_ratio and
//     neuroncore_memory_usage_* per NeuronCore; TPU tensorcore_utilization / duty_cycle and
//     memory_used / memory_total per chip. Not checked, and said so (manual), where the exporter
//     only serves its idle series (Neuron without an active runtime, TPU without a workload), where
//     TPU chips report no memory in-cluster (GKE publishes it to Cloud Monitoring), and for vendors
//     whose exporter names could not be confirmed upstream (Intel Gaudi).
//  3. Temperature, power and interconnect series are reported when present (not required).
//  4. A short workload loads one accelerator (asked for as the profile says: a device-plugin
//     resource or a DRA claim) with the vendor's load generator (lib/accelerator-load.ts), and the
//     utilisation of that pod's device, found by the exporter's pod labels, by the device's UUID,
//     or (MIG) by its parent GPU's UUID and MIG profile where that names one instance, must rise
//     above zero before the deadline (polled: a scrape, not an object, changes). The metrics are
//     judged only once the generator's log (read in bounded requests) shows it loading; a load
//     pod that fails, a generator that refuses (CUDA version, root, no device) or never starts,
//     and a MIG instance the series cannot tell apart are errors of the check, with the log's
//     last lines and what to do. Not checked, and said so, where the accelerators are simulated,
//     the vendor has no known load generator, or accelerator-metrics.skip-load is set.

import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { ALL_NAMESPACES } from '../kube/types.js';
import { CheckFailure, NotChecked, defineProbe, type ProbeContext } from './types.js';
import { duration, flag, seconds } from './options.js';
import { parsePrometheusText, type Sample } from './lib/prometheus-text.js';
import { detectPrometheus, httpGet, promQuery, type HttpEndpoint, type PromVectorSample } from './lib/prometheus-api.js';
import {
  coverage,
  describeUtilisation,
  FAMILY_QUERIES,
  idleExporters,
  lacking,
  memoryElsewhere,
  podUtilisation,
  type PodMig,
  UTILISATION_NAMES,
  utilisationSummary,
} from './lib/accelerator-metrics.js';
import {
  LOAD_CONTAINER,
  loadProgress,
  logTail,
  migSeen,
  NVIDIA_LOAD_DEFAULT,
  NVIDIA_LOAD_IMAGE,
  nvidiaLoadPod,
  whyNoLoad,
} from './lib/accelerator-load.js';
import { prepareAcceleratorRequest } from './lib/accelerator.js';
import { identities, parseSeen } from './lib/device-identity.js';
import { waitForPod } from './lib/probe-pod.js';
import { seconds as inSeconds, untilAnswered } from './lib/probe-timing.js';
import { PodProblem, unschedulableFails } from './lib/verdicts.js';
import { apiErrorOf } from './lib/api-error.js';
import { reportMonitoringFacts, reportPods } from './lib/platform-facts.js';

export const UTIL = 'DCGM_FI_DEV_GPU_UTIL';
export const FB_USED = 'DCGM_FI_DEV_FB_USED';
export const FB_FREE = 'DCGM_FI_DEV_FB_FREE';
const OPTIONAL_FAMILIES: Record<string, RegExp> = {
  temperature: /^DCGM_FI_DEV_(GPU|MEMORY)_TEMP$/,
  power: /^DCGM_FI_DEV_POWER_USAGE$|^DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION$/,
  interconnect: /^DCGM_FI_(DEV|PROF)_(NVLINK|PCIE)_/,
};
const LOAD_POD = 'accelerator-load';

export const acceleratorMetricsProbe = defineProbe({
  id: 'accelerator_metrics',
  // One accelerator, for the load, beside the other sharers.
  shares: ['accelerators'],
  timeoutMs: 10 * 60_000,
  options: {
    'accelerator-metrics.load-seconds': seconds(120, 'how long the load generator keeps the accelerator busy', 600),
    'accelerator-metrics.pod-ms': duration(300_000, 'how long the load pod may take to start (its image is large)'),
    'accelerator-metrics.load-wait-ms': duration(
      150_000,
      "how long the loaded accelerator's utilisation may take to rise in the metrics (exporter and scrape intervals)",
    ),
    'accelerator-metrics.load-privileged': flag(
      false,
      "run the load container as root with CAP_SYS_ADMIN, as NVIDIA's examples run dcgmproftester (DCGM refuses non-root users on GPUs in MIG mode); the probe namespace is then labelled for the privileged Pod Security level",
    ),
    'accelerator-metrics.skip-load': flag(false, 'leave out the load check (reported as not checked, never passed)'),
  },
  // The privileged load container needs a namespace that admits it.
  podSecurity(ctx) {
    return ctx.option('accelerator-metrics.load-privileged') ? 'privileged' : undefined;
  },
  images: { [NVIDIA_LOAD_IMAGE]: NVIDIA_LOAD_DEFAULT },
  async run(ctx) {
    const source = await ctx.step('an accelerator metrics endpoint is found and serves metrics', async () => {
      const found = await findMetrics(ctx);
      const known = coverage(found.samples)
        .map((c) => `${c.family.vendor} series for ${c.accelerators.size} accelerator(s)`)
        .join(', ');
      return { seen: `${found.description}: ${found.samples.length} samples${known ? `, ${known}` : ''}`, value: found };
    });
    const samples = source.samples;

    const reported = await ctx.check('every accelerator reports utilisation and memory', async () => {
      const covered = coverage(samples);
      if (covered.length === 0) {
        const idle = idleExporters(samples, covered);
        if (idle.length) {
          ctx.manual(
            `${idle.map((i) => `${i.family.vendor}: ${i.family.idle?.why ?? ''} (${source.description} serves ${i.seen.join(', ')})`).join('; ')}. ` +
              'Run again while a workload uses the accelerators, or check by hand that each reports utilisation and memory',
          );
        }
        throw new CheckFailure(
          `no per-accelerator utilisation or memory sample of a known exporter (${UTIL}, ${FB_USED}, gpu_gfx_activity, xpum_engine_ratio, neuroncore_utilization_ratio, tensorcore_utilization, …) in ${source.description}`,
        );
      }
      const missing = covered.flatMap(lacking);
      if (missing.length) throw new CheckFailure(missing.join('; '));
      const elsewhere = covered.flatMap((c) => {
        const keys = memoryElsewhere(c);
        return keys.length
          ? [
              `${c.family.vendor}: ${keys.length} accelerator(s) report utilisation but no memory (${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}); ${c.family.memoryElsewhere ?? ''}`,
            ]
          : [];
      });
      if (elsewhere.length) ctx.manual(elsewhere.join('; '));
      return covered
        .map(
          (c) =>
            `${c.accelerators.size} accelerator(s) report utilisation and memory (${c.family.vendor}): ${utilisationSummary(c, samples).join(', ')}`,
        )
        .join('; ');
    });

    const names = new Set(samples.map((sample) => sample.name));
    for (const [what, pattern] of Object.entries(OPTIONAL_FAMILIES)) {
      const present = [...names].filter((name) => pattern.test(name));
      ctx.observe(present.length ? `${what}: ${present.join(', ')}` : `${what}: not reported`);
    }

    await ctx.check('an accelerator under load shows its utilisation rising in the metrics', async () => {
      const why = ctx.option('accelerator-metrics.skip-load')
        ? 'left out with --probe-option accelerator-metrics.skip-load=true'
        : !reported
          ? 'the accelerators do not all report utilisation (above), so a rise could not be told from a missing series'
          : ctx.options.acceleratorMetricsUrl
            ? 'the endpoint given with --accelerator-metrics-url need not cover the node the load would run on; run without it to check'
            : ctx.profile.available === false
              ? `no accelerator on this cluster to load (${ctx.profile.detail})`
              : whyNoLoad(ctx.profile);
      if (why) throw new NotChecked(why);
      const privileged = ctx.option('accelerator-metrics.load-privileged');
      // Every outcome says how the load ran when it ran with more than the restricted profile.
      const how = privileged
        ? ' [privileged load: the load container is run as root with CAP_SYS_ADMIN (accelerator-metrics.load-privileged=true)]'
        : '';
      try {
        const asked = await prepareAcceleratorRequest(ctx, 'accelerator-metrics-load');
        const loadSeconds = ctx.option('accelerator-metrics.load-seconds');
        await ctx.kube.create(nvidiaLoadPod(ctx, LOAD_POD, asked, loadSeconds, privileged));
        const running = await waitForPod(ctx, LOAD_POD, 'running', ctx.option('accelerator-metrics.pod-ms'))
          .catch(unschedulableFails)
          .catch((error: unknown) => loadPodProblem(ctx, error));
        const node = running.spec?.nodeName ?? '?';
        const shown = await utilisationUnderLoad(ctx, source, node, ctx.option('accelerator-metrics.load-wait-ms'), privileged);
        return `pod ${ctx.namespace}/${LOAD_POD} (${asked.asking}, dcgmproftester for ${loadSeconds}s on node ${node}${privileged ? ', as root with CAP_SYS_ADMIN by accelerator-metrics.load-privileged=true' : ''}): ${shown}`;
      } catch (error) {
        if (how && error instanceof Error && !error.message.includes(how)) error.message += how;
        throw error;
      }
    });
  },
});

/** A pod that failed or cannot start is our tooling's problem, never the platform's: an error saying why. */
async function loadPodProblem(ctx: ProbeContext, error: unknown): Promise<never> {
  if (error instanceof PodProblem && error.kind === 'failed') throw await loadError(ctx, error.message);
  if (error instanceof PodProblem && error.kind === 'cannot-start') {
    throw new Error(
      `${error.message}; the load image is ${ctx.images.resolve(NVIDIA_LOAD_IMAGE)}: give a reachable copy with --image ${NVIDIA_LOAD_IMAGE}=REF`,
    );
  }
  throw error;
}

/** Reads at most this much of the load container's log per request. */
const LOG_BYTES = 64 * 1024;
/** The lines of the log's end read while waiting for the generator (it prints one a second). */
const LOG_TAIL = 40;

/**
 * The error for a load that did not happen: what the generator said (a refusal it prints), the
 * last lines of its log and what to do.
 */
async function loadError(ctx: ProbeContext, what: string): Promise<Error> {
  const log = await ctx.kube
    .podLogs(ctx.namespace, LOAD_POD, LOAD_CONTAINER, { tailLines: LOG_TAIL, limitBytes: LOG_BYTES })
    .catch((error: unknown) => `(its log could not be read: ${apiErrorOf(error).message})`);
  const progress = loadProgress(log);
  const tail = logTail(log) || '(empty)';
  if (progress.state === 'refused') {
    return new Error(
      `the load generator could not load the accelerator: ${progress.why} (${what}); last lines of its log: ${tail}; to do: ${progress.hint}`,
    );
  }
  return new Error(
    `the load generator could not load the accelerator (${what}); last lines of its log: ${tail}; to do: check that the load image ${ctx.images.resolve(NVIDIA_LOAD_IMAGE)} runs CUDA on this node (the lines above are its own), or give another with --image ${NVIDIA_LOAD_IMAGE}=REF`,
  );
}

/**
 * What the poll ends with: the rise, a load that is not happening, a MIG instance the series
 * cannot tell apart, or a privileged container that was given more than one device.
 */
type LoadAnswer = { shown: string } | { notLoading: string } | { ambiguous: string } | { unconfined: string };

/**
 * Polls until the load pod's device shows utilisation above zero: found by the exporter's pod
 * labels, else by the UUID the pod printed, else (MIG) by the parent GPU and profile it printed.
 * The metrics are judged only once the generator's log shows it loading. Fails at the deadline
 * saying what it saw; an error when the generator never loaded.
 */
async function utilisationUnderLoad(
  ctx: ProbeContext,
  source: MetricSource,
  node: string,
  deadlineMs: number,
  privileged: boolean,
): Promise<string> {
  const pod = { name: LOAD_POD, namespace: ctx.namespace };
  const last: { seen?: string; loading?: string; uuids?: string[]; migs?: PodMig[] } = {};
  const answer = await untilAnswered<LoadAnswer>(
    ctx,
    async () => {
      const current = await ctx.kube.get<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: LOAD_POD });
      if (current?.status?.phase === 'Failed') return { notLoading: `pod ${LOAD_POD} failed${exitOf(current)}` };
      if (last.uuids === undefined) {
        // The device lines come first: read the log's start once.
        const head = await ctx.kube.podLogs(ctx.namespace, LOAD_POD, LOAD_CONTAINER, { limitBytes: 16 * 1024 });
        const seen = parseSeen(head, `container ${LOAD_CONTAINER} of pod ${LOAD_POD}`);
        last.uuids = identities(seen);
        last.migs = migSeen(head);
        if (privileged && last.uuids.length > 1) {
          return {
            unconfined: `the privileged load container saw ${last.uuids.length} accelerators (${last.uuids.join(', ')}), not the one it asked for: NVIDIA's container toolkit treats CAP_SYS_ADMIN as privileged and then honours the image's NVIDIA_VISIBLE_DEVICES=all, so the load is not confined to one device and its metrics say nothing about one; to do: run without accelerator-metrics.load-privileged, or have the device plugin pass its devices by CDI or volume mounts rather than by that variable`,
          };
        }
      }
      if (last.loading === undefined) {
        const progress = loadProgress(
          await ctx.kube.podLogs(ctx.namespace, LOAD_POD, LOAD_CONTAINER, { tailLines: LOG_TAIL, limitBytes: LOG_BYTES }),
        );
        if (progress.state === 'refused') return { notLoading: progress.why };
        if (progress.state === 'starting') {
          return current?.status?.phase === 'Succeeded' ? { notLoading: `pod ${LOAD_POD} ended without loading` } : undefined;
        }
        last.loading = progress.line;
      }
      const found = podUtilisation(await source.again({ ...pod, node, uuids: last.uuids }), { ...pod, uuids: last.uuids, migs: last.migs });
      if (!found) return undefined;
      if ('ambiguous' in found) return { ambiguous: found.ambiguous };
      last.seen = `${found.samples.map(describeUtilisation).join(', ')} (found by ${found.by})`;
      const busy = found.samples.filter((sample) => sample.value > 0);
      return busy.length > 0
        ? {
            shown: `${busy.map(describeUtilisation).join(', ')}, found by ${found.by}; the generator was loading ("${logTail(last.loading, 1)}")`,
          }
        : undefined;
    },
    { description: `utilisation of pod ${LOAD_POD}'s accelerator`, deadlineMs },
  );
  if (answer.value && 'shown' in answer.value) return answer.value.shown;
  if (answer.value && 'notLoading' in answer.value) throw await loadError(ctx, answer.value.notLoading);
  if (answer.value && 'unconfined' in answer.value) throw new Error(answer.value.unconfined);
  if (answer.value && 'ambiguous' in answer.value) {
    throw new Error(
      `the loaded accelerator cannot be told apart in ${source.description}: ${answer.value.ambiguous}; to do: enable the exporter's Kubernetes pod mapping (dcgm-exporter DCGM_EXPORTER_KUBERNETES=true, the GPU Operator's default), which labels the instance's series with the pod`,
    );
  }
  const lastError = answer.lastError === undefined ? '' : ` (last read: ${apiErrorOf(answer.lastError).message})`;
  // Until the generator is seen loading, nothing can be concluded about the platform's metrics.
  if (last.loading === undefined) throw await loadError(ctx, `it showed no load in ${inSeconds(deadlineMs)}${lastError}`);
  if (last.seen === undefined) {
    throw new CheckFailure(
      `in ${inSeconds(deadlineMs)} of load no utilisation series in ${source.description} belonged to the loaded accelerator: none labelled pod ${pod.namespace}/${pod.name}, none with the UUID the pod saw${last.migs?.length ? ', none of its MIG profile on its parent GPU' : ''}${lastError}`,
    );
  }
  throw new CheckFailure(
    `the loaded accelerator's utilisation stayed 0 for ${inSeconds(deadlineMs)} in ${source.description} while the generator was loading ("${logTail(last.loading, 1)}"): ${last.seen}${lastError}`,
  );
}

/** ": load exited 249 (Error)" for a failed pod's containers. */
function exitOf(pod: V1Pod): string {
  const exits = (pod.status?.containerStatuses ?? []).flatMap((status) => {
    const terminated = status.state?.terminated;
    return terminated ? [`${status.name} exited ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`] : [];
  });
  return exits.length ? `: ${exits.join(', ')}` : '';
}

/**
 * Exporter Services, by the labels their installers give them, with the port names they use:
 * NVIDIA's GPU Operator / fake-gpu-operator and the dcgm-exporter chart (9400); AMD's GPU
 * Operator and the device-metrics-exporter chart (ROCm/device-metrics-exporter
 * docs/installation/kubernetes-helm.md: app.kubernetes.io/name=metrics-exporter, port 5000);
 * Intel XPU Manager (intel/xpumanager deployment/kubernetes/monitoring/service-intel-xpum.yaml
 * @ 17a4d42: app=intel-xpumanager, port metrics 29999, before the DaemonSet's pods of the same label
 * in deployment/kubernetes/daemonset/base/daemonset-intel-xpum.yaml).
 */
const EXPORTERS = [
  { what: 'DCGM exporter', selector: 'app=nvidia-dcgm-exporter', port: 9400 },
  { what: 'DCGM exporter', selector: 'app.kubernetes.io/name=dcgm-exporter', port: 9400 },
  { what: 'AMD device-metrics-exporter', selector: 'app.kubernetes.io/name=metrics-exporter', port: 5000 },
  { what: 'Intel XPU Manager exporter', selector: 'app=intel-xpumanager', port: 29999 },
];
const EXPORTER_PORT_NAMES = ['gpu-metrics', 'metrics', 'http-metrics'];

/**
 * Exporters installed without a Service, found by their pods' labels and read on their container
 * port: AWS Neuron Monitor as aws-neuron/neuron-helm-charts installs it (templates/_helpers.tpl
 * @ 5c70d9d: app.kubernetes.io/name=<chart name>-exporter, the chart being neuron-helm-chart;
 * values.yaml monitor.exporter.port 8000) and as the Neuron SDK's manifest does
 * (aws-neuron/aws-neuron-sdk src/k8/k8s-neuron-monitor-daemonset.yml @ 215b421: app=neuron-monitor
 * in namespace neuron-monitor, containerPort 8000); GKE's TPU device plugin, whose pods
 * (k8s-app=tpu-device-plugin, kube-system) serve /metrics on 2112 (llm-d/llm-d
 * guides/recipes/observability/tpu; GKE's autoscaling-tpu guide). One label-selected page each.
 */
const POD_EXPORTERS = [
  { what: 'AWS Neuron Monitor', selector: 'app.kubernetes.io/name=neuron-helm-chart-exporter', port: 8000 },
  { what: 'AWS Neuron Monitor', selector: 'app=neuron-monitor', port: 8000 },
  { what: 'GKE TPU device plugin', selector: 'k8s-app=tpu-device-plugin', port: 2112, namespace: 'kube-system' },
];

/** Which of the load pod's series to read again (one exporter, one pod's or one device's series). */
interface LoadTarget {
  name: string;
  namespace: string;
  node: string;
  uuids: string[];
}

interface MetricSource {
  description: string;
  samples: Sample[];
  /** The series now, of the exporter or query that can hold the target's device. */
  again(target: LoadTarget): Promise<Sample[]>;
}

interface Exporter {
  /** "DCGM exporter", "AMD device-metrics-exporter"… */
  what: string;
  /** The Service, where the exporter has one (read when it has no pods to list). */
  endpoint?: HttpEndpoint;
  /** Where its pods are: the Service's namespace, or every namespace. */
  namespace: string;
  selector: Record<string, string>;
  /** The Service port's target port, or the exporter's container port (pods are read on it). */
  targetPort: string | number;
  /** "DCGM exporter Service gpu-operator/nvidia-dcgm-exporter:gpu-metrics", "AWS Neuron Monitor pods app=neuron-monitor". */
  description: string;
}

/** At most this many exporter pods are read one by one; Prometheus covers larger fleets in one query. */
const EXPORTER_PODS = 50;

async function exporterService(ctx: ProbeContext): Promise<Exporter | undefined> {
  for (const { what, selector: labelSelector, port: usual } of EXPORTERS) {
    const services = await ctx.kube.listPage<V1Service>(
      { apiVersion: 'v1', kind: 'Service', namespace: ALL_NAMESPACES },
      { labelSelector, limit: 20 },
    );
    for (const service of services.items) {
      const ports = service.spec?.ports ?? [];
      const port = ports.find((p) => p.name && EXPORTER_PORT_NAMES.includes(p.name)) ?? ports.find((p) => p.port === usual) ?? ports.at(0);
      const { namespace, name } = service.metadata ?? {};
      if (port && namespace && name) {
        const portRef = port.name ?? port.port;
        return {
          what,
          endpoint: {
            kind: 'service',
            namespace,
            service: name,
            port: portRef,
            description: `${what} Service ${namespace}/${name}:${portRef}`,
          },
          namespace,
          selector: service.spec?.selector ?? {},
          targetPort: port.targetPort ?? port.port,
          description: `${what} Service ${namespace}/${name}:${portRef}`,
        };
      }
    }
  }
  return undefined;
}

async function scrapeSamples(ctx: ProbeContext, endpoint: HttpEndpoint, path: string): Promise<Sample[]> {
  const exposition = parsePrometheusText(await httpGet(ctx, endpoint, path));
  if (exposition.samples.length === 0) throw new CheckFailure(`${endpoint.description} served no samples`);
  if (exposition.errors.length) ctx.observe(`${exposition.errors.length} unparsable lines, first: ${exposition.errors[0]}`);
  return exposition.samples;
}

/** One endpoint read whole, the first time and again. */
async function scrape(ctx: ProbeContext, endpoint: HttpEndpoint, path: string): Promise<MetricSource> {
  return {
    description: endpoint.description,
    samples: await scrapeSamples(ctx, endpoint, path),
    again: () => scrapeSamples(ctx, endpoint, path),
  };
}

/** Vendors whose exporters the probe finds and whose metric names it knows. */
function knownNames(profile: ProbeContext['profile']): boolean {
  if (['nvidia', 'nvidia-dra', 'example'].includes(profile.name)) return true;
  const name = profile.resourceName ?? profile.driver ?? profile.deviceClassName ?? '';
  return /nvidia\.com|amd\.com|intel\.com|google\.com\/tpu|tpu\.google\.com|aws\.amazon\.com\/neuron/.test(name);
}

/** What is known of the exporters of vendors whose names the probe does not read, and why. */
const UNKNOWN_VENDORS: { pattern: RegExp; why: string }[] = [
  {
    pattern: /habana\.ai/,
    why:
      "Intel Gaudi's metric exporter names its series (habanalabs_utilization, habanalabs_memory_used_bytes, habanalabs_memory_total_bytes on port 41611: docs.habana.ai Prometheus Metric Exporter) " +
      'but no public repository holds its Kubernetes manifest or says which label names a device, so the probe can neither find it nor tell one Gaudi from another',
  },
  {
    pattern: /neuron\.aws\.com/,
    why: "AWS's Neuron DRA driver (neuron.aws.com) is not supported by Neuron Monitor (aws-neuron-sdk containers/tutorials/k8s-neuron-monitor), the exporter whose names the probe reads",
  },
];

/**
 * The probe knows the NVIDIA, AMD, Intel XPU, AWS Neuron and GKE TPU exporters: finding none on
 * another vendor's accelerators (Gaudi…) says nothing about the cluster, so a person must point
 * the probe at the endpoint or attest it.
 */
function unknownMetricNames(ctx: ProbeContext, nothing: string): void {
  if (knownNames(ctx.profile)) return;
  const name = ctx.profile.resourceName ?? ctx.profile.driver ?? ctx.profile.deviceClassName ?? ctx.profile.name;
  const why =
    UNKNOWN_VENDORS.find((v) => v.pattern.test(name))?.why ??
    `accelerator profile ${ctx.profile.name} (${name}) may use other names (no in-cluster metric names for it could be confirmed upstream)`;
  ctx.manual(
    `${nothing}; the probe knows only NVIDIA DCGM, AMD device-metrics-exporter, Intel XPU Manager, AWS Neuron Monitor and GKE TPU device plugin metric names: ${why}. ` +
      "Run again with --accelerator-metrics-url pointing at the accelerators' metrics endpoint, or check by hand that per-accelerator utilisation and memory are exposed",
  );
}

/** The pods of an exporter installed without a Service (POD_EXPORTERS): one label-selected page each. */
async function exporterPods(ctx: ProbeContext): Promise<Exporter | undefined> {
  for (const { what, selector, port, namespace } of POD_EXPORTERS) {
    const page = await ctx.kube.listPage<V1Pod>(
      { apiVersion: 'v1', kind: 'Pod', namespace: namespace ?? ALL_NAMESPACES },
      { labelSelector: selector, limit: 1 },
    );
    if (page.items.length === 0) continue;
    const [key, value] = selector.split('=');
    return {
      what,
      namespace: namespace ?? ALL_NAMESPACES,
      selector: { [key]: value },
      targetPort: port,
      description: `${what} pods ${selector}${namespace ? ` in ${namespace}` : ''} (no Service)`,
    };
  }
  return undefined;
}

/**
 * Every exporter pod behind the Service (or of the Service-less exporter), each read through the
 * pod proxy (the Service proxy reaches only one of them, so it would show one node's
 * accelerators). Read again, only the exporter on the loaded node is.
 */
async function scrapeExporterPods(ctx: ProbeContext, exporter: Exporter): Promise<MetricSource | undefined> {
  const labelSelector = Object.entries(exporter.selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const noPod = () => {
    ctx.fact({ component: exporter.what, source: `${exporter.description}: no Running pod behind it to read a version from` });
  };
  if (!labelSelector) {
    noPod();
    return undefined;
  }
  const pods = (
    await ctx.kube.listPage<V1Pod>(
      { apiVersion: 'v1', kind: 'Pod', namespace: exporter.namespace },
      { labelSelector, limit: EXPORTER_PODS },
    )
  ).items.filter((pod) => pod.status?.phase === 'Running');
  if (pods.length === 0) {
    noPod();
    return undefined;
  }
  reportPods(ctx, exporter.what, pods, exporter.description);
  const read = pods.slice(0, EXPORTER_PODS);
  const endpoints = new Map<string, HttpEndpoint>();
  const scraped = read.map((pod) => {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? exporter.namespace;
    const endpoint: HttpEndpoint = {
      kind: 'pod',
      namespace,
      pod: name,
      port: exporter.targetPort,
      description: `exporter pod ${namespace}/${name}`,
    };
    endpoints.set(pod.spec?.nodeName ?? '?', endpoint);
    return endpoint;
  });
  // Every exporter pod is read at once; the samples keep the pods' order.
  const samples: Sample[] = (await Promise.all(scraped.map((endpoint) => scrapeSamples(ctx, endpoint, '/metrics')))).flat();
  const of = pods.length > read.length ? ` (the first ${read.length} of ${pods.length})` : '';
  const fallback = exporter.endpoint ?? [...endpoints.values()][0];
  return {
    description: `${exporter.description}: ${read.length} exporter pod(s) on ${endpoints.size} node(s)${of}, each read through the pod proxy`,
    samples,
    again: (target) => scrapeSamples(ctx, endpoints.get(target.node) ?? fallback, '/metrics'),
  };
}

/** An answer the API server gave for an exporter it could not reach (5xx), as opposed to no exporter. */
function unreachable(error: unknown): boolean {
  const code = apiErrorOf(error).code;
  return code !== undefined && code >= 500;
}

const asSamples = (answer: PromVectorSample[]): Sample[] =>
  answer.map(({ metric, value }) => {
    const { __name__: name, ...labels } = metric;
    return { name: name ?? '', labels, value };
  });

/**
 * The known exporters' series in Prometheus. Read again: only the load pod's utilisation series,
 * by its pod labels (renamed exported_* where the scrape kept the target's own) or device UUID.
 */
async function prometheusSource(
  ctx: ProbeContext,
  prometheus: { endpoint: HttpEndpoint },
  description: string,
): Promise<MetricSource | undefined> {
  await reportMonitoringFacts(ctx, prometheus.endpoint);
  // The queries are independent: sent together.
  const answer: PromVectorSample[] = (await Promise.all(FAMILY_QUERIES.map((query) => promQuery(ctx, prometheus.endpoint, query)))).flat();
  if (answer.length === 0) return undefined;
  const utilisation = `__name__=~"${UTILISATION_NAMES.join('|')}"`;
  return {
    description,
    samples: asSamples(answer),
    async again(target) {
      const selectors = [
        `{${utilisation},exported_pod="${target.name}",exported_namespace="${target.namespace}"}`,
        `{${utilisation},pod="${target.name}",namespace="${target.namespace}"}`,
        ...(target.uuids.length ? [`{${utilisation},UUID=~"${target.uuids.join('|')}"}`] : []),
      ];
      const found: Sample[] = [];
      for (const selector of selectors) {
        found.push(...asSamples(await promQuery(ctx, prometheus.endpoint, selector)));
        if (found.length > 0) break;
      }
      return found;
    },
  };
}

async function findMetrics(ctx: ProbeContext): Promise<MetricSource> {
  if (ctx.options.acceleratorMetricsUrl) {
    const url = ctx.options.acceleratorMetricsUrl;
    ctx.fact({ component: 'Accelerator metrics endpoint', source: `--accelerator-metrics-url ${url}: given, not read from the cluster` });
    return scrape(ctx, { kind: 'url', url, description: `--accelerator-metrics-url ${url}` }, '');
  }
  const exporter = (await exporterService(ctx)) ?? (await exporterPods(ctx));
  if (exporter) {
    try {
      const read = await scrapeExporterPods(ctx, exporter);
      if (read) return read;
      if (exporter.endpoint) return await scrape(ctx, exporter.endpoint, '/metrics');
    } catch (error) {
      if (!unreachable(error)) throw error;
      // The API server cannot dial the exporter (private control planes): Prometheus, which scrapes
      // it from inside the cluster, holds the same series.
      const prometheus = await detectPrometheus(ctx);
      const why = `the API server could not reach ${exporter.description}: ${apiErrorOf(error).message}`;
      const fallback =
        prometheus && (await prometheusSource(ctx, prometheus, `accelerator series in ${prometheus.endpoint.description} (${why})`));
      if (fallback) return fallback;
      throw error;
    }
  }
  const prometheus = await detectPrometheus(ctx);
  if (prometheus) {
    const found = await prometheusSource(ctx, prometheus, `accelerator series in ${prometheus.endpoint.description}`);
    if (found) return found;
    const nothing = `no accelerator exporter Service or exporter pods found, and ${prometheus.endpoint.description} holds no series of a known exporter (DCGM_FI_DEV_*, gpu_*, xpum_*, neuroncore_*, TPU tensorcore_utilization)`;
    unknownMetricNames(ctx, nothing);
    throw new CheckFailure(nothing);
  }
  unknownMetricNames(ctx, 'no accelerator metrics endpoint found');
  throw new CheckFailure(
    `no accelerator metrics endpoint found: no --accelerator-metrics-url, no Service labelled ${EXPORTERS.map((e) => e.selector).join(', ')}, no pods labelled ${POD_EXPORTERS.map((e) => e.selector).join(', ')}, and no Prometheus`,
  );
}
