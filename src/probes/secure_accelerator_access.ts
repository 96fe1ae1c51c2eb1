// secure_accelerator_access: a container sees an accelerator only when it asked for one. Test plan
// (the kubernetes-sigs/ai-conformance test, generalised over accelerator profiles):
//   1. a pod that claims an accelerator sees it;
//   2. a pod that claims none sees none;
//   3. in a two-container pod, only the container that references the claim sees the device;
//   4. two pods holding separate claims at the same time see different devices.
// Each probe container prints the devices it sees as one AI_CONFORMANCE_RESULT line (the profile's
// script); the verdict is read from the pod logs.

import { CheckFailure, type Probe, type ProbeContext } from './types.js';
import type { V1Node } from '@kubernetes/client-node';
import { requireDraApiVersion, type ResourceSliceObject } from './lib/dra.js';
import { prepareAcceleratorRequest, type AcceleratorRequest } from './lib/accelerator.js';
import {
  PROBE_SHELL_DEFAULT,
  PROBE_SHELL_IMAGE,
  describeDevices,
  devicesSeen,
  probePod,
  unschedulableFails,
  waitForPod,
  type ProbeContainerSpec,
} from './lib/probePod.js';

const POD_TIMEOUT_MS = 180_000;
const TEMPLATE = 'secure-access-accelerator';

/** Runs a probe pod to completion and returns what each of its containers saw. */
async function runPod(ctx: ProbeContext, setup: AcceleratorRequest, name: string, containers: ProbeContainerSpec[]): Promise<Map<string, string[]>> {
  await ctx.kube.create(probePod(ctx, { name, containers, claimTemplateName: setup.claimTemplateName }));
  await waitForPod(ctx, name, 'completed', POD_TIMEOUT_MS).catch(unschedulableFails);
  const seen = new Map<string, string[]>();
  for (const container of containers) seen.set(container.name, await devicesSeen(ctx, name, container.name));
  return seen;
}

async function run(ctx: ProbeContext): Promise<void> {
  let setup: AcceleratorRequest | undefined;
  const ready = await ctx.check('probe pods can ask for an accelerator', async () => {
    setup = await prepareAcceleratorRequest(ctx, TEMPLATE);
    return `probe pods ask with ${setup.asking} (profile ${ctx.profile.name})`;
  });
  if (!ready || !setup) return;
  const asked = setup;

  // The three run-to-completion pods are independent: start them together, judge them in order.
  const positive = runPod(ctx, asked, 'saa-with-accelerator', [{ name: 'probe', withAccelerator: true }]);
  const negative = runPod(ctx, asked, 'saa-without-accelerator', [{ name: 'probe', withAccelerator: false }]);
  const split = runPod(ctx, asked, 'saa-two-containers', [
    { name: 'with-accelerator', withAccelerator: true },
    { name: 'without-accelerator', withAccelerator: false },
  ]);
  // Each is awaited by its check; until then a rejection must not count as unhandled.
  for (const pending of [positive, negative, split]) pending.catch(() => undefined);

  await ctx.check('a pod with an accelerator sees it', async () => {
    const seen = await positive;
    const devices = seen.get('probe') ?? [];
    if (devices.length === 0) throw new CheckFailure(`a pod with ${asked.asking} saw no device`);
    if (devices.length > 1) {
      throw new CheckFailure(`a pod that asked for one accelerator sees ${devices.length}: ${describeDevices(devices)}: devices are not isolated`);
    }
    return `pod with ${asked.asking} sees ${describeDevices(devices)}`;
  });

  await ctx.check('a pod without an accelerator sees none', async () => {
    const seen = await negative;
    const devices = seen.get('probe') ?? [];
    if (devices.length > 0) {
      throw new CheckFailure(`a pod that asked for no accelerator sees ${describeDevices(devices)}: devices are not isolated`);
    }
    return 'pod without an accelerator sees no device';
  });

  await ctx.check('only the container that references the accelerator sees it', async () => {
    const seen = await split;
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
    const first = await holdAccelerator(ctx, asked, 'saa-holder-a');
    const capacity = await acceleratorsOnNode(ctx, first.node);
    const second = await holdAccelerator(ctx, asked, 'saa-holder-b', capacity >= 2 ? first.node : undefined);
    for (const holder of [first, second]) {
      await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: holder.pod });
    }
    const placement = first.node === second.node ? 'same node' : `different nodes: ${first.node} has ${capacity} accelerator(s)`;
    const seen = `(${placement}) ${first.pod} on ${first.node} sees ${describeDevices(first.devices)}; ${second.pod} on ${second.node} sees ${describeDevices(second.devices)}`;
    if (first.devices.length === 0 || second.devices.length === 0) throw new CheckFailure(`a pod with ${asked.asking} saw no device (${seen})`);
    const shared = first.node === second.node ? first.devices.filter((device) => second.devices.includes(device)) : [];
    if (shared.length > 0) {
      throw new CheckFailure(`two pods with separate accelerators on node ${first.node} both see ${describeDevices(shared)} (${seen})`);
    }
    return seen;
  });
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

/** Starts a pod that takes an accelerator and keeps it; resolves once it printed what it sees. */
async function holdAccelerator(ctx: ProbeContext, setup: AcceleratorRequest, name: string, onNode?: string): Promise<Holder> {
  const pod = probePod(ctx, { name, holdDevice: true, claimTemplateName: setup.claimTemplateName, containers: [{ name: 'probe', withAccelerator: true }] });
  if (onNode && pod.spec) {
    pod.spec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [onNode] }] }],
        },
      },
    };
  }
  await ctx.kube.create(pod);
  const running = await waitForPod(ctx, name, 'printed', POD_TIMEOUT_MS).catch(unschedulableFails);
  return { pod: name, node: running.spec?.nodeName ?? '?', devices: await devicesSeen(ctx, name, 'probe') };
}

export const secureAcceleratorAccess: Probe = {
  id: 'secure_accelerator_access',
  // At most four accelerators at once (two of them on one node), beside the other sharers.
  shares: ['accelerators'],
  timeoutMs: 8 * 60_000,
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  run,
};
