// Simulated AMD Device Metrics Exporter (behaviour `amd-metrics-exporter`), as the AMD GPU
// Operator deploys it (ROCm/device-metrics-exporter v1.3, docs/configuration/metricslist.md):
// its Service (from the scenario, addons/amd-metrics-exporter.yaml: label
// app.kubernetes.io/name=metrics-exporter, port `metrics` 5000) answers /metrics through the
// service proxy with every amd.com/gpu node's GPUs: gpu_gfx_activity (%), gpu_used_vram,
// gpu_free_vram, gpu_total_vram (MB), gpu_edge_temperature, gpu_power_usage, labelled gpu_id,
// gpu_uuid, serial_number, card_model, hostname, and pod/namespace/container for a GPU a pod holds
// (the exporter's kubelet pod-resources mapping, ../podresources.ts).
// Parameters: namespace (kube-amd-gpu), service (gpu-operator-metrics-exporter), port (metrics;
// 5000 also answers), dropMetrics (names removed, to model an exporter missing a field).
import { createHash } from 'node:crypto';
import type { Controller, ControllerContext, ControllerFactory, ProxyResponse } from './types.js';
import { rec, str } from './workload-model.js';
import { quantity } from './util.js';
import { withoutMetrics } from './dcgm-exporter.js';
import { heldDevices } from '../podresources.js';
import type { KObj } from '../types.js';

function uuidOf(node: string, index: number): string {
  const h = createHash('sha256').update(`amd/${node}/${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The exporter's text for every AMD GPU of the cluster (one Service, as `internalTrafficPolicy: Local` answers per node). */
function exposition(nodes: KObj[], held: ReturnType<typeof heldDevices>): string {
  const families: [string, string, (index: number) => number][] = [
    ['gpu_gfx_activity', 'Graphics engine usage percentage (0 - 100)', () => 0],
    ['gpu_used_vram', 'Total VRAM memory used in MB', () => 284],
    ['gpu_free_vram', 'Total VRAM memory free in MB', () => 196_068],
    ['gpu_total_vram', 'Total VRAM available in MB', () => 196_352],
    ['gpu_edge_temperature', 'Edge temperature value in Celsius', () => 38],
    ['gpu_power_usage', 'GPU power usage in Watts', () => 142],
  ];
  const lines: string[] = [];
  for (const [name, help, value] of families) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const node of nodes) {
      const host = node.metadata.name ?? '';
      const count = quantity(rec(rec(node.status).allocatable)['amd.com/gpu']);
      for (let index = 0; index < count; index++) {
        // The AMD device plugin hands GPU <index> as /dev/dri/renderD<128+index> (../devices.ts).
        const grant = held.find((g) => g.node === host && g.device === `dri/renderD${128 + index}`);
        const pod = grant ? `,pod="${grant.pod}",namespace="${grant.namespace}",container="${grant.container}"` : '';
        lines.push(
          `${name}{gpu_id="${index}",gpu_uuid="${uuidOf(host, index)}",serial_number="PCB0${index}46${host.length}",card_model="MI300X",card_series="AMD Instinct MI300X OAM",hostname="${host}"${pod}} ${value(index)}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export const amdMetricsExporterController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const namespace = str(ctx.params.namespace) ?? 'kube-amd-gpu';
  const service = str(ctx.params.service) ?? 'gpu-operator-metrics-exporter';
  const port = ctx.params.port === undefined ? 'metrics' : (ctx.params.port as string | number);
  const drop = Array.isArray(ctx.params.dropMetrics) ? ctx.params.dropMetrics.map(String) : [];
  return {
    start() {
      const handler = (req: { path: string }): ProxyResponse => {
        if (req.path !== '/metrics') return { status: 404, contentType: 'text/plain', body: '404 page not found\n' };
        const nodes = ctx.store.list('nodes').filter((node) => quantity(rec(rec(node.status).allocatable)['amd.com/gpu']) > 0);
        return {
          contentType: 'text/plain; version=0.0.4; charset=utf-8',
          body: withoutMetrics(exposition(nodes, heldDevices(ctx.store)), drop),
        };
      };
      ctx.registerServiceProxy(namespace, service, port, handler);
      if (port !== 5000) ctx.registerServiceProxy(namespace, service, 5000, handler);
    },
  };
};
