// accelerator_metrics (MUST): the platform exposes per-accelerator metrics — at least utilisation
// and memory — through a standard endpoint.
//
// Test plan:
//  1. Find the metrics endpoint: --accelerator-metrics-url, else a DCGM exporter Service (read
//     through the API server's service proxy), else the DCGM series in the cluster's Prometheus.
//  2. Every accelerator reported (by UUID, else node + gpu index) has utilisation
//     (DCGM_FI_DEV_GPU_UTIL) and framebuffer memory (DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE).
//  3. Temperature, power and interconnect series are reported when present (not required).

import type { V1Service } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { parsePrometheusText, type Sample } from './lib/prometheus-text.js';
import { detectPrometheus, httpGet, promQuery, type HttpEndpoint } from './lib/prometheus-api.js';

export const UTIL = 'DCGM_FI_DEV_GPU_UTIL';
export const FB_USED = 'DCGM_FI_DEV_FB_USED';
export const FB_FREE = 'DCGM_FI_DEV_FB_FREE';
const OPTIONAL_FAMILIES: Record<string, RegExp> = {
  temperature: /^DCGM_FI_DEV_(GPU|MEMORY)_TEMP$/,
  power: /^DCGM_FI_DEV_POWER_USAGE$|^DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION$/,
  interconnect: /^DCGM_FI_(DEV|PROF)_(NVLINK|PCIE)_/,
};
const QUERY = `{__name__=~"${UTIL}|${FB_USED}|${FB_FREE}|DCGM_FI_DEV_GPU_TEMP|DCGM_FI_DEV_MEMORY_TEMP|DCGM_FI_DEV_POWER_USAGE|DCGM_FI_DEV_NVLINK_.*|DCGM_FI_PROF_NVLINK_.*|DCGM_FI_PROF_PCIE_.*"}`;

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
      const accelerators = new Map<string, Set<string>>();
      for (const sample of samples) {
        if (![UTIL, FB_USED, FB_FREE].includes(sample.name)) continue;
        const key = acceleratorKey(sample);
        if (!key) continue;
        const names = accelerators.get(key) ?? new Set<string>();
        names.add(sample.name);
        accelerators.set(key, names);
      }
      if (accelerators.size === 0) {
        throw new CheckFailure(`no per-accelerator ${UTIL}, ${FB_USED} or ${FB_FREE} sample (labelled by UUID or gpu) in ${source.description}`);
      }
      const lacking: string[] = [];
      for (const [key, names] of accelerators) {
        const missing: string[] = [];
        if (!names.has(UTIL)) missing.push(`utilisation (${UTIL})`);
        if (!names.has(FB_USED) && !names.has(FB_FREE)) missing.push(`memory (${FB_USED}/${FB_FREE})`);
        if (missing.length) lacking.push(`${key} lacks ${missing.join(' and ')}`);
      }
      if (lacking.length) throw new CheckFailure(lacking.join('; '));
      const utilisation = samples
        .filter((sample) => sample.name === UTIL)
        .map((sample) => `${acceleratorKey(sample)}=${sample.value}%`)
        .slice(0, 8);
      return `${accelerators.size} accelerator(s) report utilisation and memory: ${utilisation.join(', ')}`;
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

async function exporterService(ctx: ProbeContext): Promise<HttpEndpoint | undefined> {
  for (const labelSelector of EXPORTER_SELECTORS) {
    const services = await ctx.kube.list<V1Service>({ apiVersion: 'v1', kind: 'Service' }, { labelSelector, limit: 20 });
    for (const service of services) {
      const ports = service.spec?.ports ?? [];
      const port = ports.find((p) => p.name && EXPORTER_PORT_NAMES.includes(p.name)) ?? ports.find((p) => p.port === 9400) ?? ports[0];
      const { namespace, name } = service.metadata ?? {};
      if (port && namespace && name) {
        const portRef = port.name ?? port.port;
        return { kind: 'service', namespace, service: name, port: portRef, description: `DCGM exporter Service ${namespace}/${name}:${portRef}` };
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

/** Profiles whose accelerators report DCGM metrics (example: PR mode feeds it a fake DCGM source). */
const DCGM_PROFILES = new Set(['nvidia', 'nvidia-dra', 'example']);

/**
 * The probe only knows DCGM's metric names: finding none on another vendor's accelerators says
 * nothing about the cluster, so a person must point the probe at the endpoint or attest it.
 */
function unknownMetricNames(ctx: ProbeContext, nothing: string): void {
  if (DCGM_PROFILES.has(ctx.profile.name)) return;
  ctx.manual(
    `${nothing}; the probe knows only NVIDIA DCGM metric names and accelerator profile ${ctx.profile.name} may use others. ` +
      'Run again with --accelerator-metrics-url pointing at the accelerators\' metrics endpoint, or check by hand that per-accelerator utilisation and memory are exposed',
  );
}

async function findMetrics(ctx: ProbeContext): Promise<MetricSource> {
  if (ctx.options.acceleratorMetricsUrl) {
    const url = ctx.options.acceleratorMetricsUrl;
    return scrape(ctx, { kind: 'url', url, description: `--accelerator-metrics-url ${url}` }, '');
  }
  const exporter = await exporterService(ctx);
  if (exporter) return scrape(ctx, exporter, '/metrics');
  const prometheus = await detectPrometheus(ctx);
  if (prometheus) {
    const answer = await promQuery(ctx, prometheus.endpoint, QUERY);
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

/** One accelerator's identity: its UUID, else node and index. */
function acceleratorKey(sample: Sample): string | undefined {
  const { UUID, uuid, gpu, Hostname, instance } = sample.labels;
  if (UUID || uuid) return UUID ?? uuid;
  if (gpu !== undefined) return `${Hostname ?? instance ?? '?'}/gpu${gpu}`;
  return undefined;
}
