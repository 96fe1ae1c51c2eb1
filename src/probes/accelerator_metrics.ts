// accelerator_metrics (MUST): the platform exposes per-accelerator metrics — at least utilisation
// and memory — through a standard endpoint.
//
// Test plan:
//  1. Find the metrics endpoint: --accelerator-metrics-url, else a DCGM exporter Service: every
//     exporter pod behind it (one per GPU node) read through the API server's pod proxy, or the
//     Service itself where it has no pods to list; else, or when the API server cannot reach the
//     exporter, the DCGM (or AMD exporter) series in the cluster's Prometheus.
//  2. Every accelerator reported has utilisation and memory (lib/accelerator-metrics.ts): a whole
//     GPU DCGM_FI_DEV_GPU_UTIL, a MIG instance (parent UUID + GPU_I_ID) the profiling field
//     DCGM_FI_PROF_GR_ENGINE_ACTIVE, framebuffer memory DCGM_FI_DEV_FB_USED / _FREE; AMD
//     gpu_gfx_activity and gpu_used_vram / gpu_free_vram.
//  3. Temperature, power and interconnect series are reported when present (not required).

import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { ALL_NAMESPACES } from '../kube/types.js';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { parsePrometheusText, type Sample } from './lib/prometheus-text.js';
import { detectPrometheus, httpGet, promQuery, type HttpEndpoint } from './lib/prometheus-api.js';
import { coverage, FAMILY_QUERY, lacking, utilisationSummary } from './lib/accelerator-metrics.js';
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

export const acceleratorMetricsProbe = defineProbe({
  id: 'accelerator_metrics',
  timeoutMs: 120_000,
  async run(ctx) {
    const source = await ctx.step('an accelerator metrics endpoint is found and serves metrics', async () => {
      const found = await findMetrics(ctx);
      const dcgm = found.samples.filter((sample) => sample.name.startsWith('DCGM_FI_')).length;
      return { seen: `${found.description}: ${found.samples.length} samples, ${dcgm} DCGM samples`, value: found };
    });
    const samples = source.samples;

    await ctx.check('every accelerator reports utilisation and memory', async () => {
      const covered = coverage(samples);
      if (covered.length === 0) {
        throw new CheckFailure(
          `no per-accelerator ${UTIL}, ${FB_USED} or ${FB_FREE} sample (labelled by UUID or gpu) in ${source.description}`,
        );
      }
      const missing = covered.flatMap(lacking);
      if (missing.length) throw new CheckFailure(missing.join('; '));
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
  },
});

/** Services of the NVIDIA GPU Operator / fake-gpu-operator and of the dcgm-exporter chart. */
const EXPORTER_SELECTORS = ['app=nvidia-dcgm-exporter', 'app.kubernetes.io/name=dcgm-exporter'];
const EXPORTER_PORT_NAMES = ['gpu-metrics', 'metrics', 'http-metrics'];

interface MetricSource {
  description: string;
  samples: Sample[];
}

interface Exporter {
  endpoint: HttpEndpoint;
  namespace: string;
  selector: Record<string, string>;
  /** The Service port's target port (pods are read on it). */
  targetPort: string | number;
}

/** At most this many exporter pods are read one by one; Prometheus covers larger fleets in one query. */
const EXPORTER_PODS = 50;

async function exporterService(ctx: ProbeContext): Promise<Exporter | undefined> {
  for (const labelSelector of EXPORTER_SELECTORS) {
    const services = await ctx.kube.listPage<V1Service>(
      { apiVersion: 'v1', kind: 'Service', namespace: ALL_NAMESPACES },
      { labelSelector, limit: 20 },
    );
    for (const service of services.items) {
      const ports = service.spec?.ports ?? [];
      const port = ports.find((p) => p.name && EXPORTER_PORT_NAMES.includes(p.name)) ?? ports.find((p) => p.port === 9400) ?? ports[0];
      const { namespace, name } = service.metadata ?? {};
      if (port && namespace && name) {
        const portRef = port.name ?? port.port;
        return {
          endpoint: {
            kind: 'service',
            namespace,
            service: name,
            port: portRef,
            description: `DCGM exporter Service ${namespace}/${name}:${portRef}`,
          },
          namespace,
          selector: service.spec?.selector ?? {},
          targetPort: port.targetPort ?? port.port,
        };
      }
    }
  }
  return undefined;
}

async function scrape(ctx: ProbeContext, endpoint: HttpEndpoint, path: string): Promise<MetricSource> {
  const exposition = parsePrometheusText(await httpGet(ctx, endpoint, path));
  if (exposition.samples.length === 0) throw new CheckFailure(`${endpoint.description} served no samples`);
  if (exposition.errors.length) ctx.observe(`${exposition.errors.length} unparsable lines, first: ${exposition.errors[0]}`);
  return { description: endpoint.description, samples: exposition.samples };
}

/** Profiles whose accelerators report metrics the probe knows (example: PR mode feeds it a fake DCGM source). */
function knownNames(profile: ProbeContext['profile']): boolean {
  if (['nvidia', 'nvidia-dra', 'example'].includes(profile.name)) return true;
  const name = profile.resourceName ?? profile.driver ?? profile.deviceClassName ?? '';
  // AMD series are read where found (Prometheus, a given URL), but the probe does not search for
  // AMD's exporter, so finding nothing on AMD accelerators says nothing.
  return /^nvidia\.com\/|nvidia\.com$/.test(name);
}

/**
 * The probe only knows DCGM's metric names: finding none on another vendor's accelerators says
 * nothing about the cluster, so a person must point the probe at the endpoint or attest it.
 */
function unknownMetricNames(ctx: ProbeContext, nothing: string): void {
  if (knownNames(ctx.profile)) return;
  ctx.manual(
    `${nothing}; the probe knows only NVIDIA DCGM and AMD device-metrics-exporter metric names and accelerator profile ${ctx.profile.name} may use others. ` +
      "Run again with --accelerator-metrics-url pointing at the accelerators' metrics endpoint, or check by hand that per-accelerator utilisation and memory are exposed",
  );
}

/**
 * Every exporter pod behind the Service, each read through the pod proxy (the Service proxy
 * reaches only one of them, so it would show one node's accelerators).
 */
async function scrapeExporterPods(ctx: ProbeContext, exporter: Exporter): Promise<MetricSource | undefined> {
  const labelSelector = Object.entries(exporter.selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const noPod = () => {
    ctx.fact({ component: 'DCGM exporter', source: `${exporter.endpoint.description}: no Running pod behind it to read a version from` });
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
  reportPods(ctx, 'DCGM exporter', pods, exporter.endpoint.description);
  const read = pods.slice(0, EXPORTER_PODS);
  const samples: Sample[] = [];
  for (const pod of read) {
    const name = pod.metadata?.name ?? '';
    const endpoint: HttpEndpoint = {
      kind: 'pod',
      namespace: exporter.namespace,
      pod: name,
      port: exporter.targetPort,
      description: `exporter pod ${exporter.namespace}/${name}`,
    };
    samples.push(...(await scrape(ctx, endpoint, '/metrics')).samples);
  }
  const nodes = new Set(read.map((pod) => pod.spec?.nodeName ?? '?'));
  const of = pods.length > read.length ? ` (the first ${read.length} of ${pods.length})` : '';
  return {
    description: `${exporter.endpoint.description}: ${read.length} exporter pod(s) on ${nodes.size} node(s)${of}, each read through the pod proxy`,
    samples,
  };
}

/** An answer the API server gave for an exporter it could not reach (5xx), as opposed to no exporter. */
function unreachable(error: unknown): boolean {
  const code = apiErrorOf(error).code;
  return code !== undefined && code >= 500;
}

async function fromPrometheus(ctx: ProbeContext, why: string): Promise<MetricSource | undefined> {
  const prometheus = await detectPrometheus(ctx);
  if (!prometheus) return undefined;
  await reportMonitoringFacts(ctx, prometheus.endpoint);
  const answer = await promQuery(ctx, prometheus.endpoint, FAMILY_QUERY);
  if (answer.length === 0) return undefined;
  return {
    description: `accelerator series in ${prometheus.endpoint.description} (${why})`,
    samples: answer.map(({ metric, value }) => {
      const { __name__: name, ...labels } = metric;
      return { name: name ?? '', labels, value };
    }),
  };
}

async function findMetrics(ctx: ProbeContext): Promise<MetricSource> {
  if (ctx.options.acceleratorMetricsUrl) {
    const url = ctx.options.acceleratorMetricsUrl;
    ctx.fact({ component: 'Accelerator metrics endpoint', source: `--accelerator-metrics-url ${url}: given, not read from the cluster` });
    return scrape(ctx, { kind: 'url', url, description: `--accelerator-metrics-url ${url}` }, '');
  }
  const exporter = await exporterService(ctx);
  if (exporter) {
    try {
      return (await scrapeExporterPods(ctx, exporter)) ?? (await scrape(ctx, exporter.endpoint, '/metrics'));
    } catch (error) {
      if (!unreachable(error)) throw error;
      // The API server cannot dial the exporter (private control planes): Prometheus, which scrapes
      // it from inside the cluster, holds the same series.
      const fallback = await fromPrometheus(
        ctx,
        `the API server could not reach ${exporter.endpoint.description}: ${apiErrorOf(error).message}`,
      );
      if (fallback) return fallback;
      throw error;
    }
  }
  const prometheus = await detectPrometheus(ctx);
  if (prometheus) {
    await reportMonitoringFacts(ctx, prometheus.endpoint);
    const answer = await promQuery(ctx, prometheus.endpoint, FAMILY_QUERY);
    if (answer.length > 0) {
      return {
        description: `DCGM series in ${prometheus.endpoint.description}`,
        samples: answer.map(({ metric, value }) => {
          const { __name__: name, ...labels } = metric;
          return { name: name ?? '', labels, value };
        }),
      };
    }
    const nothing = `no DCGM exporter Service found, and ${prometheus.endpoint.description} holds no DCGM_FI_DEV_* series`;
    unknownMetricNames(ctx, nothing);
    throw new CheckFailure(nothing);
  }
  unknownMetricNames(ctx, 'no accelerator metrics endpoint found');
  throw new CheckFailure(
    'no accelerator metrics endpoint found: no --accelerator-metrics-url, no Service labelled app=nvidia-dcgm-exporter or app.kubernetes.io/name=dcgm-exporter, and no Prometheus',
  );
}
