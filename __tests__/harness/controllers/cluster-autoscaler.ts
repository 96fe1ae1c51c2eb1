// Simulated cluster-autoscaler (behaviour `cluster-autoscaler`) with one node group, modelled on
// the kwok cloud provider: it writes kube-system/cluster-autoscaler-status; when a pod is
// Unschedulable and the group is below maxSize it adds a node built from the group's template
// (after scaleUpDelayMs), with a ResourceSlice when the template names a DRA driver; a group node
// that has carried no running pod for scaleDownDelayMs is removed (with its slices).
// Parameters: namePrefix (ca-gpu-), maxSize (default 2), labels, allocatable (e.g.
// nvidia.com/gpu: "1"), taints, dra: { driver, devices, attributes } (ResourceSlice for new
// nodes; attributes are added to every device, e.g. { type: { string: gpu } }),
// scaleUpDelayMs (default 0), scaleDownDelayMs (default 0), scaleUp (default true; false: an
// autoscaler that never adds nodes).
import type { KObj } from '../types.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import { numberParam } from './monitoring-model.js';
import { arr, isTerminal, rec, str } from './workload-model.js';

const GROUP_LABEL = 'cluster-autoscaler.kwok.nodegroup/name';
const GROUP_NAME = 'ai-accelerators';

function statusText(health: string, ready: number, max: number, event: string): string {
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return [
    `Cluster-autoscaler status at ${time}:`,
    'Cluster-wide:',
    `  Health:      ${health} (ready=${ready} registered=${ready} longUnregistered=0)`,
    `               LastProbeTime:      ${time}`,
    `  ScaleUp:     ${event}`,
    '',
    'NodeGroups:',
    `  Name:        ${GROUP_NAME}`,
    `  Health:      Healthy (ready=${ready} cloudProviderTarget=${ready} (minSize=0, maxSize=${max}))`,
    '',
  ].join('\n');
}

export const clusterAutoscalerController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const prefix = str(ctx.params.namePrefix) ?? 'ca-gpu-';
  const maxSize = numberParam(ctx.params, 'maxSize', 2);
  const scaleUpDelayMs = numberParam(ctx.params, 'scaleUpDelayMs', 0);
  const scaleDownDelayMs = numberParam(ctx.params, 'scaleDownDelayMs', 0);
  const scaleUp = ctx.params.scaleUp !== false;
  const labels = rec(ctx.params.labels) as Record<string, string>;
  const allocatable = rec(ctx.params.allocatable) as Record<string, string>;
  const taints = arr(ctx.params.taints);
  const dra = rec(ctx.params.dra);
  const unsubscribe: (() => void)[] = [];
  const emptySince = new Map<string, number>();
  let provisioning = 0;
  let counter = 0;

  const groupNodes = (): KObj[] => ctx.store.list('nodes').filter((node) => node.metadata.labels?.[GROUP_LABEL] === GROUP_NAME);

  const writeStatus = (event: string): void => {
    const data = { status: statusText('Healthy', groupNodes().length, maxSize, event) };
    const existing = ctx.store.get('configmaps', 'kube-system', 'cluster-autoscaler-status');
    if (!existing) {
      ctx.store.create('configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cluster-autoscaler-status', namespace: 'kube-system', annotations: { 'cluster-autoscaler.kubernetes.io/last-updated': new Date().toISOString() } },
        data,
      } as KObj);
    } else {
      ctx.store.mutate('configmaps', 'kube-system', 'cluster-autoscaler-status', (obj) => ({ ...obj, data }));
    }
  };

  const addNode = (): void => {
    const name = `${prefix}${++counter}`;
    const capacity = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi', ...allocatable };
    ctx.store.create('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', [GROUP_LABEL]: GROUP_NAME, ...labels },
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
      },
      spec: { providerID: `kwok:${name}`, ...(taints.length ? { taints } : {}) },
      status: {
        capacity,
        allocatable: capacity,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
        nodeInfo: { kubeletVersion: `v${ctx.scenario.kubernetesVersion}.0`, architecture: 'amd64', operatingSystem: 'linux' },
      },
    } as KObj);
    const driver = str(dra.driver);
    const sliceInfo = ctx.registry.byKey('resourceslices.resource.k8s.io');
    if (driver && sliceInfo) {
      const devices = Array.from({ length: Number(dra.devices ?? 1) }, (_, index) => ({
        name: `gpu-${index}`,
        attributes: { ...rec(dra.attributes), index: { int: index }, uuid: { string: `gpu-${name}-${index}` } },
        capacity: { memory: { value: '80Gi' } },
      }));
      ctx.store.create('resourceslices.resource.k8s.io', {
        apiVersion: `${sliceInfo.group}/${sliceInfo.version}`,
        kind: 'ResourceSlice',
        metadata: { name: `${name}-${driver}`, labels: { [GROUP_LABEL]: GROUP_NAME } },
        spec: { driver, nodeName: name, pool: { name, generation: 1, resourceSliceCount: 1 }, devices },
      } as KObj);
    }
    writeStatus(`InProgress (added node ${name})`);
  };

  const removeNode = (name: string): void => {
    if (ctx.registry.byKey('resourceslices.resource.k8s.io')) {
      for (const slice of ctx.store.list('resourceslices.resource.k8s.io')) {
        if (rec(slice.spec).nodeName === name) ctx.store.delete('resourceslices.resource.k8s.io', undefined, slice.metadata.name ?? '');
      }
    }
    ctx.store.delete('nodes', undefined, name);
    emptySince.delete(name);
    writeStatus(`NoActivity (removed idle node ${name})`);
  };

  const unschedulable = (pod: KObj): boolean =>
    !rec(pod.spec).nodeName &&
    !isTerminal(pod) &&
    arr(rec(pod.status).conditions).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');

  const reconcile = (): void => {
    const nodes = groupNodes();
    const pending = ctx.store.list('pods').filter(unschedulable).length;
    if (scaleUp && pending > provisioning && nodes.length + provisioning < maxSize) {
      provisioning++;
      ctx.after(scaleUpDelayMs, () => {
        provisioning--;
        addNode();
      });
    }
    const pods = ctx.store.list('pods').filter((pod) => !isTerminal(pod) && rec(pod.spec).nodeName);
    const now = Date.now();
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      if (pods.some((pod) => rec(pod.spec).nodeName === name)) {
        emptySince.delete(name);
        continue;
      }
      const since = emptySince.get(name) ?? now;
      emptySince.set(name, since);
      if (now - since >= scaleDownDelayMs) removeNode(name);
      // Timers may fire a little early: check again when the delay has really passed.
      else ctx.after(Math.max(1, scaleDownDelayMs - (now - since)), reconcile);
    }
  };

  return {
    start() {
      writeStatus('NoActivity');
      // Coalesced: one pass per burst of pod/node events, not one per event (large clusters).
      let queued = false;
      const kick = (): void => {
        if (queued) return;
        queued = true;
        ctx.after(0, () => {
          queued = false;
          reconcile();
        });
      };
      unsubscribe.push(ctx.watch(['pods', 'nodes'], kick, { replay: false }));
      kick();
    },
    stop() {
      for (const fn of unsubscribe) fn();
    },
  };
};
