// gpu_sharing: at least one GPU sharing strategy works for workloads that need less than a GPU.
// Test plan:
//   1. find the sharing strategies the cluster offers, strongest first:
//      hardware partitions through DRA (NVIDIA MIG devices, DeviceClass mig.nvidia.com),
//      hardware partitions through the device plugin (MIG resources nvidia.com/mig-<profile>, or
//      the single strategy with GFD's MIG product label, e.g. A100-SXM4-40GB-MIG-1g.5gb),
//      time-slicing/MPS replicas of the device plugin (GPU Feature Discovery labels
//      nvidia.com/gpu.sharing-strategy, nvidia.com/gpu.replicas, nvidia.com/gpu.count), and time-
//      slicing through DRA (a ResourceClaim with the driver's TimeSlicing config, shared by two
//      pods: dra-example-driver and NVIDIA's driver);
//   2. show the strongest one working: a pod gets a partition and sees a MIG device; or more pods
//      than the node has physical GPUs hold a replica at once and two of them see the same GPU; or
//      two pods share one time-sliced claim at once and see the same device. The report says which
//      strategy was shown and which others are offered.
// Not applicable without accelerators; failed when an NVIDIA accelerator offers no strategy;
// manual for device plugins and DRA drivers whose sharing this probe cannot recognise (two pods
// on one claim is core DRA, not a sharing strategy, unless the driver is configured to share).

import type { V1Pod } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration } from './options.js';
import { ACCELERATOR_REQUEST, claimTemplate, requireDraApiVersion, servedDra, type DeviceClassObject } from './lib/dra.js';
import { attributeText, slicePage } from './lib/device-attributes.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, describeDevices, devicesSeen, probePod, waitForPod } from './lib/probe-pod.js';
import { countOf, labelledNodes } from './lib/nodes.js';
import { PodProblem, unschedulableFails } from './lib/verdicts.js';

type Strategy =
  | { kind: 'dra-partition'; deviceClass: string; profiles: string[] }
  | { kind: 'plugin-partition'; node: string; resource: string; strategy: 'mixed' | 'single' }
  | { kind: 'replicas'; node: string; resource: string; sharing: string; physical?: number; replicas: number; allocatable: number }
  | { kind: 'shared-claim'; deviceClass: string; driver: string; config: { apiVersion: string } };

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
    'nvidia-dra': 'MIG devices (DeviceClass mig.nvidia.com) or one time-sliced ResourceClaim shared by two pods',
    custom:
      "a time-sliced ResourceClaim shared by two pods where it knows the DRA driver's config (dra-example-driver, NVIDIA); else manual",
  },
  async run(ctx) {
    if (ctx.profile.available === false)
      ctx.notApplicable(`no accelerator on this cluster, so there is no GPU to share: ${ctx.profile.detail}`);
    const podMs = ctx.option('gpu-sharing.pod-ms');
    const offered = await ctx.step('a GPU sharing strategy is offered', async () => {
      const strategies = await offeredStrategies(ctx);
      if (strategies.length === 0) {
        const nvidia = (ctx.profile.resourceName ?? '').startsWith('nvidia.com/');
        if (ctx.profile.mechanism === 'dra' && ctx.profile.deviceClassName) {
          ctx.manual(
            `the DRA accelerator (DeviceClass ${ctx.profile.deviceClassName}${ctx.profile.driver ? `, driver ${ctx.profile.driver}` : ''}) has no sharing configuration this probe knows (TimeSlicing for ${Object.keys(TIME_SLICING_CONFIG).join(', ')}), and two pods on one ResourceClaim is core DRA, not sharing: attach the driver's sharing configuration (time-slicing, MPS or partitions) and the devices two pods sharing one GPU see (nvidia-smi -L or the vendor's tool in each)`,
          );
        }
        if (!nvidia) {
          ctx.manual(
            `accelerator ${ctx.profile.resourceName ?? ctx.profile.name} is served by a device plugin whose sharing this probe cannot recognise: attach the device plugin's sharing configuration and the output of two pods holding one accelerator at once (kubectl get pods -o wide)`,
          );
        }
        throw new CheckFailure(
          'no sharing strategy is offered: no MIG partitions (DeviceClass mig.nvidia.com, nvidia.com/mig-* resources, label nvidia.com/mig.strategy=single with a MIG product label), no time-slicing or MPS replicas (label nvidia.com/gpu.sharing-strategy), and no DRA DeviceClass for the accelerator',
        );
      }
      return { seen: `offered: ${strategies.map(describe).join('; ')}`, value: strategies };
    });
    const strongest = offered[0];

    await ctx.step(
      `the ${strongest.kind === 'replicas' ? 'oversubscription' : strongest.kind === 'shared-claim' ? 'shared claim' : 'partition'} strategy works`,
      async () => {
        const shown =
          strongest.kind === 'replicas'
            ? await showReplicas(ctx, strongest, podMs)
            : strongest.kind === 'shared-claim'
              ? await showSharedClaim(ctx, strongest, podMs)
              : await showPartition(ctx, strongest, podMs);
        return `shown: ${describe(strongest)}: ${shown}`;
      },
    );
  },
});

const SLICE_PAGE = 100;
const MIG_CLASS = 'mig.nvidia.com';
/** GFD's product label under the single strategy on a partitioned GPU: A100-SXM4-40GB-MIG-1g.5gb. */
const MIG_PRODUCT = /-MIG-\d+g\.\d+gb$/;
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
      return `${strategy.sharing} through the device plugin (node ${strategy.node}: ${strategy.physical ?? 'an unknown number of'} physical GPU(s), ${strategy.replicas} replicas each, ${strategy.allocatable} ${strategy.resource} allocatable)`;
    case 'shared-claim':
      return `one DRA claim shared by several pods (DeviceClass ${strategy.deviceClass}, TimeSlicing config)`;
  }
}

/** Step 1: every strategy offered, strongest first. A few bounded requests. */
async function offeredStrategies(ctx: ProbeContext): Promise<Strategy[]> {
  const found: Strategy[] = [];
  // The two node searches do not depend on the DRA reads: all sent together, judged in order.
  const migNodes = labelledNodes(ctx, 'nvidia.com/mig.strategy in (mixed,single)');
  const sharingNodes = labelledNodes(ctx, 'nvidia.com/gpu.sharing-strategy in (time-slicing,mps)');
  for (const pending of [migNodes, sharingNodes]) pending.catch(() => undefined);
  const dra = await servedDra(ctx.kube);
  if (dra.apiVersion) {
    const mig = await ctx.kube.get<DeviceClassObject>({ apiVersion: dra.apiVersion, kind: 'DeviceClass', name: MIG_CLASS });
    if (mig) {
      const page = await slicePage(ctx.kube, dra.apiVersion, { driver: 'gpu.nvidia.com' }, SLICE_PAGE);
      const devices = page.slices
        .flatMap((slice) => slice.spec?.devices ?? [])
        .filter((d) => attributeText(d, 'gpu.nvidia.com', 'type') === 'mig');
      const profiles = [...new Set(devices.map((d) => attributeText(d, 'gpu.nvidia.com', 'profile') ?? '?'))];
      if (devices.length > 0) found.push({ kind: 'dra-partition', deviceClass: MIG_CLASS, profiles });
    }
  }
  for (const node of await migNodes) {
    const allocatable = node.status?.allocatable ?? {};
    const labels = node.metadata?.labels ?? {};
    const strategy = labels['nvidia.com/mig.strategy'] === 'single' ? 'single' : 'mixed';
    // The single strategy label is set whether or not MIG mode is on; GFD names the MIG profile
    // in the product label only when the GPUs are partitioned.
    const partitioned = strategy === 'mixed' || MIG_PRODUCT.test(labels['nvidia.com/gpu.product'] ?? '');
    const resource = !partitioned
      ? undefined
      : strategy === 'single'
        ? 'nvidia.com/gpu'
        : Object.keys(allocatable).find((name) => name.startsWith('nvidia.com/mig-'));
    if (resource) {
      found.push({ kind: 'plugin-partition', node: node.metadata?.name ?? '?', resource, strategy });
      break;
    }
  }
  for (const node of await sharingNodes) {
    const labels = node.metadata?.labels ?? {};
    const allocatable: Partial<Record<string, string>> = node.status?.allocatable ?? {};
    // renameByDefault advertises the replicas as nvidia.com/gpu.shared.
    const resource = allocatable['nvidia.com/gpu.shared'] !== undefined ? 'nvidia.com/gpu.shared' : 'nvidia.com/gpu';
    found.push({
      kind: 'replicas',
      node: node.metadata?.name ?? '?',
      resource,
      sharing: labels['nvidia.com/gpu.sharing-strategy'] ?? '?',
      physical: countOf(labels['nvidia.com/gpu.count']),
      replicas: countOf(labels['nvidia.com/gpu.replicas']) ?? 0,
      allocatable: countOf(allocatable[resource]) ?? 0,
    });
    break;
  }
  const config = ctx.profile.driver ? TIME_SLICING_CONFIG[ctx.profile.driver] : undefined;
  if (dra.apiVersion && ctx.profile.mechanism === 'dra' && ctx.profile.deviceClassName && ctx.profile.driver && config) {
    found.push({ kind: 'shared-claim', deviceClass: ctx.profile.deviceClassName, driver: ctx.profile.driver, config });
  }
  return found;
}

/** A pod holding one `resource` (a MIG or replica resource) on `node`, listing the devices it sees. */
function pluginPod(ctx: ProbeContext, name: string, resource: string, node: string): V1Pod {
  return probePod(ctx, { name, holdDevice: true, resource, node, containers: [{ name: 'probe', withAccelerator: true }] });
}

async function holdAll(ctx: ProbeContext, names: string[], podMs: number): Promise<V1Pod[]> {
  const waits = names.map((name) => waitForPod(ctx, name, 'printed', podMs));
  for (const wait of waits) wait.catch(() => undefined);
  return Promise.all(waits);
}

async function deletePods(ctx: ProbeContext, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name })));
}

async function showPartition(
  ctx: ProbeContext,
  strategy: Extract<Strategy, { kind: 'dra-partition' | 'plugin-partition' }>,
  podMs: number,
): Promise<string> {
  const name = 'gpu-sharing-partition';
  if (strategy.kind === 'dra-partition') {
    const apiVersion = await requireDraApiVersion(ctx.kube);
    await ctx.kube.create(claimTemplate(apiVersion, 'gpu-sharing-partition', strategy.deviceClass, ctx.kube.runId));
    await ctx.kube.create(
      probePod(ctx, {
        name,
        holdDevice: true,
        claimTemplateName: 'gpu-sharing-partition',
        containers: [{ name: 'probe', withAccelerator: true }],
      }),
    );
  } else {
    await ctx.kube.create(pluginPod(ctx, name, strategy.resource, strategy.node));
  }
  try {
    const [pod] = await holdAll(ctx, [name], podMs).catch(unschedulableFails);
    const devices = await devicesSeen(ctx, name, 'probe');
    if (devices.length === 0) throw new CheckFailure(`pod ${name} got a partition (${describe(strategy)}) but sees no device`);
    // A whole GPU (GPU- UUID) is what a pod gets where MIG mode is off, whatever the labels say.
    if (!devices.some((device) => device.startsWith('MIG-')))
      throw new CheckFailure(
        `pod ${name} was given ${describe(strategy)} but sees ${describeDevices(devices)}, not a MIG device (MIG- UUID): the GPU is not partitioned`,
      );
    return `pod ${name} holds a partition on node ${pod.spec?.nodeName ?? '?'} and sees ${describeDevices(devices)}`;
  } finally {
    await deletePods(ctx, [name]);
  }
}

async function showReplicas(ctx: ProbeContext, strategy: Extract<Strategy, { kind: 'replicas' }>, podMs: number): Promise<string> {
  if (strategy.physical === undefined) {
    ctx.manual(
      `node ${strategy.node} is labelled ${strategy.sharing} but not nvidia.com/gpu.count, so how many pods prove oversubscription is unknown: attach the device plugin's sharing config and nvidia-smi -L from more pods than the node has GPUs, each holding one ${strategy.resource} at once, showing a GPU UUID twice`,
    );
  }
  const wanted = strategy.physical + 1;
  if (strategy.allocatable < wanted) {
    throw new CheckFailure(
      `node ${strategy.node} is labelled ${strategy.sharing} with ${strategy.replicas} replicas, but offers ${strategy.allocatable} ${strategy.resource} for ${strategy.physical} physical GPU(s): no oversubscription`,
    );
  }
  if (wanted > MAX_REPLICA_PODS)
    throw new Error(
      `node ${strategy.node} has ${strategy.physical} physical GPUs; showing oversubscription would take ${wanted} pods (at most ${MAX_REPLICA_PODS})`,
    );
  const names = Array.from({ length: wanted }, (_, i) => `gpu-sharing-replica-${i}`);
  try {
    await Promise.all(names.map((name) => ctx.kube.create(pluginPod(ctx, name, strategy.resource, strategy.node))));
    await holdAll(ctx, names, podMs).catch((error: unknown) => {
      // Pinned pods that do not fit may only mean other probes hold replicas right now.
      if (error instanceof PodProblem && error.kind === 'unschedulable')
        throw new Error(`could not place ${wanted} pods on node ${strategy.node} (its replicas may be in use): ${error.message}`);
      throw error;
    });
    // Running is not sharing: the pods must see one physical GPU between them.
    const seen = await Promise.all(names.map(async (name) => ({ name, devices: await devicesSeen(ctx, name, 'probe') })));
    const holders = new Map<string, string[]>();
    for (const { name, devices } of seen) for (const device of devices) holders.set(device, [...(holders.get(device) ?? []), name]);
    const shared = [...holders].find(([, pods]) => pods.length > 1);
    const text = seen.map(({ name, devices }) => `${name} sees ${describeDevices(devices)}`).join('; ');
    if (!shared)
      throw new CheckFailure(
        `${wanted} pods hold one ${strategy.resource} each on node ${strategy.node}, but no two see the same GPU (${text})`,
      );
    return `${wanted} pods each hold one ${strategy.resource} at once on node ${strategy.node}, which has ${strategy.physical} physical GPU(s); ${shared[1].join(' and ')} share GPU ${shared[0]}`;
  } finally {
    await deletePods(ctx, names);
  }
}

async function showSharedClaim(ctx: ProbeContext, strategy: Extract<Strategy, { kind: 'shared-claim' }>, podMs: number): Promise<string> {
  const apiVersion = await requireDraApiVersion(ctx.kube);
  const template = claimTemplate(apiVersion, 'gpu-sharing-shared', strategy.deviceClass, ctx.kube.runId);
  const devices = template.spec.spec.devices;
  devices.config = [
    {
      requests: [ACCELERATOR_REQUEST],
      opaque: {
        driver: strategy.driver,
        parameters: { apiVersion: strategy.config.apiVersion, kind: 'GpuConfig', sharing: { strategy: 'TimeSlicing' } },
      },
    },
  ];
  await ctx.kube.create({ apiVersion, kind: 'ResourceClaim', metadata: { name: 'gpu-sharing-shared' }, spec: { devices } });
  const names = ['gpu-sharing-sharer-a', 'gpu-sharing-sharer-b'];
  try {
    await Promise.all(
      names.map((name) => {
        // probePod wires the container to the pod's claim; that claim is the shared ResourceClaim, not a template's.
        const pod = probePod(ctx, {
          name,
          holdDevice: true,
          claimTemplateName: 'gpu-sharing-shared',
          containers: [{ name: 'probe', withAccelerator: true }],
        });
        pod.spec.resourceClaims = [{ name: ACCELERATOR_REQUEST, resourceClaimName: 'gpu-sharing-shared' }];
        return ctx.kube.create(pod);
      }),
    );
    const pods = await holdAll(ctx, names, podMs).catch(unschedulableFails);
    const seen = await Promise.all(names.map((name) => devicesSeen(ctx, name, 'probe')));
    const [a = [], b = []] = seen;
    const text = `${names[0]} on ${pods[0]?.spec?.nodeName ?? '?'} sees ${describeDevices(a)}; ${names[1]} on ${pods[1]?.spec?.nodeName ?? '?'} sees ${describeDevices(b)}`;
    if (a.length === 0 || b.length === 0)
      throw new CheckFailure(`two pods share claim gpu-sharing-shared but one sees no device (${text})`);
    if (!a.some((device) => b.includes(device))) throw new CheckFailure(`two pods of one shared claim see different devices (${text})`);
    return `two pods hold claim gpu-sharing-shared at once and share its device: ${text}`;
  } finally {
    await deletePods(ctx, names);
  }
}
