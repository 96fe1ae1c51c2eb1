// Simulated cluster-autoscaler (behaviour `cluster-autoscaler`), modelled on cluster-autoscaler
// 1.35 with the kwok cloud provider. It runs in `namespace` (default kube-system), where it
// writes its status ConfigMap `cluster-autoscaler-status` in the YAML format CA >= 1.30 writes,
// at start and every scan interval. For each Unschedulable pod it looks for a node group whose
// template node would fit the pod (labels against the pod's node selector and affinity, taints
// against its tolerations, extended resources, DRA claims against the template's devices):
// the first one below its maxSize grows by a node (after scaleUpDelayMs), with a
// ResourceSlice when the template names a DRA driver, and the pod gets a TriggeredScaleUp event;
// when no group fits, the pod gets NotTriggerScaleUp saying why, as the real autoscaler does.
// A group node that has carried no running pod for scaleDownDelayMs is removed (with its slices).
//
// Parameters: namespace; nodeGroups (list of groups: name, namePrefix, maxSize, labels,
// allocatable, taints, dra: { driver, devices, attributes }), or those fields at the top level
// for one group named ai-accelerators; scaleUpDelayMs, scaleDownDelayMs (default 0);
// scanIntervalMs (default 10000); scaleUp (default true; false: reports itself, never adds a node).
import { stringify } from 'yaml';
import { allocateClaim, CLAIMS, type Device, podClaimNames } from '../dra.js';
import { fakeUuid } from '../devices.js';
import type { KObj } from '../types.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import { numberParam } from './monitoring-model.js';
import { affinityMatches, podRequests, tolerates, type Taint } from './scheduler.js';
import { recordEvent } from './util.js';
import { arr, isTerminal, quantity, rec, str } from './workload-model.js';

const GROUP_LABEL = 'cluster-autoscaler.kwok.nodegroup/name';
const STATUS_NAME = 'cluster-autoscaler-status';
const BASE_CAPACITY: Record<string, string> = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };

interface NodeGroup {
  name: string;
  prefix: string;
  maxSize: number;
  labels: Record<string, string>;
  allocatable: Record<string, string>;
  taints: Taint[];
  dra: { driver?: string; devices: number; attributes: Record<string, unknown> };
}

function groupFrom(params: Record<string, unknown>, fallbackName: string): NodeGroup {
  const dra = rec(params.dra);
  return {
    name: str(params.name) ?? fallbackName,
    prefix: str(params.namePrefix) ?? 'ca-gpu-',
    maxSize: numberParam(params, 'maxSize', 2),
    labels: rec(params.labels) as Record<string, string>,
    allocatable: rec(params.allocatable) as Record<string, string>,
    taints: arr(params.taints) as unknown as Taint[],
    dra: { driver: str(dra.driver), devices: Number(dra.devices ?? 1), attributes: rec(dra.attributes) },
  };
}

/** CA's time format (Go's time.Time.String() in UTC). */
function caTime(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.(\d+)Z$/, '.$1000000 +0000 UTC');
}

export const clusterAutoscalerController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const namespace = str(ctx.params.namespace) ?? 'kube-system';
  const scaleUpDelayMs = numberParam(ctx.params, 'scaleUpDelayMs', 0);
  const scaleDownDelayMs = numberParam(ctx.params, 'scaleDownDelayMs', 0);
  const scanIntervalMs = numberParam(ctx.params, 'scanIntervalMs', 10_000);
  const scaleUp = ctx.params.scaleUp !== false;
  const groups: NodeGroup[] = Array.isArray(ctx.params.nodeGroups)
    ? arr(ctx.params.nodeGroups).map((g, i) => groupFrom(g, `group-${i}`))
    : [groupFrom(ctx.params, 'ai-accelerators')];
  const unsubscribe: (() => void)[] = [];
  const emptySince = new Map<string, number>();
  const provisioning = new Map<string, number>();
  /** Pods already answered (scale-up triggered or refused), by uid. */
  const decided = new Map<string, string>();
  const started = new Date();
  let counter = 0;
  let lastScaleUp = 'NoActivity';
  let lastChange = new Date();

  const groupNodes = (group: NodeGroup): KObj[] =>
    ctx.store.list('nodes').filter((node) => node.metadata.labels?.[GROUP_LABEL] === group.name);

  const writeStatus = (): void => {
    const now = new Date();
    const probe = now.toISOString();
    const nodeGroups = groups.map((group) => {
      const ready = groupNodes(group).length;
      return {
        name: group.name,
        health: {
          status: 'Healthy',
          nodeCounts: {
            registered: { total: ready, ready, notStarted: 0, unready: { total: 0, resourceUnready: 0 } },
            longUnregistered: 0,
            unregistered: 0,
          },
          cloudProviderTarget: ready + (provisioning.get(group.name) ?? 0),
          minSize: 0,
          maxSize: group.maxSize,
          lastProbeTime: probe,
          lastTransitionTime: started.toISOString(),
        },
        scaleUp: {
          status: (provisioning.get(group.name) ?? 0) > 0 ? 'InProgress' : 'NoActivity',
          lastProbeTime: probe,
          lastTransitionTime: lastChange.toISOString(),
        },
        scaleDown: { status: 'NoCandidates', lastProbeTime: probe, lastTransitionTime: started.toISOString() },
      };
    });
    const status = {
      time: caTime(now),
      autoscalerStatus: 'Running',
      clusterWide: {
        health: { status: 'Healthy', lastProbeTime: probe, lastTransitionTime: started.toISOString() },
        scaleUp: { status: lastScaleUp, lastProbeTime: probe, lastTransitionTime: lastChange.toISOString() },
        scaleDown: { status: 'NoCandidates', lastProbeTime: probe, lastTransitionTime: started.toISOString() },
      },
      nodeGroups,
    };
    const data = { status: stringify(status) };
    const annotations = { 'cluster-autoscaler.kubernetes.io/last-updated': caTime(now) };
    if (!ctx.store.get('namespaces', undefined, namespace)) {
      ctx.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    }
    if (!ctx.store.get('configmaps', namespace, STATUS_NAME)) {
      ctx.store.create('configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: STATUS_NAME, namespace, annotations },
        data,
      });
    } else {
      ctx.store.mutate('configmaps', namespace, STATUS_NAME, (obj) => ({
        ...obj,
        metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, ...annotations } },
        data,
      }));
    }
  };

  const templateDevices = (group: NodeGroup, nodeName: string): Device[] => {
    const driver = group.dra.driver;
    if (!driver) return [];
    return Array.from({ length: group.dra.devices }, (_, index) => {
      const attributes: Record<string, unknown> = {
        ...group.dra.attributes,
        index: { int: index },
        // NVIDIA's DRA driver publishes each GPU's own UUID (GPU-...), which dcgm-exporter reports too.
        uuid: { string: driver === 'gpu.nvidia.com' ? fakeUuid('GPU', `${nodeName}/gpu/${index}`) : `gpu-${nodeName}-${index}` },
      };
      const byDomain: Record<string, Record<string, string | number | boolean>> = { [driver]: {} };
      for (const [k, v] of Object.entries(attributes)) {
        const value = rec(v).string ?? rec(v).int ?? rec(v).bool;
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') byDomain[driver][k] = value;
      }
      return { driver, pool: nodeName, name: `gpu-${index}`, nodeName, cel: { driver, attributes: byDomain }, attributes };
    });
  };

  /** Why the group's template node would not take the pod; undefined when it would. */
  const misfit = (group: NodeGroup, pod: KObj): string | undefined => {
    const template: KObj = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `${group.prefix}template`, labels: { [GROUP_LABEL]: group.name, ...group.labels } },
    };
    const selector = rec(rec(pod.spec).nodeSelector);
    const labels = template.metadata.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v) || !affinityMatches(pod, template))
      return "node(s) didn't match Pod's node affinity/selector";
    const untolerated = group.taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod, t));
    if (untolerated) return `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`;
    const capacity = { ...BASE_CAPACITY, ...group.allocatable };
    for (const [resource, amount] of podRequests(pod)) {
      if (amount > 0 && quantity((capacity as Record<string, string>)[resource] ?? '0') < amount) return `Insufficient ${resource}`;
    }
    const devices = templateDevices(group, template.metadata.name ?? '');
    for (const claimName of podClaimNames(pod).values()) {
      const claim = claimName && ctx.registry.byKey(CLAIMS) ? ctx.store.get(CLAIMS, pod.metadata.namespace, claimName) : undefined;
      if (!claim) return 'waiting for resource claims';
      const outcome = allocateClaim(ctx.store, claim, template.metadata.name ?? '', new Set<string>(), devices);
      if (!outcome.ok) return 'cannot allocate all claims';
    }
    return undefined;
  };

  const addNode = (group: NodeGroup): void => {
    const name = `${group.prefix}${++counter}`;
    const capacity = { ...BASE_CAPACITY, ...group.allocatable };
    ctx.store.create('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', [GROUP_LABEL]: group.name, ...group.labels },
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
      },
      spec: { providerID: `kwok:${name}`, ...(group.taints.length ? { taints: group.taints } : {}) },
      status: {
        capacity,
        allocatable: capacity,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastHeartbeatTime: new Date().toISOString(),
            lastTransitionTime: new Date().toISOString(),
          },
        ],
        // What a kubelet registers a node with (its first status holds nodeInfo): the added node
        // runs pods like every other one here, so it reports a container runtime as they do.
        // (The kwok provider's own nodes say kwok-0.8.0; a probe landing on one must not fail.)
        nodeInfo: {
          kubeletVersion: `v${ctx.scenario.kubernetesVersion}.0`,
          kubeProxyVersion: `v${ctx.scenario.kubernetesVersion}.0`,
          containerRuntimeVersion: 'containerd://2.1.0',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.8.0',
          architecture: 'amd64',
          operatingSystem: 'linux',
        },
      },
    });
    const driver = group.dra.driver;
    const sliceInfo = ctx.registry.byKey('resourceslices.resource.k8s.io');
    if (driver && sliceInfo) {
      const devices = templateDevices(group, name).map((d) => ({
        name: d.name,
        attributes: d.attributes,
        capacity: { memory: { value: '80Gi' } },
      }));
      ctx.store.create('resourceslices.resource.k8s.io', {
        apiVersion: `${sliceInfo.group}/${sliceInfo.version}`,
        kind: 'ResourceSlice',
        metadata: { name: `${name}-${driver}`, labels: { [GROUP_LABEL]: group.name } },
        spec: { driver, nodeName: name, pool: { name, generation: 1, resourceSliceCount: 1 }, devices },
      });
    }
    lastScaleUp = 'NoActivity';
    lastChange = new Date();
    writeStatus();
  };

  const removeNode = (name: string): void => {
    if (ctx.registry.byKey('resourceslices.resource.k8s.io')) {
      for (const slice of ctx.store.list('resourceslices.resource.k8s.io')) {
        if (rec(slice.spec).nodeName === name) ctx.store.delete('resourceslices.resource.k8s.io', undefined, slice.metadata.name ?? '');
      }
    }
    ctx.store.delete('nodes', undefined, name);
    emptySince.delete(name);
    lastChange = new Date();
    writeStatus();
  };

  const unschedulable = (pod: KObj): boolean =>
    !rec(pod.spec).nodeName &&
    !isTerminal(pod) &&
    arr(rec(pod.status).conditions).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');

  const decide = (pod: KObj): void => {
    const uid = pod.metadata.uid ?? '';
    if (decided.has(uid)) return;
    const reasons = new Map<string, number>();
    for (const group of groups) {
      const why = misfit(group, pod);
      if (why === 'waiting for resource claims') return; // decided once the claim exists
      const size = groupNodes(group).length + (provisioning.get(group.name) ?? 0);
      const reason = why ?? (size >= group.maxSize ? 'max node group size reached' : undefined);
      if (reason) {
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        continue;
      }
      decided.set(uid, group.name);
      provisioning.set(group.name, (provisioning.get(group.name) ?? 0) + 1);
      lastScaleUp = 'InProgress';
      lastChange = new Date();
      recordEvent(
        ctx.store,
        pod,
        'Normal',
        'TriggeredScaleUp',
        `pod triggered scale-up: [{${group.name} ${size}->${size + 1} (max: ${group.maxSize})}]`,
        'cluster-autoscaler',
      );
      writeStatus();
      ctx.after(scaleUpDelayMs, () => {
        provisioning.set(group.name, (provisioning.get(group.name) ?? 1) - 1);
        addNode(group);
      });
      return;
    }
    decided.set(uid, '');
    const detail = [...reasons]
      .map(([r, n]) => `${n} ${r}`)
      .sort()
      .join(', ');
    recordEvent(ctx.store, pod, 'Normal', 'NotTriggerScaleUp', `pod didn't trigger scale-up: ${detail}`, 'cluster-autoscaler');
  };

  const reconcile = (): void => {
    const pods = ctx.store.list('pods');
    if (scaleUp) for (const pod of pods.filter(unschedulable)) decide(pod);
    for (const uid of decided.keys()) if (!pods.some((p) => p.metadata.uid === uid && unschedulable(p))) decided.delete(uid);
    const placed = pods.filter((pod) => !isTerminal(pod) && rec(pod.spec).nodeName);
    const now = Date.now();
    for (const group of groups) {
      for (const node of groupNodes(group)) {
        const name = node.metadata.name ?? '';
        if (placed.some((pod) => rec(pod.spec).nodeName === name)) {
          emptySince.delete(name);
          continue;
        }
        const since = emptySince.get(name) ?? now;
        emptySince.set(name, since);
        if (now - since >= scaleDownDelayMs) removeNode(name);
        // Timers may fire a little early: check again when the delay has really passed.
        else ctx.after(Math.max(1, scaleDownDelayMs - (now - since)), reconcile);
      }
    }
  };

  return {
    start() {
      writeStatus();
      const rescan = (): void => {
        writeStatus();
        ctx.after(scanIntervalMs, rescan);
      };
      ctx.after(scanIntervalMs, rescan);
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
      if (ctx.registry.byKey(CLAIMS)) unsubscribe.push(ctx.watch(CLAIMS, kick, { replay: false }));
      kick();
    },
    stop() {
      for (const fn of unsubscribe) fn();
    },
  };
};
