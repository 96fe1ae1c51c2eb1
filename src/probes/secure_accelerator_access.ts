// secure_accelerator_access: a container sees an accelerator only when it asked for one. Test plan
// (the kubernetes-sigs/ai-conformance test, generalised over accelerator profiles):
//   1. a pod that claims an accelerator sees it;
//   2. a pod that claims none sees none;
//   3. a pod that claims none but sets NVIDIA_VISIBLE_DEVICES=all, as every CUDA image does,
//      sees none (NVIDIA's container toolkit honours that variable from unprivileged containers
//      unless told not to: the known leak);
//   4. in a two-container pod, only the container that references the claim sees the device;
//   5. two pods holding separate claims at the same time see different devices.
// Devices are compared by their own identity (GPU-/MIG- UUIDs, the driver's device names), never
// by /dev names alone: two MIG instances of one GPU share /dev/nvidia0. Each mechanism the
// cluster offers (a DRA DeviceClass, a device-plugin resource) is tested, each named in its checks.
// Each probe container prints what it sees as one AI_CONFORMANCE_RESULT line (the profile's
// script); the verdict is read from the pod logs.

import type { V1Node } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type AcceleratorProfile, type ProbeContext } from './types.js';
import { duration } from './options.js';
import { requireDraApiVersion, type ResourceSliceObject } from './lib/dra.js';
import { prepareAcceleratorRequest, type AcceleratorRequest } from './lib/accelerator.js';
import { byUuid, configuredSharing, describeSeen, identities, seenBy, type Seen } from './lib/device-identity.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, probePod, waitForPod, type ProbeContainerSpec } from './lib/probe-pod.js';
import { pinnedUnplaceable, unschedulableFails } from './lib/verdicts.js';

export const secureAcceleratorAccessProbe = defineProbe({
  id: 'secure_accelerator_access',
  // At most two accelerators at once (the positive and two-container pods, then the two holders), beside the other sharers.
  shares: ['accelerators'],
  timeoutMs: 8 * 60_000,
  options: {
    'secure-accelerator-access.pod-ms': duration(180_000, 'how long each probe pod may take to run and print what it sees'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const podMs = ctx.option('secure-accelerator-access.pod-ms');
    await testMechanism(ctx, podMs, { suffix: '', prefix: 'saa', template: 'secure-access-accelerator' });
    // Every other mechanism detection found (e.g. device-plugin GPUs beside a DRA driver).
    for (const [index, profile] of (ctx.profile.alternatives ?? []).entries()) {
      const n = index + 2;
      await testMechanism({ ...ctx, profile }, podMs, {
        suffix: ` [${mechanism(profile)}]`,
        prefix: `saa${n}`,
        template: `secure-access-accelerator-${n}`,
      });
    }
  },
});

function mechanism(profile: AcceleratorProfile): string {
  return profile.mechanism === 'dra' ? `DRA DeviceClass ${profile.deviceClassName ?? '?'}` : `device plugin ${profile.resourceName ?? '?'}`;
}

interface Names {
  /** Appended to every check name (empty for the run's own profile). */
  suffix: string;
  /** Pod name prefix. */
  prefix: string;
  template: string;
}

async function testMechanism(ctx: ProbeContext, podMs: number, names: Names): Promise<void> {
  const check = (name: string, step: () => Promise<string>) => ctx.check(`${name}${names.suffix}`, step);
  const asked = await ctx.step(`probe pods can ask for an accelerator${names.suffix}`, async () => {
    const setup = await prepareAcceleratorRequest(ctx, names.template);
    return { seen: `probe pods ask with ${setup.asking} (profile ${ctx.profile.name})`, value: setup };
  });
  const pod = (name: string) => `${names.prefix}-${name}`;

  // The positive and the two-container pods are independent: start them together, judge them in
  // order. The negative pods must run where an accelerator is (on a CPU-only node "sees none" is
  // trivially true), so they wait for the positive pod and go to its node.
  // The positive pod keeps its device until the negative pods beside it are done: a node whose
  // only pod finished may be scaled away by an autoscaler before they are placed there.
  const positive = runPod(ctx, asked, podMs, {
    name: pod('with-accelerator'),
    containers: [{ name: 'probe', withAccelerator: true }],
    hold: true,
  });
  const split = runPod(ctx, asked, podMs, {
    name: pod('two-containers'),
    containers: [
      { name: 'with-accelerator', withAccelerator: true },
      { name: 'without-accelerator', withAccelerator: false },
    ],
  });
  // Each is awaited by its check; until then a rejection must not count as unhandled.
  for (const pending of [positive, split]) pending.catch(() => undefined);
  const besideOne = async (): Promise<string> => {
    const { node } = await positive.catch((error: unknown) => {
      // Without the positive pod's node there is no node known to have an accelerator.
      throw new Error(
        `could not check: no node known to have an accelerator, the pod with one did not run (${error instanceof Error ? error.message : String(error)})`,
      );
    });
    return node;
  };
  // The two negative pods are independent of each other: both start once the node is known.
  const besideAccelerator = (name: string, what: string, env?: Record<string, string>) =>
    besideOne().then((node) =>
      runPod(ctx, asked, podMs, {
        name: pod(name),
        containers: [{ name: 'probe', withAccelerator: false }],
        onNode: node,
        what,
        ...(env ? { env } : {}),
      }).then((run) => ({ ...run, node })),
    );
  const without = besideAccelerator('without-accelerator', 'a pod without an accelerator beside one');
  const visibleAll = besideAccelerator('visible-devices-all', 'a pod setting NVIDIA_VISIBLE_DEVICES=all beside an accelerator', {
    NVIDIA_VISIBLE_DEVICES: 'all',
    NVIDIA_DRIVER_CAPABILITIES: 'compute,utility',
  });
  for (const pending of [without, visibleAll]) pending.catch(() => undefined);

  await check('a pod with an accelerator sees it', async () => {
    const { node, seen } = await positive;
    const saw = seen.get('probe') ?? { devices: [], nodes: [] };
    const ids = identities(saw);
    if (ids.length === 0) throw new CheckFailure(`a pod with ${asked.asking} saw no device (node ${node})`);
    if (ids.length > 1) {
      throw new CheckFailure(`a pod that asked for one accelerator sees ${ids.length}: ${describeSeen(saw)}: devices are not isolated`);
    }
    return `pod with ${asked.asking} sees ${describeSeen(saw)} on node ${node}`;
  });

  await check('a pod without an accelerator sees none', async () => {
    const { node, seen } = await without;
    const saw = seen.get('probe') ?? { devices: [], nodes: [] };
    if (saw.devices.length > 0) {
      throw new CheckFailure(`a pod that asked for no accelerator sees ${describeSeen(saw)} on node ${node}: devices are not isolated`);
    }
    return `pod without an accelerator sees no device on node ${node}, where the pod with one saw its device`;
  });

  await check('a pod without an accelerator that sets NVIDIA_VISIBLE_DEVICES=all sees none', async () => {
    const { node, seen } = await visibleAll;
    const saw = seen.get('probe') ?? { devices: [], nodes: [] };
    if (saw.devices.length > 0) {
      throw new CheckFailure(
        `a pod that asked for no accelerator but sets NVIDIA_VISIBLE_DEVICES=all (as CUDA images do) sees ${describeSeen(saw)} on node ${node}: ` +
          "the NVIDIA container runtime honours the variable in unprivileged containers (set accept-nvidia-visible-devices-envvar-when-unprivileged = false and the device plugin's DEVICE_LIST_STRATEGY=volume-mounts, or use CDI)",
      );
    }
    return `pod without an accelerator that sets NVIDIA_VISIBLE_DEVICES=all sees no device on node ${node}`;
  });

  // Both negative pods are done (their checks awaited them): the positive pod gives its device back
  // before the two holders below take theirs.
  await ctx.kube
    .delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: pod('with-accelerator') })
    .catch((error: unknown) => {
      ctx.observe(
        `pod ${pod('with-accelerator')} could not be deleted yet (${error instanceof Error ? error.message : String(error)}); it holds its accelerator until the namespace goes`,
      );
    });

  await check('only the container that references the accelerator sees it', async () => {
    const { seen } = await split;
    const withDevices = seen.get('with-accelerator') ?? { devices: [], nodes: [] };
    const withoutDevices = seen.get('without-accelerator') ?? { devices: [], nodes: [] };
    if (withoutDevices.devices.length > 0) {
      throw new CheckFailure(
        `the container that does not reference the accelerator sees ${describeSeen(withoutDevices)}: devices leak across containers`,
      );
    }
    if (identities(withDevices).length === 0) throw new CheckFailure('the container that references the accelerator saw no device');
    return `container with-accelerator sees ${describeSeen(withDevices)}; container without-accelerator sees none`;
  });

  await check('two pods with separate claims see different devices', async () => {
    // Both pods hold their device until deleted, so they provably have them at the same time.
    // Where the first one's node has a second device, the second pod must go there too, so the
    // two compete for the same devices.
    const holders: Holder[] = [];
    try {
      const first = await holdAccelerator(ctx, asked, podMs, pod('holder-a'));
      holders.push(first);
      const capacity = await acceleratorsOnNode(ctx, first.node);
      const pinned = capacity >= 2 ? first.node : undefined;
      const second = await holdAccelerator(ctx, asked, podMs, pod('holder-b'), pinned);
      holders.push(second);
      return await compareHolders(ctx, asked, first, second, capacity);
    } finally {
      await Promise.all(
        holders.map((holder) => ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: holder.pod })),
      );
    }
  });
}

/** The judgement of the two holders: distinct identities, or sharing the platform was configured for. */
async function compareHolders(
  ctx: ProbeContext,
  asked: AcceleratorRequest,
  first: Holder,
  second: Holder,
  capacity: number,
): Promise<string> {
  const seen = `${first.pod} on ${first.node} sees ${describeSeen(first.seen)}; ${second.pod} on ${second.node} sees ${describeSeen(second.seen)}`;
  const a = identities(first.seen);
  const b = identities(second.seen);
  if (a.length === 0 || b.length === 0) throw new CheckFailure(`a pod with ${asked.asking} saw no device (${seen})`);
  const shared = a.filter((device) => b.includes(device));
  const uuids = byUuid(first.seen) && byUuid(second.seen);
  if (first.node !== second.node) {
    // UUIDs are unique across nodes; /dev names and driver device names repeat on every node.
    if (uuids) {
      if (shared.length > 0) throw new CheckFailure(`two pods on different nodes both see ${shared.join(', ')} (${seen})`);
      return `(different nodes: node ${first.node} offers ${capacity} accelerator(s)) ${seen}: different device UUIDs`;
    }
    if (capacity === 1) {
      return `(one accelerator per node: node ${first.node} offers 1, so no second pod could share it) ${seen}; each sees exactly one device`;
    }
    throw new Error(
      `isolation between two pods on one node could not be tested: node ${first.node} offers ${capacity} accelerator(s), and the second pod ran on another node (${seen})`,
    );
  }
  if (shared.length === 0) {
    if (!uuids && a.some((device) => device.startsWith('nvidia')) && /mig-/.test(ctx.profile.resourceName ?? '')) {
      throw new Error(`MIG instances cannot be told apart by /dev names (no nvidia-smi in the probe image): ${seen}`);
    }
    return `(same node) ${seen}`;
  }
  const sharing = await configuredSharing(ctx, first.node);
  if (sharing && uuids) {
    return `(same node, ${sharing}) ${seen}: both hold a replica of ${shared.join(', ')}, sharing the platform is configured for; neither sees any other device`;
  }
  throw new CheckFailure(`two pods with separate accelerators on node ${first.node} both see ${shared.join(', ')} (${seen})`);
}

interface PodRun {
  node: string;
  /** Container name -> what it saw. */
  seen: Map<string, Seen>;
}

/** Runs a probe pod to completion and returns its node and what each of its containers saw. */
async function runPod(
  ctx: ProbeContext,
  setup: AcceleratorRequest,
  timeoutMs: number,
  spec: {
    name: string;
    containers: ProbeContainerSpec[];
    onNode?: string;
    what?: string;
    env?: Record<string, string>;
    /** Keep running (and holding any device) once it printed, until deleted. */
    hold?: boolean;
  },
): Promise<PodRun> {
  const pod = probePod(ctx, {
    name: spec.name,
    containers: spec.containers,
    // A pod none of whose containers asks for an accelerator claims none (test plan 2 and 3).
    claimTemplateName: spec.containers.some((container) => container.withAccelerator) ? setup.claimTemplateName : undefined,
    node: spec.onNode,
    ...(spec.hold ? { holdDevice: true } : {}),
  });
  if (spec.env)
    for (const container of pod.spec.containers) container.env = Object.entries(spec.env).map(([name, value]) => ({ name, value }));
  await ctx.kube.create(pod);
  const waited = waitForPod(ctx, spec.name, spec.hold ? 'printed' : 'completed', timeoutMs);
  const done = await (spec.onNode
    ? waited.catch(pinnedUnplaceable(spec.onNode, spec.what ?? spec.name))
    : waited.catch(unschedulableFails));
  const node = done.spec?.nodeName ?? '?';
  if (spec.onNode && node !== spec.onNode)
    throw new Error(`pod ${spec.name} ran on node ${node}, not on node ${spec.onNode} it was pinned to`);
  // One log read per container, sent together.
  const seen = new Map<string, Seen>(
    await Promise.all(spec.containers.map(async (container) => [container.name, await seenBy(ctx, spec.name, container.name)] as const)),
  );
  return { node, seen };
}

interface Holder {
  pod: string;
  node: string;
  seen: Seen;
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
async function holdAccelerator(
  ctx: ProbeContext,
  setup: AcceleratorRequest,
  timeoutMs: number,
  name: string,
  onNode?: string,
): Promise<Holder> {
  const pod = probePod(ctx, {
    name,
    holdDevice: true,
    claimTemplateName: setup.claimTemplateName,
    containers: [{ name: 'probe', withAccelerator: true }],
    node: onNode,
  });
  await ctx.kube.create(pod);
  const waited = waitForPod(ctx, name, 'printed', timeoutMs);
  const running = await (onNode
    ? waited.catch(pinnedUnplaceable(onNode, 'two pods holding accelerators on one node'))
    : waited.catch(unschedulableFails));
  return { pod: name, node: running.spec?.nodeName ?? '?', seen: await seenBy(ctx, name, 'probe') };
}
