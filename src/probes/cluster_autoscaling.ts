// cluster_autoscaling (MUST where the platform provides a cluster autoscaler): the autoscaler adds
// accelerator nodes when pods cannot be placed, and removes them when they are idle.
//
// Test plan:
//  1. Detect an autoscaler: the cluster-autoscaler status ConfigMap (any cloud provider, kwok
//     included) or Karpenter NodePools. None: not applicable.
//  2. Adding nodes costs money: without --allow-node-scaling, hand the exact command to a human.
//  3. Pods taking one accelerator each are added one at a time until one stays Pending
//     (Unschedulable): the existing accelerators are then all taken.
//  4. The pending pod runs, on a node created after it: the node group grew.
//  5. The pods are deleted: that new node is removed again.
// Node counting never lists the cluster's nodes: the probe follows the one node it caused.

import type { KubernetesObject, V1ConfigMap, V1Node, V1Pod } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { count, duration } from './options.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, probePod, unschedulableReason } from './lib/probe-pod.js';
import { prepareAcceleratorRequest } from './lib/accelerator.js';
import { seconds } from './lib/probe-timing.js';
import { timeoutFails } from './lib/verdicts.js';

const STATUS_CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'cluster-autoscaler-status' };

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
    const autoscaler = await detectAutoscaler(ctx);
    if (!autoscaler) {
      ctx.notApplicable(
        'no cluster autoscaler detected (no ConfigMap kube-system/cluster-autoscaler-status, no Karpenter NodePool); the requirement applies only where the platform provides one',
      );
    }
    ctx.observe(`autoscaler: ${autoscaler}`);
    if (!ctx.options.allowNodeScaling) {
      ctx.manual(`${autoscaler} detected; scaling it adds accelerator nodes (which costs money), so the probe needs consent. Run: ${manualCommand(ctx)}`);
    }
    const maxPods = ctx.option('cluster-autoscaling.max-pods');
    const placeMs = ctx.option('cluster-autoscaling.place-ms');
    const scaleUpMs = ctx.option('cluster-autoscaling.scale-up-ms');
    const scaleDownMs = ctx.option('cluster-autoscaling.scale-down-ms');
    const started = new Date(ctx.clock.now());

    const { created, overflow } = await ctx.step<Filled>('pods taking one accelerator each fill the existing nodes until one is Pending', async () => {
      const { claimTemplateName } = await prepareAcceleratorRequest(ctx, 'scale-accelerator');
      const pods: string[] = [];
      const placed: string[] = [];
      for (let index = 0; index < maxPods; index++) {
        const name = `scale-${index}`;
        await ctx.kube.create(probePod(ctx, { name, containers: [{ name: 'accelerator', withAccelerator: true }], claimTemplateName, holdDevice: true }));
        pods.push(name);
        const outcome = await placement(ctx, name, placeMs);
        if ('pending' in outcome) {
          return {
            seen: `${placed.length} pod(s) placed (${placed.join(', ') || 'none'}); ${name} Pending: ${outcome.pending}`,
            value: { created: pods, overflow: { pod: name, pending: outcome.pending } },
          };
        }
        // A fast autoscaler may add the node before the probe sees its pod Pending; the pod's
        // FailedScheduling event and the node's creation time then tell what happened.
        const born = (await wasUnschedulable(ctx, name)) ? await bornAfter(ctx, outcome.node, started) : undefined;
        if (born) {
          return {
            seen: `${placed.length} pod(s) placed on existing nodes; ${name} did not fit and landed on ${outcome.node}, a node added after the probe began`,
            value: { created: pods, overflow: { pod: name, node: outcome.node, born } },
          };
        }
        placed.push(`${name}→${outcome.node}`);
      }
      throw new Error(`all ${maxPods} pods found an accelerator on existing nodes; raise --probe-option cluster-autoscaling.max-pods or narrow the node group`);
    });

    const addedNode = await ctx.step('the autoscaler adds a node and the pending pod runs on it', async () => {
      if ('node' in overflow) {
        return { seen: `node ${overflow.node} created ${createdWhen(overflow.born, started)}; ${overflow.pod} Running on it`, value: overflow.node };
      }
      const pod = await ctx.kube
        .waitFor<V1Pod>(
          { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: overflow.pod },
          (current) => (current.status?.phase === 'Failed' ? `pod ${overflow.pod} failed` : current.status?.phase === 'Running'),
          { description: `pod ${overflow.pod} Running on a new node`, timeoutMs: scaleUpMs },
        )
        .catch(timeoutFails(`pod ${overflow.pod} stayed Pending for ${seconds(scaleUpMs)}: no node was added`));
      const nodeName = pod.spec?.nodeName ?? '';
      const born = await bornAfter(ctx, nodeName, started);
      if (!born) {
        throw new CheckFailure(`pod ${overflow.pod} runs on ${nodeName}, a node that existed before the probe began: no scale-up was needed`);
      }
      return { seen: `node ${nodeName} created ${createdWhen(born, started)}; ${overflow.pod} Running on it`, value: nodeName };
    });

    await ctx.step('after the pods are deleted the added node is removed', async () => {
      for (const name of created) await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name });
      const deleted = ctx.clock.now();
      await ctx.kube
        .waitForDeletion({ apiVersion: 'v1', kind: 'Node', name: addedNode }, { description: `node ${addedNode} removed`, timeoutMs: scaleDownMs })
        .catch(timeoutFails(`node ${addedNode} was still there ${seconds(scaleDownMs)} after its pods were deleted`));
      return `node ${addedNode} removed ${seconds(ctx.clock.now() - deleted)} after the pods were deleted`;
    });
  },
});

/** The pods created to fill the nodes, and the one that did not fit: still Pending, or already on a node the autoscaler added. */
interface Filled {
  created: string[];
  overflow: { pod: string; pending: string } | { pod: string; node: string; born: Date };
}

async function detectAutoscaler(ctx: ProbeContext): Promise<string | undefined> {
  const status = await ctx.kube.get<V1ConfigMap>(STATUS_CONFIGMAP);
  if (status) {
    const health = /Cluster-wide:\s*\n\s*Health:\s*(\S+)/.exec(status.data?.status ?? '')?.[1];
    return `cluster-autoscaler (ConfigMap kube-system/cluster-autoscaler-status${health ? `, health ${health}` : ''})`;
  }
  for (const groupVersion of await ctx.kube.groupVersions('karpenter.sh')) {
    const resources = await ctx.kube.resources(groupVersion);
    if (!resources?.some((resource) => resource.name === 'nodepools')) continue;
    const pools = await ctx.kube.list<KubernetesObject>({ apiVersion: groupVersion, kind: 'NodePool' }, { limit: 20 });
    if (pools.length) return `Karpenter (${groupVersion} NodePools: ${pools.map((pool) => pool.metadata?.name ?? '?').join(', ')})`;
  }
  return undefined;
}

function manualCommand(ctx: ProbeContext): string {
  return `ai-conformance run --only cluster_autoscaling --allow-node-scaling --accelerator ${ctx.profile.name} --kubernetes-version ${ctx.options.kubernetesVersion}`;
}

type Placement = { pod: string; node: string } | { pod: string; pending: string };

/** Whether the scheduler once reported the pod unplaceable (its FailedScheduling events). */
async function wasUnschedulable(ctx: ProbeContext, pod: string): Promise<boolean> {
  const events = await ctx.kube.list<KubernetesObject & { reason?: string }>(
    { apiVersion: 'v1', kind: 'Event', namespace: ctx.namespace },
    { fieldSelector: `involvedObject.name=${pod}`, limit: 100 },
  );
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
