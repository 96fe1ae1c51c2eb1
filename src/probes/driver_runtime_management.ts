// driver_runtime_management: accelerator drivers and their container runtime configuration are
// verifiably installed and kept compatible (KAR-0001; the kubernetes-sigs/ai-conformance test
// TestAcceleratorDriverRuntimeManagement checks the same facts). Test plan:
//   1. the driver version is discoverable, through DRA where the accelerator publishes it there
//      (device attributes driverVersion, and a runtime version such as cudaDriverVersion), else
//      through the node labels the GPU stack publishes (GPU Feature Discovery's
//      nvidia.com/cuda.driver-version.full, AMD's amd.com/gpu.driver-version);
//   2. the devices of one node agree on one driver version, and the nodes of one pool (same
//      node pool label, else same accelerator model) run one version;
//   3. a pod that requests an accelerator runs on a node that reports its container runtime, and
//      sees the driver version that node advertises (NVIDIA: the kernel module version in
//      /proc/driver/nvidia/version, which the runtime exposes only to containers given a GPU).
// The RuntimeClasses present (the GPU operator's `nvidia`) are reported. Cost: one page of the
// driver's slices or of the labelled nodes, whatever the cluster size.

import type { V1Node, V1Pod, V1RuntimeClass } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration } from './options.js';
import { prepareAcceleratorRequest } from './lib/accelerator.js';
import { requireDraApiVersion, type ResourceClaimObject } from './lib/dra.js';
import { attributeText, sameVersion, slicePage, type SliceDevice } from './lib/device-attributes.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, parseDeviceLine, probePod, waitForPod, describeDevices } from './lib/probe-pod.js';
import { unschedulableFails } from './lib/verdicts.js';

const TEMPLATE = 'driver-runtime-accelerator';
const POD = 'driver-runtime-probe';
/** Enough slices or nodes to compare a pool; a bigger cluster costs the same. */
const PAGE = 200;
const DRIVER_LINE = 'AI_CONFORMANCE_DRIVER';
/** Read inside the container: the NVIDIA runtime mounts this file only where it injected the driver. */
const NVIDIA_VERSION_FILE = '/proc/driver/nvidia/version';

const DRA_DRIVER_ATTRIBUTES = ['driverVersion'];
const DRA_RUNTIME_ATTRIBUTES = ['cudaDriverVersion', 'runtimeVersion'];
/** Node labels GPU stacks publish, by the resource they serve. */
const NODE_LABELS: Record<string, { driver: string; runtime?: string }> = {
  'nvidia.com/': { driver: 'nvidia.com/cuda.driver-version.full', runtime: 'nvidia.com/cuda.runtime-version.full' },
  'amd.com/': { driver: 'amd.com/gpu.driver-version' },
};
/** Labels that name a node's pool on managed platforms; nodes of one pool should run one driver. */
const POOL_LABELS = [
  'cloud.google.com/gke-nodepool',
  'eks.amazonaws.com/nodegroup',
  'karpenter.sh/nodepool',
  'kubernetes.azure.com/agentpool',
  'node.kubernetes.io/pool',
  'nvidia.com/gpu.product',
];

export const driverRuntimeManagementProbe = defineProbe({
  id: 'driver_runtime_management',
  shares: ['accelerators'],
  // Above its pod wait (180 s), so that wait reports, not the timeout.
  timeoutMs: 5 * 60_000,
  options: {
    'driver-runtime-management.pod-ms': duration(180_000, 'how long the probe pod may take to run and print the driver it sees'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  byProfile: {
    example:
      "DRA driverVersion on every device, one version per pool; the driver shows no version inside containers, so the allocated device's attribute is the evidence",
    nvidia: 'GPU Feature Discovery driver and CUDA labels, one version per pool, and the kernel module version a container reads',
    'nvidia-dra': 'DRA driverVersion/cudaDriverVersion, one version per pool, and the kernel module version a container reads',
    custom: "DRA driverVersion or AMD's driver label where published; manual where no version can be read inside a container",
  },
  async run(ctx) {
    if (ctx.profile.available === false)
      ctx.notApplicable(`no accelerator on this cluster, so there is no accelerator driver to manage: ${ctx.profile.detail}`);
    const advertised = await ctx.step('the accelerator driver version is discoverable', async () => {
      // The RuntimeClasses are only reported: read while the versions are.
      const runtimeClassesRead = ctx.kube.listPage<V1RuntimeClass>({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass' }, { limit: 100 });
      runtimeClassesRead.catch(() => undefined); // awaited below
      const found = await advertisedVersions(ctx);
      const advertising = found.nodes.filter((n) => n.driver !== '');
      if (advertising.length === 0) throw new CheckFailure(`no accelerator node advertises a driver version (looked for ${found.looked})`);
      const runtimeClasses = (await runtimeClassesRead).items;
      if (runtimeClasses.length > 0)
        ctx.observe(`RuntimeClasses: ${runtimeClasses.map((rc) => `${rc.metadata?.name ?? '?'} (handler ${rc.handler})`).join(', ')}`);
      const atLeast = found.more ? 'at least ' : '';
      return {
        seen: `${atLeast}${advertising.length} node(s) advertise it through ${advertising[0].source}: ${describeVersions(advertising)}`,
        value: advertising,
      };
    });

    await ctx.check('the nodes of a pool run one driver version', async () => {
      const pools = new Map<string, NodeVersions[]>();
      for (const n of advertised) pools.set(n.pool, [...(pools.get(n.pool) ?? []), n]);
      const drifting = [...pools].filter(([, nodes]) =>
        nodes.some(
          (n) => !sameVersion(n.driver, nodes[0].driver) || (n.runtime && nodes[0].runtime && !sameVersion(n.runtime, nodes[0].runtime)),
        ),
      );
      if (drifting.length > 0) {
        throw new CheckFailure(drifting.map(([pool, nodes]) => `${pool} runs more than one driver: ${describeVersions(nodes)}`).join('; '));
      }
      return [...pools]
        .map(
          ([pool, nodes]) =>
            `${pool}: ${nodes[0].driver}${nodes[0].runtime ? ` (runtime ${nodes[0].runtime})` : ''} on ${nodes.length} node(s)`,
        )
        .join('; ');
    });

    const asked = await ctx.step('a probe pod can ask for an accelerator', async () => {
      const request = await prepareAcceleratorRequest(ctx, TEMPLATE);
      return { seen: `the probe pod asks with ${request.asking}`, value: request };
    });

    // A driver that puts no version inside containers leaves the comparison to a person (value).
    const unverifiable = await ctx.step<string | undefined>(
      'a pod with an accelerator sees the driver version its node advertises',
      async () => {
        // The pod holds its device while the probe reads the allocation (a finished pod's claim is released).
        const pod = probePod(ctx, {
          name: POD,
          claimTemplateName: asked.claimTemplateName,
          holdDevice: true,
          extraScript: `echo "${DRIVER_LINE} $(head -n 1 ${NVIDIA_VERSION_FILE} 2>/dev/null)"`,
          containers: [{ name: 'probe', withAccelerator: true }],
        });
        await ctx.kube.create(pod);
        const done = await waitForPod(ctx, POD, 'printed', ctx.option('driver-runtime-management.pod-ms')).catch(unschedulableFails);
        const nodeName = done.spec?.nodeName ?? '?';
        // Its log read once (the devices and the driver line are both in it); the node and the
        // allocation are independent reads, sent with it and judged in order.
        const nodeRead = ctx.kube.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName });
        const claimedRead = ctx.profile.mechanism === 'dra' ? allocatedDevice(ctx, done) : Promise.resolve(undefined);
        for (const pending of [nodeRead, claimedRead]) pending.catch(() => undefined);
        const log = await ctx.kube.podLogs(ctx.namespace, POD, 'probe');
        const devices = parseDeviceLine(log, `container probe of pod ${POD}`);
        if (devices.length === 0) throw new CheckFailure(`the pod with ${asked.asking} on node ${nodeName} sees no accelerator`);
        const node = await nodeRead;
        const containerRuntime = node?.status?.nodeInfo?.containerRuntimeVersion ?? '';
        if (!containerRuntime.includes('://'))
          throw new CheckFailure(
            `node ${nodeName} reports no container runtime (status.nodeInfo.containerRuntimeVersion is '${containerRuntime}')`,
          );
        const onNode = advertised.find((n) => n.node === nodeName);
        const claimed = await claimedRead;
        await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: POD }); // frees the device for other probes
        const expected = claimed?.driverVersion ?? onNode?.driver;
        const where = `node ${nodeName} (${containerRuntime})`;
        if (isNvidia(ctx)) {
          const line =
            log
              .split('\n')
              .find((l) => l.startsWith(DRIVER_LINE))
              ?.slice(DRIVER_LINE.length)
              .trim() ?? '';
          const seen = kernelModuleVersion(line);
          if (!seen)
            throw new CheckFailure(
              `a container given ${describeDevices(devices)} on ${where} cannot read ${NVIDIA_VERSION_FILE}: the container runtime did not expose the driver`,
            );
          if (!expected)
            throw new CheckFailure(`the container on ${where} sees driver ${seen}, but that node advertises no driver version`);
          if (!sameVersion(seen, expected)) {
            throw new CheckFailure(
              `${where} advertises driver ${expected} (${claimed?.driverVersion ? `device ${claimed.name}` : (onNode?.source ?? '?')}), but the container given ${describeDevices(devices)} runs kernel module ${seen}`,
            );
          }
          return {
            seen: `the container given ${describeDevices(devices)} on ${where} sees kernel module ${seen}, as advertised`,
            value: undefined,
          };
        }
        if (claimed?.driverVersion) {
          if (onNode && !sameVersion(claimed.driverVersion, onNode.driver))
            throw new CheckFailure(
              `device ${claimed.name} on ${where} advertises driver ${claimed.driverVersion}, its node's other devices ${onNode.driver}`,
            );
          // dra-example-driver and most other drivers put no version inside the container: the
          // allocation is the evidence, and the report says so.
          return {
            seen: `the container on ${where} sees ${describeDevices(devices)}, allocated from device ${claimed.name} that advertises driver ${claimed.driverVersion}; driver ${ctx.profile.driver ?? '?'} exposes no version inside containers`,
            value: undefined,
          };
        }
        const saw = `the pod on ${where} sees ${describeDevices(devices)}; ${expected ? `the node advertises driver ${expected}` : 'the node advertises no driver version'}`;
        return { seen: saw, value: saw };
      },
    );
    if (unverifiable) {
      ctx.manual(
        `${unverifiable}, but no driver version can be read inside a container for ${ctx.profile.resourceName ?? ctx.profile.name}: attach the output of the vendor's tool (e.g. amd-smi version, xpu-smi discovery) run in a pod given one accelerator on that node`,
      );
    }
  },
});

interface NodeVersions {
  node: string;
  /** What the versions were read from: "DRA attribute driverVersion" or "label …". */
  source: string;
  driver: string;
  runtime?: string;
  /** The pool the node is compared within. */
  pool: string;
}

/** The versions one node advertises through DRA; throws when its devices disagree. */
function draNodeVersions(node: string, driver: string, devices: SliceDevice[], pool: string): NodeVersions | undefined {
  const found = (names: string[]) =>
    devices
      .flatMap((device) =>
        names.flatMap((name) => {
          const value = attributeText(device, driver, name);
          return value === undefined ? [] : [{ device: device.name ?? '?', name, value }];
        }),
      )
      .slice();
  const drivers = found(DRA_DRIVER_ATTRIBUTES);
  if (drivers.length === 0) return undefined;
  const first = drivers[0];
  const odd = drivers.find((seen) => !sameVersion(seen.value, first.value));
  if (odd)
    throw new CheckFailure(
      `node ${node}: device ${odd.device} reports ${odd.name} ${odd.value}, device ${first.device} ${first.value}: one node's devices disagree on the driver`,
    );
  const runtime = found(DRA_RUNTIME_ATTRIBUTES).at(0);
  return {
    node,
    source: `DRA attribute ${first.name}${runtime ? ` and ${runtime.name}` : ''}`,
    driver: first.value,
    runtime: runtime?.value,
    pool,
  };
}

function labelsFor(ctx: ProbeContext): { driver: string; runtime?: string } | undefined {
  const resource = ctx.profile.resourceName ?? (ctx.profile.driver === 'gpu.nvidia.com' ? 'nvidia.com/gpu' : '');
  return Object.entries(NODE_LABELS).find(([prefix]) => resource.startsWith(prefix))?.[1];
}

function poolOf(node: V1Node): string {
  const labels = node.metadata?.labels ?? {};
  const key = POOL_LABELS.find((label) => labels[label]);
  return key ? `${key}=${labels[key]}` : 'all labelled nodes';
}

/** Step 1 and 2's data: what each node (of one page) advertises. */
async function advertisedVersions(ctx: ProbeContext): Promise<{ nodes: NodeVersions[]; more: boolean; looked: string }> {
  const { profile, kube } = ctx;
  if (profile.mechanism === 'dra' && profile.driver) {
    const driver = profile.driver;
    const apiVersion = await requireDraApiVersion(kube);
    const page = await slicePage(kube, apiVersion, { driver: profile.driver }, PAGE);
    const byNode = new Map<string, SliceDevice[]>();
    for (const slice of page.slices) {
      const node = slice.spec?.nodeName ?? slice.spec?.pool?.name ?? '?';
      byNode.set(node, [...(byNode.get(node) ?? []), ...(slice.spec?.devices ?? [])]);
    }
    const nodes: NodeVersions[] = [];
    for (const [node, devices] of byNode) {
      const model = devices.map((d) => attributeText(d, driver, 'productName') ?? attributeText(d, driver, 'model')).find(Boolean);
      const versions = draNodeVersions(node, profile.driver, devices, model ? `model ${model}` : `driver ${profile.driver}`);
      if (versions) nodes.push(versions);
    }
    const looked = `attributes ${[...DRA_DRIVER_ATTRIBUTES, ...DRA_RUNTIME_ATTRIBUTES].join('/')} on ${byNode.size} node(s) with devices of driver ${profile.driver}`;
    if (nodes.length > 0 || !labelsFor(ctx)) return { nodes, more: page.more, looked };
  }
  const labels = labelsFor(ctx);
  if (!labels)
    return {
      nodes: [],
      more: false,
      looked: `no driver-version node label is known for ${profile.resourceName ?? profile.deviceClassName ?? profile.name}`,
    };
  const page = await kube.listPage<V1Node>({ apiVersion: 'v1', kind: 'Node' }, { limit: PAGE, labelSelector: labels.driver });
  const nodes = page.items.map((node) => {
    const nodeLabels = node.metadata?.labels ?? {};
    return {
      node: node.metadata?.name ?? '?',
      source: `label ${labels.driver}${labels.runtime && nodeLabels[labels.runtime] ? ` and ${labels.runtime}` : ''}`,
      driver: nodeLabels[labels.driver] ?? '',
      runtime: labels.runtime ? nodeLabels[labels.runtime] : undefined,
      pool: poolOf(node),
    };
  });
  return { nodes, more: page.more, looked: `node label ${labels.driver}` };
}

function describeVersions(nodes: NodeVersions[]): string {
  const byVersion = new Map<string, string[]>();
  for (const n of nodes)
    byVersion.set(`${n.driver}${n.runtime ? ` (runtime ${n.runtime})` : ''}`, [
      ...(byVersion.get(`${n.driver}${n.runtime ? ` (runtime ${n.runtime})` : ''}`) ?? []),
      n.node,
    ]);
  return [...byVersion]
    .map(
      ([version, names]) =>
        `${version} on ${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')}`,
    )
    .join('; ');
}

/** The version a driver file line names: "NVRM version: NVIDIA UNIX … Kernel Module … 580.95.05 …". */
export function kernelModuleVersion(line: string): string | undefined {
  return /Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)/.exec(line)?.[1];
}

function isNvidia(ctx: ProbeContext): boolean {
  return (ctx.profile.resourceName ?? '').startsWith('nvidia.com/') || ctx.profile.driver === 'gpu.nvidia.com';
}

/** The device allocated to the pod's claim and what its slice says about it (DRA profiles). */
async function allocatedDevice(ctx: ProbeContext, pod: V1Pod): Promise<{ name: string; driverVersion?: string } | undefined> {
  const claimName = pod.status?.resourceClaimStatuses?.[0]?.resourceClaimName;
  if (!claimName || !ctx.profile.driver) return undefined;
  const apiVersion = await requireDraApiVersion(ctx.kube);
  const claim = await ctx.kube.get<ResourceClaimObject>({ apiVersion, kind: 'ResourceClaim', namespace: ctx.namespace, name: claimName });
  const result = claim?.status?.allocation?.devices?.results?.[0];
  if (!result?.device) return undefined;
  const page = await slicePage(ctx.kube, apiVersion, { driver: result.driver, nodeName: pod.spec?.nodeName }, PAGE);
  const device = page.slices.flatMap((slice) => slice.spec?.devices ?? []).find((d) => d.name === result.device);
  return {
    name: result.device,
    driverVersion: device ? attributeText(device, result.driver ?? ctx.profile.driver, 'driverVersion') : undefined,
  };
}
