// secure_accelerator_access: a container sees an accelerator only when it asked for one. Test plan
// (the kubernetes-sigs/ai-conformance test, generalised over accelerator profiles):
//   1. a pod that claims an accelerator sees it;
//   2. a pod that claims none sees none;
//   3. in a two-container pod, only the container that references the claim sees the device;
//   4. two pods holding separate claims at the same time see different devices.
// Each probe container prints the devices it sees as one AI_CONFORMANCE_RESULT line (the profile's
// script); the verdict is read from the pod logs.

import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration } from './options.js';
import { requireDraApiVersion, type ResourceSliceObject } from './lib/dra.js';
import { prepareAcceleratorRequest, type AcceleratorRequest } from './lib/accelerator.js';
import {
  PROBE_SHELL_DEFAULT,
  PROBE_SHELL_IMAGE,
  describeDevices,
  devicesSeen,
  probePod,
  waitForPod,
  type ProbeContainerSpec,
} from './lib/probe-pod.js';
import { pinnedUnplaceable, unschedulableFails } from './lib/verdicts.js';

const TEMPLATE = 'secure-access-accelerator';

export const secureAcceleratorAccessProbe = defineProbe({
  id: 'secure_accelerator_access',
  // At most four accelerators at once (two of them on one node), beside the other sharers.
  shares: ['accelerators'],
  timeoutMs: 8 * 60_000,
  options: {
    'secure-accelerator-access.pod-ms': duration(180_000, 'how long each probe pod may take to run and print what it sees'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const podMs = ctx.option('secure-accelerator-access.pod-ms');
    const asked = await ctx.step('probe pods can ask for an accelerator', async () => {
      const setup = await prepareAcceleratorRequest(ctx, TEMPLATE);
      return { seen: `probe pods ask with ${setup.asking} (profile ${ctx.profile.name})`, value: setup };
    });

    // The positive and the two-container pods are independent: start them together, judge them in
    // order. The negative pod must run where an accelerator is (on a CPU-only node "sees none" is
    // trivially true), so it waits for the positive pod and goes to its node.
    const positive = runPod(ctx, asked, podMs, { name: 'saa-with-accelerator', containers: [{ name: 'probe', withAccelerator: true }] });
    const split = runPod(ctx, asked, podMs, {
      name: 'saa-two-containers',
      containers: [
        { name: 'with-accelerator', withAccelerator: true },
        { name: 'without-accelerator', withAccelerator: false },
      ],
    });
    // Each is awaited by its check; until then a rejection must not count as unhandled.
    for (const pending of [positive, split]) pending.catch(() => undefined);

    await ctx.check('a pod with an accelerator sees it', async () => {
      const { node, seen } = await positive;
      const devices = seen.get('probe') ?? [];
      if (devices.length === 0) throw new CheckFailure(`a pod with ${asked.asking} saw no device (node ${node})`);
      if (devices.length > 1) {
        throw new CheckFailure(`a pod that asked for one accelerator sees ${devices.length}: ${describeDevices(devices)}: devices are not isolated`);
      }
      return `pod with ${asked.asking} sees ${describeDevices(devices)} on node ${node}`;
    });

    await ctx.check('a pod without an accelerator sees none', async () => {
      const { node } = await positive.catch((error: unknown) => {
        // Without the positive pod's node there is no node known to have an accelerator.
        throw new Error(`could not check: no node known to have an accelerator, the pod with one did not run (${error instanceof Error ? error.message : String(error)})`);
      });
      const { seen } = await runPod(ctx, asked, podMs, {
        name: 'saa-without-accelerator',
        containers: [{ name: 'probe', withAccelerator: false }],
        onNode: node,
        what: 'a pod without an accelerator beside one',
      });
      const devices = seen.get('probe') ?? [];
      if (devices.length > 0) {
        throw new CheckFailure(`a pod that asked for no accelerator sees ${describeDevices(devices)} on node ${node}: devices are not isolated`);
      }
      return `pod without an accelerator sees no device on node ${node}, where the pod with one saw its device`;
    });

    await ctx.check('only the container that references the accelerator sees it', async () => {
      const { seen } = await split;
      const withDevices = seen.get('with-accelerator') ?? [];
      const withoutDevices = seen.get('without-accelerator') ?? [];
      if (withoutDevices.length > 0) {
        throw new CheckFailure(
          `the container that does not reference the accelerator sees ${describeDevices(withoutDevices)}: devices leak across containers`,
        );
      }
      if (withDevices.length === 0) throw new CheckFailure('the container that references the accelerator saw no device');
      return `container with-accelerator sees ${describeDevices(withDevices)}; container without-accelerator sees none`;
    });

    await ctx.check('two pods with separate claims see different devices', async () => {
      // Both pods hold their device until deleted, so they provably have them at the same time.
      // Where the first one's node has a second device, the second pod must go there too, so the
      // two compete for the same devices (names repeat across nodes, so only same-node names compare).
      const holders: Holder[] = [];
      try {
        const first = await holdAccelerator(ctx, asked, podMs, 'saa-holder-a');
        holders.push(first);
        const capacity = await acceleratorsOnNode(ctx, first.node);
        const pinned = capacity >= 2 ? first.node : undefined;
        const second = await holdAccelerator(ctx, asked, podMs, 'saa-holder-b', pinned);
        holders.push(second);
        const seen = `${first.pod} on ${first.node} sees ${describeDevices(first.devices)}; ${second.pod} on ${second.node} sees ${describeDevices(second.devices)}`;
        if (first.devices.length === 0 || second.devices.length === 0) throw new CheckFailure(`a pod with ${asked.asking} saw no device (${seen})`);
        if (first.node !== second.node) {
          // Device names repeat across nodes: nothing can be compared, so nothing was shown.
          throw new Error(
            `isolation between two pods on one node could not be tested: node ${first.node} offers ${capacity} accelerator(s), and the second pod ran on another node (${seen})`,
          );
        }
        const shared = first.devices.filter((device) => second.devices.includes(device));
        if (shared.length > 0) {
          throw new CheckFailure(`two pods with separate accelerators on node ${first.node} both see ${describeDevices(shared)} (${seen})`);
        }
        return `(same node) ${seen}`;
      } finally {
        for (const holder of holders) {
          await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: holder.pod });
        }
      }
    });
  },
});

interface PodRun {
  node: string;
  /** Container name -> devices it saw. */
  seen: Map<string, string[]>;
}

/** Requires the pod to run on `node` only (matchFields on the node name, no label needed). */
function pinToNode(pod: V1Pod, node: string): void {
  if (!pod.spec) return;
  pod.spec.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      },
    },
  };
}

/** Runs a probe pod to completion and returns its node and what each of its containers saw. */
async function runPod(ctx: ProbeContext, setup: AcceleratorRequest, timeoutMs: number, spec: { name: string; containers: ProbeContainerSpec[]; onNode?: string; what?: string }): Promise<PodRun> {
  const pod = probePod(ctx, { name: spec.name, containers: spec.containers, claimTemplateName: setup.claimTemplateName });
  if (spec.onNode) pinToNode(pod, spec.onNode);
  await ctx.kube.create(pod);
  const waited = waitForPod(ctx, spec.name, 'completed', timeoutMs);
  const done = await (spec.onNode ? waited.catch(pinnedUnplaceable(spec.onNode, spec.what ?? spec.name)) : waited.catch(unschedulableFails));
  const node = done.spec?.nodeName ?? '?';
  if (spec.onNode && node !== spec.onNode) throw new Error(`pod ${spec.name} ran on node ${node}, not on node ${spec.onNode} it was pinned to`);
  const seen = new Map<string, string[]>();
  for (const container of spec.containers) seen.set(container.name, await devicesSeen(ctx, spec.name, container.name));
  return { node, seen };
}

interface Holder {
  pod: string;
  node: string;
  devices: string[];
}

/** How many accelerators of the profile the node offers (device-plugin capacity or DRA devices). */
async function acceleratorsOnNode(ctx: ProbeContext, node: string): Promise<number> {
  const { profile, kube } = ctx;
  if (profile.mechanism === 'extended-resource') {
    const found = await kube.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name: node });
    const value = found?.status?.allocatable?.[profile.resourceName ?? ''];
    return value === undefined ? 0 : Number.parseInt(value, 10) || 0;
  }
  const apiVersion = await requireDraApiVersion(kube);
  // The node's slices only: one small request however many nodes publish slices.
  const slices = await kube.list<ResourceSliceObject>({ apiVersion, kind: 'ResourceSlice' }, { fieldSelector: `spec.nodeName=${node}` });
  return slices
    .filter((slice) => !profile.driver || slice.spec?.driver === profile.driver)
    .reduce((sum, slice) => sum + (slice.spec?.devices?.length ?? 0), 0);
}

/**
 * Starts a pod that takes an accelerator and keeps it; resolves once it printed what it sees.
 * Pinned to `onNode`, staying Unschedulable is an error: the count above is what the node
 * offers, not what is free, so the devices may just be busy.
 */
async function holdAccelerator(ctx: ProbeContext, setup: AcceleratorRequest, timeoutMs: number, name: string, onNode?: string): Promise<Holder> {
  const pod = probePod(ctx, { name, holdDevice: true, claimTemplateName: setup.claimTemplateName, containers: [{ name: 'probe', withAccelerator: true }] });
  if (onNode) pinToNode(pod, onNode);
  await ctx.kube.create(pod);
  const waited = waitForPod(ctx, name, 'printed', timeoutMs);
  const running = await (onNode ? waited.catch(pinnedUnplaceable(onNode, 'two pods holding accelerators on one node')) : waited.catch(unschedulableFails));
  return { pod: name, node: running.spec?.nodeName ?? '?', devices: await devicesSeen(ctx, name, 'probe') };
}
