// Simulated accelerator exporters of vendors other than NVIDIA and AMD, each as its upstream
// installs it: one exporter pod per node with the vendor's devices, read through the pod proxy,
// serving its node's devices in the vendor's exposition format (names, labels, number format).
// Devices that pods hold (the kubelet's pod-resources, ../podresources.ts) carry the holder's pod
// labels where the real exporter maps them. Common parameters: `namespace`, `dropMetrics` (names
// removed, to model an exporter configured without a field).
//
//   intel-xpum-exporter: Intel XPU Manager v1.2.x, deployment/kubernetes of intel/xpumanager
//     (@ 17a4d42): DaemonSet pods app=intel-xpumanager (container python-exporter, port `metrics`
//     29999, hostNetwork) behind Service intel-xpumanager (addons/intel-xpumanager.yaml). Series as
//     rest/prometheus_exporter/prometheus_exporter.py writes them with prometheus_client: labels
//     uuid, dev_name, pci_dev, vendor, pci_bdf, dev_file, node, kube_pod/kube_namespace/kube_container
//     for a held device, sub_dev on tile series, src; ratios 0-1 (XPUM's % x 0.01).
//   neuron-monitor: AWS Neuron Monitor 1.1.0 as aws-neuron/neuron-helm-charts installs it
//     (@ 5c70d9d): pods app.kubernetes.io/name=neuron-helm-chart-exporter, container port
//     `neuron-monitor` 8000, no Service. Series as neuron-monitor-prometheus.py writes them: one per
//     NeuronCore (label neuroncore) with the EC2 instance labels, none for pods. `idle: true` models
//     a node with no active Neuron runtime: only neuron_hardware_info.
//   tpu-device-plugin-metrics: the /metrics endpoint (port 2112) of GKE's TPU device plugin, pods
//     k8s-app=tpu-device-plugin in kube-system. Per-chip series for the chips a running container
//     holds (labels accelerator_id, container, make="cloud-tpu", model, namespace, pod,
//     tpu_topology, sorted as client_golang writes them; the GKE v6e sample in ray-project/ray#57829),
//     and node-level *_node series for every chip. The image name is illustrative: GKE does not
//     publish the plugin's.
import { createHash } from 'node:crypto';
import type { Controller, ControllerContext, ControllerFactory, ProxyResponse } from './types.js';
import { rec, str } from './workload-model.js';
import { quantity } from './util.js';
import { withoutMetrics } from './dcgm-exporter.js';
import { heldDevices, type HeldDevice } from '../podresources.js';
import type { KObj } from '../types.js';

const hex = (seed: string, n: number): string => createHash('sha256').update(seed).digest('hex').slice(0, n);
const allocatable = (node: KObj, resource: string): number => quantity(rec(rec(node.status).allocatable)[resource]);
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** A number as Python's prometheus_client writes it (floatToGoString): 0.0, 0.1, 6.315872e+06. */
function pyFloat(d: number): string {
  let s = Number.isInteger(d) ? `${d}.0` : String(d);
  const dot = s.indexOf('.');
  if (d > 0 && dot > 6) {
    const mantissa = `${s[0]}.${s.slice(1, dot)}${s.slice(dot + 1)}`.replace(/[0.]+$/, '');
    s = `${mantissa}e+0${dot - 1}`;
  }
  return s;
}

/** A number as client_golang writes it (strconv 'g', shortest): 0, 0.5, 2.147483648e+09. */
function goFloat(d: number): string {
  if (d === 0 || !Number.isFinite(d)) return String(d);
  const exp = Math.floor(Math.log10(Math.abs(d)));
  if (exp >= -4 && exp < 6) return String(d);
  return d.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

const labelText = (labels: [string, string][]): string => labels.map(([k, v]) => `${k}="${v}"`).join(',');

interface ExporterPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  node: string;
  container: string;
  image: string;
  port: { name: string; containerPort: number };
  hostNetwork?: boolean;
}

/** Creates a Running exporter pod (up before the run, as a DaemonSet's pods are) and serves its /metrics. */
function servePod(ctx: ControllerContext, pod: ExporterPod, index: number, body: () => string): void {
  ctx.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    spec: {
      nodeName: pod.node,
      ...(pod.hostNetwork ? { hostNetwork: true } : {}),
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: pod.container, image: pod.image, ports: [pod.port] }],
    },
    status: {
      phase: 'Running',
      podIP: `10.244.${index + 40}.9`,
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: pod.container,
          ready: true,
          started: true,
          restartCount: 0,
          image: pod.image,
          imageID: '',
          state: { running: { startedAt: new Date().toISOString() } },
        },
      ],
    },
  });
  const handler = (req: { path: string }): ProxyResponse =>
    req.path === '/metrics'
      ? { contentType: TEXT, body: body() }
      : { status: 404, contentType: 'text/plain', body: '404 page not found\n' };
  for (const port of [String(pod.port.containerPort), pod.port.name]) ctx.registerPodProxy(pod.namespace, pod.name, port, handler);
}

function drops(ctx: ControllerContext): string[] {
  return Array.isArray(ctx.params.dropMetrics) ? ctx.params.dropMetrics.map(String) : [];
}

/** Families in exposition order, each with its HELP (when known) and its samples. */
function render(
  families: { name: string; help?: string; type: string; samples: [string, string][][]; values: number[] }[],
  format: (v: number) => string,
): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    if (f.help) lines.push(`# HELP ${f.name} ${f.help}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    f.samples.forEach((labels, i) => lines.push(`${f.name}{${labelText(labels)}} ${format(f.values[i] ?? 0)}`));
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Intel XPU Manager

const INTEL_RESOURCES = ['gpu.intel.com/i915', 'gpu.intel.com/xe'];
const MAX_1550 = { name: 'Intel(R) Data Center GPU Max 1550', pciDev: '0x0bd5', tiles: 2 };

function intelExposition(node: KObj, held: HeldDevice[]): string {
  const host = node.metadata.name ?? '';
  const count = Math.max(...INTEL_RESOURCES.map((r) => allocatable(node, r)));
  const rows: Record<string, { labels: [string, string][]; value: number }[]> = {};
  const add = (name: string, labels: [string, string][], value: number): void => {
    (rows[name] ??= []).push({ labels, value });
  };
  for (let index = 0; index < count; index++) {
    // The GPU plugin hands GPU <index> as /dev/dri/renderD<128+index> (../devices.ts).
    const grant = held.find((g) => g.device === `dri/renderD${128 + index}`);
    const device: [string, string][] = [
      ['uuid', `01000000-0000-0000-0000-${hex(`${host}/${index}`, 12)}`],
      ['dev_name', MAX_1550.name],
      ['pci_dev', MAX_1550.pciDev],
      ['vendor', 'Intel(R) Corporation'],
      ['pci_bdf', `0000:${(0x29 + 0x10 * index).toString(16)}:00.0`],
      ['dev_file', `card${index + 1}`],
      ['node', host],
      ...(grant
        ? ([
            ['kube_pod', grant.pod],
            ['kube_namespace', grant.namespace],
            ['kube_container', grant.container],
          ] as [string, string][])
        : []),
    ];
    // The exporter's label order: device, node, kube_*, sub_dev, the metric's own, src.
    // Device level: XPUM aggregates the tiles' utilisation and memory ratio (agg_func avg).
    add('xpum_engine_ratio', [...device, ['src', 'avg']], 0);
    add('xpum_memory_ratio', [...device, ['src', 'avg']], 0.0032);
    add('xpum_power_watts', [...device, ['src', 'direct']], 187.3);
    for (let tile = 0; tile < MAX_1550.tiles; tile++) {
      const t: [string, string][] = [...device, ['sub_dev', String(tile)]];
      add('xpum_engine_ratio', [...t, ['src', 'direct']], 0);
      add('xpum_engine_group_ratio', [...t, ['type', 'compute'], ['src', 'direct']], 0);
      add('xpum_memory_used_bytes', [...t, ['src', 'direct']], 110_100_480);
      add('xpum_memory_ratio', [...t, ['src', 'direct']], 0.0032);
      add('xpum_temperature_celsius', [...t, ['location', 'gpu'], ['src', 'direct']], 31);
    }
  }
  const help: Record<string, string> = {
    xpum_engine_ratio: 'GPU active time of the elapsed time (in %), per GPU tile',
    xpum_engine_group_ratio: 'Avg utilization of engine group (in %), per GPU tile',
    xpum_memory_ratio: 'Used GPU memory / Total used GPU memory (in %), per GPU tile',
    xpum_power_watts: 'Avg GPU power (in watts), per GPU and per card',
    xpum_memory_used_bytes: 'Used GPU memory (in bytes), per GPU tile',
    xpum_temperature_celsius: 'Avg GPU temperature (in Celsius degree), per tile',
  };
  return render(
    Object.entries(rows).map(([name, r]) => ({
      name,
      help: help[name],
      type: 'gauge',
      samples: r.map((x) => x.labels),
      values: r.map((x) => x.value),
    })),
    pyFloat,
  );
}

export const intelXpumExporterController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const namespace = str(ctx.params.namespace) ?? 'default';
  const drop = drops(ctx);
  return {
    start() {
      const nodes = ctx.store.list('nodes').filter((node) => INTEL_RESOURCES.some((r) => allocatable(node, r) > 0));
      nodes.forEach((node, i) => {
        const nodeName = node.metadata.name ?? '';
        servePod(
          ctx,
          {
            namespace,
            name: `intel-xpumanager-${hex(nodeName, 5)}`,
            labels: { app: 'intel-xpumanager' },
            node: nodeName,
            container: 'python-exporter',
            // As the upstream manifest names it: untagged.
            image: 'intel/xpumanager',
            port: { name: 'metrics', containerPort: 29999 },
            hostNetwork: true,
          },
          i,
          () => withoutMetrics(intelExposition(node, heldDevices(ctx.store, nodeName)), drop),
        );
      });
    },
  };
};

// ---------------------------------------------------------------------------------------------
// AWS Neuron Monitor

function neuronExposition(node: KObj, idle: boolean): string {
  const host = node.metadata.name ?? '';
  const devices = allocatable(node, 'aws.amazon.com/neuron') || allocatable(node, 'aws.amazon.com/neurondevice');
  const cores = allocatable(node, 'aws.amazon.com/neuroncore') || devices * 2;
  const instanceType = node.metadata.labels?.['node.kubernetes.io/instance-type'] ?? 'trn1.32xlarge';
  const zone = node.metadata.labels?.['topology.kubernetes.io/zone'] ?? 'us-east-1c';
  const instance: [string, string][] = [
    ['availability_zone', zone],
    ['instance_id', `i-0${hex(host, 16)}`],
    ['instance_name', ''],
    ['instance_type', instanceType],
  ];
  const where: [string, string][] = [
    ['region', zone.replace(/[a-z]$/, '')],
    ['subnet_id', `subnet-0${hex(`${host}/subnet`, 16)}`],
  ];
  const perCore = (extra: [string, string][], core: number, runtime: boolean): [string, string][] => [
    ...instance,
    ...extra,
    ['neuroncore', String(core)],
    ...where.slice(0, 1),
    ...(runtime ? ([['runtime_tag', '367']] as [string, string][]) : []),
    ...where.slice(1),
  ];
  const memory = (name: string, help: string, bytes: number) => ({
    name,
    help,
    type: 'gauge',
    samples: idle ? [] : Array.from({ length: cores }, (_, c) => perCore([['memory_location', 'None']], c, true)),
    values: Array.from({ length: cores }, () => bytes),
  });
  return render(
    [
      memory('neuroncore_memory_usage_constants', 'NeuronCore memory utilization for constants', 196_608),
      memory('neuroncore_memory_usage_model_code', 'NeuronCore memory utilization for model_code', 101_992_512),
      memory('neuroncore_memory_usage_model_shared_scratchpad', 'NeuronCore memory utilization for model_shared_scratchpad', 0),
      memory('neuroncore_memory_usage_runtime_memory', 'NeuronCore memory utilization for runtime_memory', 0),
      memory('neuroncore_memory_usage_tensors', 'NeuronCore memory utilization for tensors', 6_315_872),
      {
        name: 'neuroncore_utilization_ratio',
        help: 'NeuronCore utilization ratio',
        type: 'gauge',
        samples: idle ? [] : Array.from({ length: cores }, (_, c) => perCore([], c, true)),
        values: Array.from({ length: cores }, () => 0.1),
      },
      {
        name: 'neuron_hardware_info',
        type: 'gauge',
        samples: [
          [
            ...instance,
            ['neuron_device_count', String(devices)],
            ['neuroncore_per_device_count', String(Math.round(cores / Math.max(devices, 1)))],
            ...where,
          ],
        ],
        values: [1],
      },
    ],
    pyFloat,
  );
}

export const neuronMonitorController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const namespace = str(ctx.params.namespace) ?? 'kube-system';
  const drop = drops(ctx);
  const idle = ctx.params.idle === true;
  return {
    start() {
      const nodes = ctx.store
        .list('nodes')
        .filter((node) =>
          ['aws.amazon.com/neuron', 'aws.amazon.com/neuroncore', 'aws.amazon.com/neurondevice'].some((r) => allocatable(node, r) > 0),
        );
      nodes.forEach((node, i) => {
        const nodeName = node.metadata.name ?? '';
        servePod(
          ctx,
          {
            namespace,
            name: `neuron-monitor-${hex(nodeName, 5)}`,
            labels: { 'app.kubernetes.io/name': 'neuron-helm-chart-exporter', 'app.kubernetes.io/instance': 'neuron-helm-chart' },
            node: nodeName,
            container: 'neuron-monitor',
            image: 'public.ecr.aws/neuron/neuron-monitor:1.1.0',
            port: { name: 'neuron-monitor', containerPort: 8000 },
          },
          i,
          () => withoutMetrics(neuronExposition(node, idle), drop),
        );
      });
    },
  };
};

// ---------------------------------------------------------------------------------------------
// GKE TPU device plugin

function tpuExposition(node: KObj, held: HeldDevice[]): string {
  const host = node.metadata.name ?? '';
  const chips = allocatable(node, 'google.com/tpu');
  const labels = node.metadata.labels ?? {};
  const model = labels['cloud.google.com/gke-tpu-accelerator'] ?? 'tpu-v5-lite-podslice';
  const topology = labels['cloud.google.com/gke-tpu-topology'] ?? '2x2';
  const nodeId = BigInt(`0x${hex(host, 15)}`).toString();
  const perChip: [string, string][][] = [];
  const nodeLevel: [string, string][][] = [];
  for (let chip = 0; chip < chips; chip++) {
    const id = `${nodeId}-${chip}`;
    nodeLevel.push([
      ['accelerator_id', id],
      ['make', 'cloud-tpu'],
      ['model', model],
      ['tpu_topology', topology],
    ]);
    // The TPU device plugin hands chip <chip> as /dev/accel<chip> (../devices.ts).
    const grant = held.find((g) => g.device === `accel${chip}`);
    if (!grant) continue;
    perChip.push([
      ['accelerator_id', id],
      ['container', grant.container],
      ['make', 'cloud-tpu'],
      ['model', model],
      ['namespace', grant.namespace],
      ['pod', grant.pod],
      ['tpu_topology', topology],
    ]);
  }
  const family = (name: string, samples: [string, string][][], value: number, help?: string) => ({
    name,
    help,
    type: 'gauge',
    samples,
    values: samples.map(() => value),
  });
  return render(
    [
      family('duty_cycle', perChip, 0),
      family('duty_cycle_node', nodeLevel, 0),
      family('memory_bandwidth_utilization', perChip, 0, 'Memory bandwidth utilization of the TPU device'),
      family('memory_bandwidth_utilization_node', nodeLevel, 0),
      family('memory_total', perChip, 17_179_869_184),
      family('memory_used', perChip, 2_147_483_648),
      family('tensorcore_utilization', perChip, 0),
      family('tensorcore_utilization_node', nodeLevel, 0),
    ],
    goFloat,
  );
}

export const tpuDevicePluginMetricsController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const namespace = str(ctx.params.namespace) ?? 'kube-system';
  const drop = drops(ctx);
  return {
    start() {
      const nodes = ctx.store.list('nodes').filter((node) => allocatable(node, 'google.com/tpu') > 0);
      nodes.forEach((node, i) => {
        const nodeName = node.metadata.name ?? '';
        servePod(
          ctx,
          {
            namespace,
            name: `tpu-device-plugin-${hex(nodeName, 5)}`,
            labels: { 'k8s-app': 'tpu-device-plugin' },
            node: nodeName,
            container: 'tpu-device-plugin',
            image: 'tpu-device-plugin',
            port: { name: 'metrics', containerPort: 2112 },
          },
          i,
          () => withoutMetrics(tpuExposition(node, heldDevices(ctx.store, nodeName)), drop),
        );
      });
    },
  };
};
