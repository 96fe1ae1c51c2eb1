// gpu_sharing: at least one GPU sharing strategy works for workloads that need less than a GPU.
// Test plan:
//   1. find the sharing strategies the cluster offers, strongest first:
//      hardware partitions through DRA (NVIDIA MIG devices, DeviceClass mig.nvidia.com),
//      hardware partitions through the device plugin (MIG resources nvidia.com/mig-<profile>, or
//      the single strategy), time-slicing/MPS replicas of the device plugin (GPU Feature
//      Discovery labels nvidia.com/gpu.sharing-strategy, nvidia.com/gpu.replicas), and a DRA
//      ResourceClaim shared by several pods (every DRA driver; dra-example-driver and NVIDIA's
//      driver take a TimeSlicing config);
//   2. show the strongest one working: a pod gets a partition; or more pods than the node has
//      physical GPUs hold a GPU at once; or two pods share one claim at once and see the same
//      device. The report says which strategy was shown and which others are offered.
// Not applicable without accelerators; failed when an NVIDIA or DRA accelerator offers no
// strategy; manual for other device plugins, whose sharing this probe cannot recognise.

import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration } from './options.js';
import { ACCELERATOR_REQUEST, claimTemplate, requireDraApiVersion, servedDra, type DeviceClassObject } from './lib/dra.js';
import { attributeText, slicePage } from './lib/device-attributes.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, describeDevices, devicesSeen, probePod, waitForPod } from './lib/probe-pod.js';
import { PodProblem, unschedulableFails } from './lib/verdicts.js';

type Strategy =
  | { kind: 'dra-partition'; deviceClass: string; profiles: string[] }
  | { kind: 'plugin-partition'; node: string; resource: string; strategy: 'mixed' | 'single' }
  | { kind: 'replicas'; node: string; resource: string; sharing: string; physical: number; replicas: number; allocatable: number }
  | { kind: 'shared-claim'; deviceClass: string; driver?: string };

export const gpuSharingProbe = defineProbe({
  id: 'gpu_sharing',
  shares: ['accelerators'],
  // Above its pod waits (180 s), so they report, not the timeout.
  timeoutMs: 5 * 60_000,
  options: {
    'gpu-sharing.pod-ms': duration(180_000, 'how long each sharing pod may take to hold its accelerator'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  byProfile: {
    example: 'one ResourceClaim shared by two pods (TimeSlicing config)',
    nvidia: 'MIG resources (mixed or single strategy) or time-slicing/MPS replicas, from GPU Feature Discovery labels',
    'nvidia-dra': 'MIG devices (DeviceClass mig.nvidia.com) or one ResourceClaim shared by two pods',
    custom: 'one ResourceClaim shared by two pods (DRA); manual for device plugins it cannot read',
  },
  async run(ctx) {
    if (ctx.profile.available === false) ctx.notApplicable(`no accelerator on this cluster, so there is no GPU to share: ${ctx.profile.detail}`);
    const podMs = ctx.option('gpu-sharing.pod-ms');
    const offered = await ctx.step('a GPU sharing strategy is offered', async () => {
      const strategies = await offeredStrategies(ctx);
      if (strategies.length === 0) {
        const nvidia = (ctx.profile.resourceName ?? '').startsWith('nvidia.com/');
        if (!nvidia) {
          ctx.manual(
            `accelerator ${ctx.profile.resourceName ?? ctx.profile.name} is served by a device plugin whose sharing this probe cannot recognise: attach the device plugin's sharing configuration and the output of two pods holding one accelerator at once (kubectl get pods -o wide)`,
          );
        }
        throw new CheckFailure(
          'no sharing strategy is offered: no MIG partitions (DeviceClass mig.nvidia.com, nvidia.com/mig-* resources, label nvidia.com/mig.strategy), no time-slicing or MPS replicas (label nvidia.com/gpu.sharing-strategy), and no DRA DeviceClass for the accelerator',
        );
      }
      return { seen: `offered: ${strategies.map(describe).join('; ')}`, value: strategies };
    });
    const strongest = offered[0]!;

    await ctx.step(`the ${strongest.kind === 'replicas' ? 'oversubscription' : strongest.kind === 'shared-claim' ? 'shared claim' : 'partition'} strategy works`, async () => {
      const shown =
        strongest.kind === 'replicas'
          ? await showReplicas(ctx, strongest, podMs)
          : strongest.kind === 'shared-claim'
            ? await showSharedClaim(ctx, strongest, podMs)
            : await showPartition(ctx, strongest, podMs);
      return `shown: ${describe(strongest)}: ${shown}`;
    });
  },
});

const NODE_PAGE = 20;
const SLICE_PAGE = 100;
const MIG_CLASS = 'mig.nvidia.com';
/** The most pods the replica check starts (a node with 8 physical GPUs needs 9). */
const MAX_REPLICA_PODS = 9;

/** The opaque TimeSlicing config of the drivers whose API we know (from their demo specs). */
const TIME_SLICING_CONFIG: Record<string, { apiVersion: string }> = {
  'gpu.example.com': { apiVersion: 'gpu.resource.example.com/v1alpha1' },
  'gpu.nvidia.com': { apiVersion: 'resource.nvidia.com/v1beta1' },
};

function describe(strategy: Strategy): string {
  switch (strategy.kind) {
    case 'dra-partition':
      return `MIG partitions through DRA (DeviceClass ${strategy.deviceClass}: ${strategy.profiles.join(', ')})`;
    case 'plugin-partition':
      return `MIG partitions through the device plugin (${strategy.strategy} strategy, ${strategy.resource} on node ${strategy.node})`;
    case 'replicas':
      return `${strategy.sharing} through the device plugin (node ${strategy.node}: ${strategy.physical} physical GPU(s), ${strategy.replicas} replicas each, ${strategy.allocatable} ${strategy.resource} allocatable)`;
    case 'shared-claim':
      return `one DRA claim shared by several pods (DeviceClass ${strategy.deviceClass}${strategy.driver && TIME_SLICING_CONFIG[strategy.driver] ? ', TimeSlicing config' : ''})`;
  }
}

async function labelledNodes(ctx: ProbeContext, selector: string): Promise<V1Node[]> {
  return (await ctx.kube.listPage<V1Node>({ apiVersion: 'v1', kind: 'Node' }, { limit: NODE_PAGE, labelSelector: selector })).items;
}

function count(value: string | undefined): number {
  return value === undefined ? 0 : Number.parseInt(value, 10) || 0;
}

/** Step 1: every strategy offered, strongest first. A few bounded requests. */
async function offeredStrategies(ctx: ProbeContext): Promise<Strategy[]> {
  const found: Strategy[] = [];
  const dra = await servedDra(ctx.kube);
  if (dra.apiVersion) {
    const mig = await ctx.kube.get<DeviceClassObject>({ apiVersion: dra.apiVersion, kind: 'DeviceClass', name: MIG_CLASS });
    if (mig) {
      const page = await slicePage(ctx.kube, dra.apiVersion, { driver: 'gpu.nvidia.com' }, SLICE_PAGE);
      const devices = page.slices.flatMap((slice) => slice.spec?.devices ?? []).filter((d) => attributeText(d, 'gpu.nvidia.com', 'type') === 'mig');
      const profiles = [...new Set(devices.map((d) => attributeText(d, 'gpu.nvidia.com', 'profile') ?? '?'))];
      if (devices.length > 0) found.push({ kind: 'dra-partition', deviceClass: MIG_CLASS, profiles });
    }
  }
  for (const node of await labelledNodes(ctx, 'nvidia.com/mig.strategy in (mixed,single)')) {
    const allocatable = node.status?.allocatable ?? {};
    const strategy = node.metadata?.labels?.['nvidia.com/mig.strategy'] === 'single' ? 'single' : 'mixed';
    const resource = strategy === 'single' ? 'nvidia.com/gpu' : Object.keys(allocatable).find((name) => name.startsWith('nvidia.com/mig-'));
    if (resource) {
      found.push({ kind: 'plugin-partition', node: node.metadata?.name ?? '?', resource, strategy });
      break;
    }
  }
  for (const node of await labelledNodes(ctx, 'nvidia.com/gpu.sharing-strategy in (time-slicing,mps)')) {
    const labels = node.metadata?.labels ?? {};
    const allocatable = node.status?.allocatable ?? {};
    // renameByDefault advertises the replicas as nvidia.com/gpu.shared.
    const resource = allocatable['nvidia.com/gpu.shared'] !== undefined ? 'nvidia.com/gpu.shared' : 'nvidia.com/gpu';
    found.push({
      kind: 'replicas',
      node: node.metadata?.name ?? '?',
      resource,
      sharing: labels['nvidia.com/gpu.sharing-strategy'] ?? '?',
      physical: count(labels['nvidia.com/gpu.count']) || 1,
      replicas: count(labels['nvidia.com/gpu.replicas']),
      allocatable: count(allocatable[resource]),
    });
    break;
  }
  if (dra.apiVersion && ctx.profile.mechanism === 'dra' && ctx.profile.deviceClassName) {
    found.push({ kind: 'shared-claim', deviceClass: ctx.profile.deviceClassName, driver: ctx.profile.driver });
  }
  return found;
}

function pinToNode(pod: V1Pod, node: string): void {
  pod.spec!.affinity = {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } },
  };
}

/** A pod whose accelerator limit is `resource` (a MIG or replica resource) instead of the profile's. */
function pluginPod(ctx: ProbeContext, name: string, resource: string, node: string): V1Pod {
  const pod = probePod(ctx, { name, holdDevice: true, containers: [{ name: 'probe', withAccelerator: false }] });
  const container = pod.spec!.containers[0]!;
  container.resources = { ...container.resources, limits: { ...container.resources?.limits, [resource]: '1' } };
  pod.spec!.tolerations = [...(pod.spec!.tolerations ?? []), { key: resource.split('/')[0] === 'nvidia.com' ? 'nvidia.com/gpu' : resource, operator: 'Exists', effect: 'NoSchedule' }];
  pinToNode(pod, node);
  return pod;
}

async function holdAll(ctx: ProbeContext, names: string[], podMs: number): Promise<V1Pod[]> {
  const waits = names.map((name) => waitForPod(ctx, name, 'printed', podMs));
  for (const wait of waits) wait.catch(() => undefined);
  return Promise.all(waits);
}

async function deletePods(ctx: ProbeContext, names: string[]): Promise<void> {
  for (const name of names) await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name });
}

async function showPartition(ctx: ProbeContext, strategy: Extract<Strategy, { kind: 'dra-partition' | 'plugin-partition' }>, podMs: number): Promise<string> {
  const name = 'gpu-sharing-partition';
  if (strategy.kind === 'dra-partition') {
    const apiVersion = await requireDraApiVersion(ctx.kube);
    await ctx.kube.create(claimTemplate(apiVersion, 'gpu-sharing-partition', strategy.deviceClass, ctx.kube.runId));
    await ctx.kube.create(probePod(ctx, { name, holdDevice: true, claimTemplateName: 'gpu-sharing-partition', containers: [{ name: 'probe', withAccelerator: true }] }));
  } else {
    await ctx.kube.create(pluginPod(ctx, name, strategy.resource, strategy.node));
  }
  try {
    const [pod] = await holdAll(ctx, [name], podMs).catch(unschedulableFails);
    const devices = await devicesSeen(ctx, name, 'probe');
    if (devices.length === 0) throw new CheckFailure(`pod ${name} got a partition (${describe(strategy)}) but sees no device`);
    return `pod ${name} holds a partition on node ${pod?.spec?.nodeName ?? '?'} and sees ${describeDevices(devices)}`;
  } finally {
    await deletePods(ctx, [name]);
  }
}

async function showReplicas(ctx: ProbeContext, strategy: Extract<Strategy, { kind: 'replicas' }>, podMs: number): Promise<string> {
  const wanted = strategy.physical + 1;
  if (strategy.allocatable < wanted) {
    throw new CheckFailure(`node ${strategy.node} is labelled ${strategy.sharing} with ${strategy.replicas} replicas, but offers ${strategy.allocatable} ${strategy.resource} for ${strategy.physical} physical GPU(s): no oversubscription`);
  }
  if (wanted > MAX_REPLICA_PODS) throw new Error(`node ${strategy.node} has ${strategy.physical} physical GPUs; showing oversubscription would take ${wanted} pods (at most ${MAX_REPLICA_PODS})`);
  const names = Array.from({ length: wanted }, (_, i) => `gpu-sharing-replica-${i}`);
  try {
    for (const name of names) await ctx.kube.create(pluginPod(ctx, name, strategy.resource, strategy.node));
    await holdAll(ctx, names, podMs).catch((error: unknown) => {
      // Pinned pods that do not fit may only mean other probes hold replicas right now.
      if (error instanceof PodProblem && error.kind === 'unschedulable') throw new Error(`could not place ${wanted} pods on node ${strategy.node} (its replicas may be in use): ${error.message}`);
      throw error;
    });
    return `${wanted} pods each hold one ${strategy.resource} at once on node ${strategy.node}, which has ${strategy.physical} physical GPU(s)`;
  } finally {
    await deletePods(ctx, names);
  }
}

async function showSharedClaim(ctx: ProbeContext, strategy: Extract<Strategy, { kind: 'shared-claim' }>, podMs: number): Promise<string> {
  const apiVersion = await requireDraApiVersion(ctx.kube);
  const template = claimTemplate(apiVersion, 'gpu-sharing-shared', strategy.deviceClass, ctx.kube.runId);
  const devices = template.spec.spec.devices;
  const known = strategy.driver ? TIME_SLICING_CONFIG[strategy.driver] : undefined;
  if (known && strategy.driver) {
    devices.config = [{ requests: [ACCELERATOR_REQUEST], opaque: { driver: strategy.driver, parameters: { apiVersion: known.apiVersion, kind: 'GpuConfig', sharing: { strategy: 'TimeSlicing' } } } }];
  }
  await ctx.kube.create({ apiVersion, kind: 'ResourceClaim', metadata: { name: 'gpu-sharing-shared' }, spec: { devices } });
  const names = ['gpu-sharing-sharer-a', 'gpu-sharing-sharer-b'];
  try {
    for (const name of names) {
      // probePod wires the container to the pod's claim; that claim is the shared ResourceClaim, not a template's.
      const pod = probePod(ctx, { name, holdDevice: true, claimTemplateName: 'gpu-sharing-shared', containers: [{ name: 'probe', withAccelerator: true }] });
      pod.spec!.resourceClaims = [{ name: ACCELERATOR_REQUEST, resourceClaimName: 'gpu-sharing-shared' }];
      await ctx.kube.create(pod);
    }
    const pods = await holdAll(ctx, names, podMs).catch(unschedulableFails);
    const seen = await Promise.all(names.map((name) => devicesSeen(ctx, name, 'probe')));
    const [a = [], b = []] = seen;
    const text = `${names[0]} on ${pods[0]?.spec?.nodeName ?? '?'} sees ${describeDevices(a)}; ${names[1]} on ${pods[1]?.spec?.nodeName ?? '?'} sees ${describeDevices(b)}`;
    if (a.length === 0 || b.length === 0) throw new CheckFailure(`two pods share claim gpu-sharing-shared but one sees no device (${text})`);
    if (!a.some((device) => b.includes(device))) throw new CheckFailure(`two pods of one shared claim see different devices (${text})`);
    return `two pods hold claim gpu-sharing-shared at once and share its device: ${text}`;
  } finally {
    await deletePods(ctx, names);
  }
}
