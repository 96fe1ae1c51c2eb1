// cluster_autoscaling (MUST where the platform provides a cluster autoscaler): the autoscaler adds
// accelerator nodes when pods cannot be placed, and removes them when they are idle.
//
// Test plan:
//  1. Detect an autoscaler wherever it runs (lib/autoscaler-detect.ts): a fresh cluster-autoscaler
//     status ConfigMap in any namespace (or a stale one beside a running autoscaler pod), OpenShift
//     ClusterAutoscaler, cluster-api autoscaler annotations, Karpenter NodePools. None, or only a
//     status ConfigMap left behind by an autoscaler that is gone: not applicable.
//  2. Adding nodes costs money: without --allow-node-scaling, hand the exact command to a human.
//  3. Pods taking one accelerator each are added one at a time until one stays Pending
//     (Unschedulable): the existing accelerators are then all taken.
//  4. The pending pod runs, on a node created after it: the node group grew. When the autoscaler
//     says the pod cannot trigger a scale-up (NotTriggerScaleUp: no group offers that mechanism),
//     the other mechanisms the cluster offers are tried (a DRA DeviceClass whose devices only
//     autoscaled nodes publish, a device-plugin resource), so the group scales with its own.
//  5. The pods are deleted: that new node is removed again.
// Node counting never lists the cluster's nodes: the probe follows the one node it caused.

import type { CoreV1Event, V1Node, V1Pod, V1ResourceSlice } from '@kubernetes/client-node';
import { WaitTimeout } from '../kube/types.js';
import { CheckFailure, defineProbe, type AcceleratorProfile, type ProbeContext } from './types.js';
import { count, duration } from './options.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, probePod, unschedulableReason } from './lib/probe-pod.js';
import { prepareAcceleratorRequest } from './lib/accelerator.js';
import { detectAutoscaler } from './lib/autoscaler-detect.js';
import { requireDraApiVersion, type DeviceClassObject } from './lib/dra.js';
import { seconds } from './lib/probe-timing.js';
import { timeoutFails } from './lib/verdicts.js';
import { customDeviceClassProfile, nvidiaDraProfile, profileFlag } from './profiles.js';

export const clusterAutoscalingProbe = defineProbe({
  id: 'cluster_autoscaling',
  // Above its own waits: up to 16 pods placed (120 s each), scale-up 900 s, scale-down 1,200 s.
  timeoutMs: 4_200_000,
  exclusive: ['accelerators'],
  options: {
    'cluster-autoscaling.max-pods': count(16, 'most accelerator pods created to fill the existing nodes'),
    'cluster-autoscaling.place-ms': duration(120_000, 'how long each pod may take to be placed or reported Unschedulable'),
    'cluster-autoscaling.scale-up-ms': duration(900_000, 'how long the autoscaler may take to add a node'),
    'cluster-autoscaling.scale-down-ms': duration(1_200_000, 'how long the autoscaler may take to remove the added node'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const search = await detectAutoscaler(ctx.kube, new Date(ctx.clock.now()));
    if (!search.found) {
      return ctx.notApplicable(
        `no cluster autoscaler detected: ${search.looked.join('; ')}. The requirement applies only where the platform provides one`,
      );
    }
    const autoscaler = search.found.description;
    ctx.observe(`autoscaler: ${autoscaler}`);
    if (!ctx.options.allowNodeScaling) {
      ctx.manual(
        `${autoscaler} detected; scaling it adds accelerator nodes (which costs money), so the probe needs consent. Run: ${manualCommand(ctx)}`,
      );
    }
    const maxPods = ctx.option('cluster-autoscaling.max-pods');
    const placeMs = ctx.option('cluster-autoscaling.place-ms');
    const scaleUpMs = ctx.option('cluster-autoscaling.scale-up-ms');
    const scaleDownMs = ctx.option('cluster-autoscaling.scale-down-ms');
    const started = new Date(ctx.clock.now());
    const created: string[] = [];

    const overflow = await ctx.step('pods taking one accelerator each fill the existing nodes until one is Pending', async () => {
      const outcome = await fill(ctx, ctx.profile, 'scale', { maxPods, placeMs, started, created });
      return { seen: outcome.seen, value: outcome.overflow };
    });

    const addedNode = await ctx.step('the autoscaler adds a node and the pending pod runs on it', async () => {
      const refusals: string[] = [];
      let attempt: Overflow = overflow;
      let profile = ctx.profile;
      const others = await otherMechanisms(ctx);
      for (let index = 0; ; index++) {
        const result = await grown(ctx, attempt, profile, started, scaleUpMs);
        if ('node' in result) {
          const how = refusals.length
            ? `. It scaled through ${asking(profile)}, the node group's own mechanism: for ${refusals.join('; for ')}`
            : '';
          return { seen: `${result.seen}${how}`, value: result.node };
        }
        refusals.push(`${asking(profile)} (pod ${attempt.pod}): ${result.refused}`);
        const next = others.at(index);
        if (!next) break;
        profile = next;
        attempt = (await fill(ctx, next, `scale-m${index + 1}`, { maxPods, placeMs, started, created })).overflow;
      }
      throw new CheckFailure(`no node group of the autoscaler takes a pending accelerator pod: for ${refusals.join('; for ')}`);
    });

    await ctx.step('after the pods are deleted the added node is removed', async () => {
      for (const name of created) await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name });
      const deleted = ctx.clock.now();
      await ctx.kube
        .waitForDeletion(
          { apiVersion: 'v1', kind: 'Node', name: addedNode },
          { description: `node ${addedNode} removed`, timeoutMs: scaleDownMs },
        )
        .catch(timeoutFails(`node ${addedNode} was still there ${seconds(scaleDownMs)} after its pods were deleted`));
      return `node ${addedNode} removed ${seconds(ctx.clock.now() - deleted)} after the pods were deleted`;
    });
  },
});

function manualCommand(ctx: ProbeContext): string {
  return `ai-conformance run --only cluster_autoscaling --allow-node-scaling --accelerator ${profileFlag(ctx.profile)} --kubernetes-version ${ctx.options.kubernetesVersion}`;
}

type Placement = { pod: string; node: string } | { pod: string; pending: string };

/** Whether the scheduler once reported the pod unplaceable (its FailedScheduling events). */
async function wasUnschedulable(ctx: ProbeContext, pod: string): Promise<boolean> {
  const events = await ctx.kube.list<CoreV1Event>({ apiVersion: 'v1', kind: 'Event' }, { fieldSelector: `involvedObject.name=${pod}` });
  return events.some((event) => event.reason === 'FailedScheduling' || event.reason === 'TriggeredScaleUp');
}

/** "3.2s after the probe began", or "while the probe ran" when within creationTimestamp's second precision. */
function createdWhen(born: Date, started: Date): string {
  const after = born.getTime() - started.getTime();
  return after >= 1000 ? `${seconds(after)} after the probe began` : 'while the probe ran';
}

/** When the node was created, if it was created after `since` (allowing for second precision). */
async function bornAfter(ctx: ProbeContext, nodeName: string, since: Date): Promise<Date | undefined> {
  const node = await ctx.kube.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName });
  const born = node?.metadata?.creationTimestamp ? new Date(node.metadata.creationTimestamp) : undefined;
  return born && born.getTime() >= since.getTime() - 1000 ? born : undefined;
}

/** Waits by watch until the pod is placed and running, or the scheduler reports it Unschedulable. */
async function placement(ctx: ProbeContext, name: string, timeoutMs: number): Promise<Placement> {
  const pod = await ctx.kube.waitFor<V1Pod>(
    { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name },
    (current) => {
      if (current.status?.phase === 'Failed') return `pod ${name} failed`;
      return current.status?.phase === 'Running' || unschedulableReason(current) !== undefined;
    },
    { description: `pod ${name} Running or Unschedulable`, timeoutMs },
  );
  const pending = unschedulableReason(pod);
  if (pending !== undefined && pod.status?.phase !== 'Running') return { pod: name, pending };
  return { pod: name, node: pod.spec?.nodeName ?? '?' };
}

/** The pod that did not fit: still Pending, or already on a node the autoscaler added. */
type Overflow = { pod: string; pending: string } | { pod: string; node: string; born: Date };

function asking(profile: AcceleratorProfile): string {
  return profile.mechanism === 'dra'
    ? `a claim on DeviceClass ${profile.deviceClassName ?? '?'}`
    : `a ${profile.resourceName ?? '?'} limit`;
}

/** The probe context with another accelerator profile (pods ask for that mechanism). */
function withProfile(ctx: ProbeContext, profile: AcceleratorProfile): ProbeContext {
  return profile === ctx.profile ? ctx : { ...ctx, profile };
}

/**
 * The other ways the cluster offers accelerators, for a node group that offers them differently
 * from the static nodes: detection's alternatives, then DeviceClasses whose devices no node
 * publishes yet (their driver runs only on autoscaled nodes).
 */
async function otherMechanisms(ctx: ProbeContext): Promise<AcceleratorProfile[]> {
  const others = [...(ctx.profile.alternatives ?? [])];
  const served = await ctx.kube.groupVersions('resource.k8s.io');
  if (served.length === 0) return others;
  const apiVersion = await requireDraApiVersion(ctx.kube);
  const classes = (await ctx.kube.listPage<DeviceClassObject>({ apiVersion, kind: 'DeviceClass' }, { limit: 100 })).items;
  const known = new Set([ctx.profile, ...others].map((p) => p.deviceClassName).filter((n): n is string => n !== undefined));
  for (const deviceClass of classes) {
    const name = deviceClass.metadata?.name ?? '';
    if (!name || known.has(name) || /^compute-domain|\.channel\./.test(name)) continue;
    const chosen = { detected: true, detail: `DeviceClass ${name}, tried for the autoscaled node group` };
    const profile = name === 'gpu.nvidia.com' ? nvidiaDraProfile(chosen) : customDeviceClassProfile(name, chosen);
    others.push({ ...profile, tolerations: ctx.profile.tolerations });
  }
  return others;
}

/** Pods of the profile, one at a time, until one does not fit the existing nodes. */
async function fill(
  base: ProbeContext,
  profile: AcceleratorProfile,
  prefix: string,
  opts: { maxPods: number; placeMs: number; started: Date; created: string[] },
): Promise<{ seen: string; overflow: Overflow }> {
  const ctx = withProfile(base, profile);
  const { claimTemplateName } = await prepareAcceleratorRequest(ctx, `${prefix}-accelerator`);
  const placed: string[] = [];
  for (let index = 0; index < opts.maxPods; index++) {
    const name = `${prefix}-${index}`;
    await ctx.kube.create(
      probePod(ctx, { name, containers: [{ name: 'accelerator', withAccelerator: true }], claimTemplateName, holdDevice: true }),
    );
    opts.created.push(name);
    const outcome = await placement(ctx, name, opts.placeMs);
    if ('pending' in outcome) {
      return {
        seen: `${placed.length} pod(s) with ${asking(profile)} placed (${placed.join(', ') || 'none'}); ${name} Pending: ${outcome.pending}`,
        overflow: outcome,
      };
    }
    // A fast autoscaler may add the node before the probe sees its pod Pending; the pod's
    // FailedScheduling event and the node's creation time then tell what happened.
    const born = (await wasUnschedulable(ctx, name)) ? await bornAfter(ctx, outcome.node, opts.started) : undefined;
    if (born) {
      return {
        seen: `${placed.length} pod(s) with ${asking(profile)} placed on existing nodes; ${name} did not fit and landed on ${outcome.node}, a node added after the probe began`,
        overflow: { pod: name, node: outcome.node, born },
      };
    }
    placed.push(`${name}→${outcome.node}`);
  }
  throw new Error(
    `all ${opts.maxPods} pods found an accelerator on existing nodes; raise --probe-option cluster-autoscaling.max-pods or narrow the node group`,
  );
}

/** The autoscaler's answer to the pod (its events): a scale-up, or why it would not scale. */
async function autoscalerAnswer(
  ctx: ProbeContext,
  pod: string,
  timeoutMs: number,
): Promise<{ reason: string; message: string } | undefined> {
  try {
    const event = await ctx.kube.waitFor<CoreV1Event>(
      { apiVersion: 'v1', kind: 'Event', namespace: ctx.namespace },
      (e) => e.reason === 'TriggeredScaleUp' || e.reason === 'NotTriggerScaleUp',
      { description: `the autoscaler's answer to pod ${pod}`, timeoutMs, fieldSelector: `involvedObject.name=${pod}` },
    );
    return { reason: event.reason ?? '', message: event.message ?? '' };
  } catch (error) {
    if (error instanceof WaitTimeout) return undefined;
    throw error;
  }
}

/** What a node offers, for the report: "instance type g6.xlarge, nvidia.com/gpu: 1, 1 gpu.nvidia.com device". */
async function nodeKind(ctx: ProbeContext, name: string): Promise<string> {
  const node = await ctx.kube.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name });
  const labels: Partial<Record<string, string>> = node?.metadata?.labels ?? {};
  const parts: string[] = [];
  const group =
    labels['cluster-autoscaler.kwok.nodegroup/name'] ??
    labels['karpenter.sh/nodepool'] ??
    labels['cloud.google.com/gke-nodepool'] ??
    labels['eks.amazonaws.com/nodegroup'];
  if (group) parts.push(`node group ${group}`);
  const type = labels['node.kubernetes.io/instance-type'];
  if (type) parts.push(`instance type ${type}`);
  for (const [resource, value] of Object.entries(node?.status?.allocatable ?? {})) {
    if (/\/(gpu|tpu|mig-|neuron)/.test(resource) && value !== '0') parts.push(`${resource}: ${value}`);
  }
  if (ctx.profile.mechanism === 'dra' && (await ctx.kube.groupVersions('resource.k8s.io')).length > 0) {
    const apiVersion = await requireDraApiVersion(ctx.kube);
    const slices = await ctx.kube.list<V1ResourceSlice>({ apiVersion, kind: 'ResourceSlice' }, { fieldSelector: `spec.nodeName=${name}` });
    for (const slice of slices) parts.push(`${slice.spec.devices?.length ?? 0} ${slice.spec.driver} device(s)`);
  }
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Waits for the pending pod to run on a node added after the probe began, or for the autoscaler to refuse it. */
async function grown(
  base: ProbeContext,
  overflow: Overflow,
  profile: AcceleratorProfile,
  started: Date,
  scaleUpMs: number,
): Promise<{ node: string; seen: string } | { refused: string }> {
  const ctx = withProfile(base, profile);
  if ('node' in overflow) {
    return {
      node: overflow.node,
      seen: `node ${overflow.node}${await nodeKind(ctx, overflow.node)} created ${createdWhen(overflow.born, started)}; ${overflow.pod} Running on it`,
    };
  }
  // cluster-autoscaler answers every pending pod within a scan (10 s by default); without an
  // answer (Karpenter, managed autoscalers without events) the pod itself tells.
  const answer = await autoscalerAnswer(ctx, overflow.pod, Math.min(scaleUpMs, 60_000));
  if (answer?.reason === 'NotTriggerScaleUp') return { refused: answer.message };
  let pod: V1Pod;
  try {
    pod = await ctx.kube.waitFor<V1Pod>(
      { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: overflow.pod },
      (current) => (current.status?.phase === 'Failed' ? `pod ${overflow.pod} failed` : current.status?.phase === 'Running'),
      { description: `pod ${overflow.pod} Running on a new node`, timeoutMs: scaleUpMs },
    );
  } catch (error) {
    if (error instanceof WaitTimeout) {
      const refusal = (await autoscalerAnswer(ctx, overflow.pod, 1))?.message;
      throw new CheckFailure(
        `pod ${overflow.pod} stayed Pending for ${seconds(scaleUpMs)}: no node was added${refusal ? ` (${refusal})` : ''}`,
      );
    }
    throw error;
  }
  const nodeName = pod.spec?.nodeName ?? '';
  const born = await bornAfter(ctx, nodeName, started);
  if (!born)
    throw new CheckFailure(`pod ${overflow.pod} runs on ${nodeName}, a node that existed before the probe began: no scale-up was needed`);
  return {
    node: nodeName,
    seen: `node ${nodeName}${await nodeKind(ctx, nodeName)} created ${createdWhen(born, started)}; ${overflow.pod} Running on it`,
  };
}
