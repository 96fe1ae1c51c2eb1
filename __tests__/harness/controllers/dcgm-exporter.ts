// Simulated NVIDIA DCGM exporter (behaviour `dcgm-exporter`): its Service answers GET /metrics
// through the API server's service proxy with a real dcgm-exporter scrape from fixtures/metrics/.
// The Service object itself comes from the scenario (addons/dcgm.yaml), as the GPU Operator
// creates it. Parameters: namespace (gpu-operator), service (nvidia-dcgm-exporter), port
// (gpu-metrics; 9400 also answers), fixture (default the kops NVIDIA L4 scrape), dropMetrics
// (metric names removed from the text, to model an exporter missing a field).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Controller, ControllerContext, ControllerFactory, ProxyResponse } from './types.js';
import { str } from './workload-model.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEFAULT_FIXTURE = 'fixtures/metrics/dcgm-exporter.scrape.kops-v1.35.nvidia-L4.prom';

/** The exposition text without the named metrics (their samples and their HELP/TYPE lines). */
export function withoutMetrics(text: string, names: string[]): string {
  if (names.length === 0) return text;
  const drop = new Set(names);
  return text
    .split('\n')
    .filter((line) => {
      const meta = /^#\s*(?:HELP|TYPE)\s+(\S+)/.exec(line);
      if (meta) return !drop.has(meta[1]);
      const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
      return !name || !drop.has(name);
    })
    .join('\n');
}

export const dcgmExporterController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const namespace = str(ctx.params.namespace) ?? 'gpu-operator';
  const service = str(ctx.params.service) ?? 'nvidia-dcgm-exporter';
  const port = ctx.params.port === undefined ? 'gpu-metrics' : (ctx.params.port as string | number);
  const fixture = resolve(REPO_ROOT, str(ctx.params.fixture) ?? DEFAULT_FIXTURE);
  const drop = Array.isArray(ctx.params.dropMetrics) ? ctx.params.dropMetrics.map(String) : [];
  const text = withoutMetrics(readFileSync(fixture, 'utf8'), drop);

  return {
    start() {
      const handler = (req: { path: string }): ProxyResponse =>
        req.path === '/metrics'
          ? { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: text }
          : { status: 404, contentType: 'text/plain', body: '404 page not found\n' };
      ctx.registerServiceProxy(namespace, service, port, handler);
      if (port !== 9400) ctx.registerServiceProxy(namespace, service, 9400, handler);
    },
  };
};
