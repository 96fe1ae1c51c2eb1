// Simulated NVIDIA DCGM exporter (behaviour `dcgm-exporter`): its Service answers GET /metrics
// through the API server's service proxy with a real dcgm-exporter scrape from fixtures/metrics/.
// The Service object itself comes from the scenario (addons/dcgm.yaml), as the GPU Operator
// creates it. Parameters: namespace (gpu-operator), service (nvidia-dcgm-exporter), port
// (gpu-metrics; 9400 also answers), fixture (default the kops NVIDIA L4 scrape), dropMetrics
// (metric names removed from the text, to model an exporter missing a field).
// With `perNode: true` it runs as the GPU Operator's DaemonSet does: one exporter pod on every
// node with NVIDIA GPUs (device plugin or DRA), each serving only its node's devices through
// the pod proxy, in dcgm-exporter 4.x's format: whole GPUs with DCGM_FI_DEV_GPU_UTIL, MIG
// instances (labels GPU_I_PROFILE and GPU_I_ID, UUID of the parent GPU) without it but with the
// profiling field DCGM_FI_PROF_GR_ENGINE_ACTIVE, as DCGM reports them; the Service proxy reaches
// one of the pods. `unreachable: true` models an API server that cannot dial pod IPs (private
// GKE/EKS control planes): every proxy request answers 503, so only Prometheus has the series;
// `serviceMonitor: true` (the GPU Operator's dcgmExporter.serviceMonitor.enabled) lets the fake
// Prometheus scrape the per-node exporters, as it does from inside the cluster.
// Devices that pods hold (the kubelet's pod-resources, ../podresources.ts) are labelled with
// their pod, namespace and container, as dcgm-exporter does with its Kubernetes mapping on;
// while the holder's NVIDIA load generator (dcgmproftester) is loading it (it started, not refused:
// ../dcgmproftester.ts), the device's utilisation
// (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_PROF_GR_ENGINE_ACTIVE) rises `loadSampleMs` after it started
// (DCGM's next sample). The static recording stands for the idle GPUs of its own cluster, and
// the scenario's held devices are reported after it. Broken exporters: `podLabels: false` (no
// pod mapping: DCGM_EXPORTER_KUBERNETES=false), `ignoresLoad: true` (utilisation stuck at 0).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Controller, ControllerContext, ControllerFactory, ProxyResponse } from './types.js';
import { rec, str } from './workload-model.js';
import { isNvidiaResource, pluginDevice } from '../devices.js';
import { createHash } from 'node:crypto';
import type { KObj } from '../types.js';
import { quantity } from './util.js';
import { heldDevices, type HeldDevice } from '../podresources.js';
import { monitoringModel, type Series } from './monitoring-model.js';
import { parsePrometheusText } from '../../../src/probes/lib/prometheus-text.js';

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

  const unreachable = ctx.params.unreachable === true;
  const live: Live = {
    podLabels: ctx.params.podLabels !== false,
    ignoresLoad: ctx.params.ignoresLoad === true,
    loadSampleMs: typeof ctx.params.loadSampleMs === 'number' ? ctx.params.loadSampleMs : 10,
  };
  const refused = (): ProxyResponse => ({
    status: 503,
    contentType: 'text/plain',
    body: 'error trying to reach service: dial tcp 10.244.1.7:9400: i/o timeout',
  });
  if (ctx.params.perNode === true) {
    const exporters: { pod: string; current: () => string }[] = [];
    return {
      start() {
        const pods: string[] = [];
        if (ctx.params.serviceMonitor === true) {
          monitoringModel(ctx).addSource(() =>
            exporters.flatMap(({ pod, current }) =>
              parsePrometheusText(current()).samples.map((sample): Series => ({
                value: sample.value,
                // honorLabels false, as the GPU Operator's ServiceMonitor: the target's own pod label wins.
                labels: {
                  ...renamedTargetLabels(sample.labels),
                  __name__: sample.name,
                  job: 'nvidia-dcgm-exporter',
                  namespace,
                  pod,
                },
              })),
            ),
          );
        }
        for (const node of ctx.store.list('nodes')) {
          if (nodeGpus(node).length === 0) continue;
          const pod = `nvidia-dcgm-exporter-${createHash('sha256')
            .update(node.metadata.name ?? '')
            .digest('hex')
            .slice(0, 5)}`;
          ctx.store.create('pods', {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: pod, namespace, labels: { app: 'nvidia-dcgm-exporter' } },
            spec: {
              nodeName: node.metadata.name,
              tolerations: [{ operator: 'Exists' }],
              containers: [
                {
                  name: 'nvidia-dcgm-exporter',
                  image: 'nvcr.io/nvidia/k8s/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04',
                  ports: [{ name: 'metrics', containerPort: 9400 }],
                },
              ],
            },
            // Up before the run began, as the GPU Operator's DaemonSet is.
            status: {
              phase: 'Running',
              podIP: `10.244.${pods.length + 1}.7`,
              conditions: [{ type: 'Ready', status: 'True' }],
              containerStatuses: [
                {
                  name: 'nvidia-dcgm-exporter',
                  ready: true,
                  started: true,
                  restartCount: 0,
                  image: 'nvcr.io/nvidia/k8s/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04',
                  imageID: '',
                  state: { running: { startedAt: new Date().toISOString() } },
                },
              ],
            },
          });
          const nodeName = node.metadata.name ?? '';
          const current = (): string => withoutMetrics(nodeExposition(node, heldDevices(ctx.store, nodeName), live) ?? '', drop);
          exporters.push({ pod, current });
          const handler = (req: { path: string }): ProxyResponse =>
            unreachable
              ? refused()
              : req.path === '/metrics'
                ? { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: current() }
                : { status: 404, contentType: 'text/plain', body: '404 page not found\n' };
          for (const p of ['9400', 'metrics', 'http:9400']) ctx.registerPodProxy(namespace, pod, p, handler);
          pods.push(pod);
          if (pods.length === 1) {
            ctx.registerServiceProxy(namespace, service, port, handler);
            if (port !== 9400) ctx.registerServiceProxy(namespace, service, 9400, handler);
          }
        }
      },
    };
  }

  return {
    start() {
      const current = (): string => withoutMetrics(`${text.trimEnd()}\n${heldExposition(heldDevices(ctx.store), live)}`, drop);
      const handler = (req: { path: string }): ProxyResponse =>
        unreachable
          ? refused()
          : req.path === '/metrics'
            ? { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: current() }
            : { status: 404, contentType: 'text/plain', body: '404 page not found\n' };
      ctx.registerServiceProxy(namespace, service, port, handler);
      if (port !== 9400) ctx.registerServiceProxy(namespace, service, 9400, handler);
    },
  };
};

interface Gpu {
  index: number;
  uuid: string;
  mig?: Mig[];
}

interface Mig {
  profile: string;
  id: number;
  uuid: string;
}

interface Live {
  podLabels: boolean;
  ignoresLoad: boolean;
  loadSampleMs: number;
}

/** Prometheus keeps a target's own labels and renames the scraped ones that clash (exported_pod, …). */
function renamedTargetLabels(labels: Partial<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (value !== undefined) out[['pod', 'namespace', 'container'].includes(key) ? `exported_${key}` : key] = value;
  }
  return out;
}

/** Whether the holder is loading the device and DCGM has sampled it since. */
function loaded(grant: HeldDevice | undefined, live: Live): boolean {
  return !!grant && !live.ignoresLoad && grant.loads === true && Date.now() - grant.since >= live.loadSampleMs;
}

function podLabelsOf(grant: HeldDevice | undefined, live: Live): string {
  return grant && live.podLabels ? `,pod="${grant.pod}",namespace="${grant.namespace}",container="${grant.container}"` : '';
}

/** The series of devices pods hold, after a static recording (whole GPUs, by UUID). */
function heldExposition(held: HeldDevice[], live: Live): string {
  const lines: string[] = [];
  for (const grant of held.filter((g) => g.device.startsWith('GPU-'))) {
    const labels = `UUID="${grant.device}",Hostname="${grant.node}"${podLabelsOf(grant, live)}`;
    const busy = loaded(grant, live);
    lines.push(
      `DCGM_FI_DEV_GPU_UTIL{${labels}} ${busy ? 98 : 0}`,
      `DCGM_FI_DEV_FB_USED{${labels}} ${busy ? 1536 : 1}`,
      `DCGM_FI_DEV_FB_FREE{${labels}} ${busy ? 21500 : 23034}`,
      `DCGM_FI_PROF_GR_ENGINE_ACTIVE{${labels}} ${busy ? 0.97 : 0}`,
    );
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The NVIDIA GPUs (and their MIG instances) a node's exporter reports; undefined: no NVIDIA GPU. */
function nodeGpus(node: KObj): Gpu[] {
  const gpus = new Map<number, Gpu>();
  for (const [resource, value] of Object.entries(rec(rec(node.status).allocatable))) {
    if (!isNvidiaResource(resource)) continue;
    const seen = new Set<string>();
    for (let i = 0; i < quantity(value); i++) {
      const d = pluginDevice(node, resource, i);
      if (!d || d.nvidiaIndex === undefined || seen.has(d.id)) continue;
      seen.add(d.id);
      const parentUuid = /UUID: (GPU-[^)]+)/.exec(d.smi?.[0] ?? '')?.[1] ?? d.id;
      const gpu = gpus.get(d.nvidiaIndex) ?? { index: d.nvidiaIndex, uuid: parentUuid };
      if (d.id.startsWith('MIG-')) {
        const profile = /MIG (\S+) Device/.exec(d.smi?.[1] ?? '')?.[1] ?? '1g.5gb';
        gpu.mig = [...(gpu.mig ?? []), { profile, id: (gpu.mig?.length ?? 0) + 1, uuid: d.id }];
      }
      gpus.set(d.nvidiaIndex, gpu);
    }
  }
  return [...gpus.values()].sort((a, b) => a.index - b.index);
}

/** dcgm-exporter's text for one node, or undefined when the node has no NVIDIA GPU. */
function nodeExposition(node: KObj, held: HeldDevice[], live: Live): string | undefined {
  const gpus = nodeGpus(node);
  if (gpus.length === 0) return undefined;
  const host = node.metadata.name ?? '';
  const model = (node.metadata.labels?.['nvidia.com/gpu.product'] ?? 'NVIDIA A100-SXM4-40GB')
    .replace(/-SHARED$/, '')
    .replace(/-/g, ' ')
    .replace(/^NVIDIA A100 SXM4 40GB$/, 'NVIDIA A100-SXM4-40GB');
  const holder = (gpu: Gpu, mig?: Mig): HeldDevice | undefined => held.find((g) => g.device === (mig ? mig.uuid : gpu.uuid));
  const busy = (gpu: Gpu, mig?: Mig): boolean => loaded(holder(gpu, mig), live);
  const families: [string, string, string, (g: Gpu, mig?: Mig) => number | undefined][] = [
    ['DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (in C).', () => 34],
    ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).', () => 61.5],
    // DCGM has no utilisation counter for a MIG instance: only the parent's whole-GPU series exist where MIG is off.
    ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (in %).', (g, mig) => (mig ? undefined : busy(g) ? 98 : 0)],
    ['DCGM_FI_DEV_FB_FREE', 'gauge', 'Frame buffer memory free (in MiB).', (_g, mig) => (mig ? 4850 : 40337)],
    ['DCGM_FI_DEV_FB_USED', 'gauge', 'Frame buffer memory used (in MiB).', (_g, mig) => (mig ? 13 : 1)],
    ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'gauge', 'Ratio of time the graphics engine is active.', (g, mig) => (busy(g, mig) ? 0.97 : 0)],
  ];
  const lines: string[] = [];
  for (const [name, type, help, value] of families) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const gpu of gpus) {
      const base = `gpu="${gpu.index}",UUID="${gpu.uuid}",pci_bus_id="00000000:${(0x31 + gpu.index).toString(16).toUpperCase()}:00.0",device="nvidia${gpu.index}",modelName="${model}"`;
      const tail = `Hostname="${host}",DCGM_FI_DRIVER_VERSION="580.105.08"`;
      const instances = gpu.mig ?? [undefined];
      for (const mig of instances) {
        const v = value(gpu, mig);
        if (v === undefined) continue;
        const migLabels = mig ? `GPU_I_PROFILE="${mig.profile}",GPU_I_ID="${mig.id}",` : '';
        lines.push(`${name}{${base},${migLabels}${tail}${podLabelsOf(holder(gpu, mig), live)}} ${v}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
