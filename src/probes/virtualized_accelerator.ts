// virtualized_accelerator: virtual accelerators (NVIDIA vGPU and the like) are exposed and managed
// like physical fractions: advertised as schedulable resources or DRA devices with their profile,
// and a pod can get one. Test plan:
//   1. find virtual accelerators, at a bounded cost: nodes whose GPU Feature Discovery labels say
//      they run on a vGPU (nvidia.com/vgpu.present=true, the guest side: containers get the vGPU
//      as nvidia.com/gpu), nodes the GPU Operator runs in vm-vgpu mode (label
//      nvidia.com/gpu.workload.config=vm-vgpu: KubeVirt's device plugin offers one resource per
//      vGPU type, e.g. nvidia.com/GRID_T4-16Q), and DRA devices whose attributes name a vGPU;
//   2. each is advertised with its profile (the vGPU type: the GRID product label, the resource
//      name, or the device's profile attribute) and the host driver that manages it;
//   3. a pod that asks for one is given it and sees the device (for a vGPU type offered to VMs,
//      the /dev/vfio group KubeVirt's device plugin hands to the container).
// Not applicable where the cluster advertises no virtual accelerator, with the places looked at.

import type { V1Pod } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration } from './options.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, describeDevices, devicesSeen, probePod, waitForPod } from './lib/probe-pod.js';
import { GENERIC_DEVICE_SCRIPT, NVIDIA_DEVICE_SCRIPT } from './profiles.js';
import { attributeNames, attributeText, slicePage } from './lib/device-attributes.js';
import { servedDra } from './lib/dra.js';
import { countOf, labelledNodes } from './lib/nodes.js';
import { unschedulableFails } from './lib/verdicts.js';

const SLICE_PAGE = 100;
const POD = 'vaccel-consumer';
/** GFD's product label on a vGPU guest: "GRID-A100-4C" (GRID-<GPU>-<profile>). */
const VGPU_PRODUCT = /^(?:GRID|NVIDIA)[-_ ].*-(\d+[ABCQ])$/;
/** KubeVirt's device plugin names a vGPU type resource after the mdev type: nvidia.com/GRID_T4-16Q. */
const VGPU_RESOURCE = /^nvidia\.com\/(?:GRID_|NVIDIA_)\S*-\d+[ABCQ]$/;

type Virtual =
  | { kind: 'guest'; node: string; profile?: string; hostDriver?: string; resource: string; allocatable: number }
  | { kind: 'vm'; node: string; resource: string; allocatable: number }
  | { kind: 'dra'; node: string; driver: string; device: string; profile?: string };

export const virtualizedAcceleratorProbe = defineProbe({
  id: 'virtualized_accelerator',
  shares: ['accelerators'],
  // Above its pod wait (180 s), so that wait reports.
  timeoutMs: 5 * 60_000,
  options: {
    'virtualized-accelerator.pod-ms': duration(180_000, 'how long the pod that asks for a virtual accelerator may take to hold it'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  byProfile: {
    example: 'not applicable: the example driver has no virtual devices',
    nvidia: 'vGPU guests (GFD vgpu labels, GRID profile) and vm-vgpu hosts (KubeVirt vGPU types); a pod gets one',
    'nvidia-dra': 'the same, plus DRA devices that name a vGPU',
    custom: 'DRA devices that name a vGPU, and the NVIDIA vGPU node labels',
  },
  async run(ctx) {
    const found = await findVirtual(ctx);
    if (found.length === 0) {
      ctx.notApplicable(
        'no virtual accelerator is advertised: no node labelled nvidia.com/vgpu.present=true (a vGPU guest) or nvidia.com/gpu.workload.config=vm-vgpu (vGPU types for VMs), and no DRA device of the accelerator driver names a vGPU',
      );
    }

    await ctx.check('virtual accelerators are advertised with their profile', async () => {
      const unprofiled = found.filter((v) => (v.kind === 'guest' || v.kind === 'dra') && v.profile === undefined);
      if (unprofiled.length > 0) throw new CheckFailure(`virtual accelerators without a profile: ${unprofiled.map(describe).join('; ')}`);
      const noHostDriver = found.filter((v) => v.kind === 'guest' && v.hostDriver === undefined);
      if (noHostDriver.length > 0)
        throw new CheckFailure(`vGPU guests that do not advertise the host driver managing them: ${noHostDriver.map(describe).join('; ')}`);
      return found.map(describe).join('; ');
    });

    const target =
      found.find((v): v is Extract<Virtual, { kind: 'guest' | 'vm' }> => (v.kind === 'guest' || v.kind === 'vm') && v.allocatable > 0) ??
      found.find((v) => v.kind !== 'dra');
    if (!target) {
      return ctx.manual(
        `the virtual accelerators are DRA devices (${found.map(describe).join('; ')}); their DeviceClass is not known to this probe: attach a ResourceClaim for one, the pod using it, and the device it sees`,
      );
    }
    await ctx.check('a pod that asks for a virtual accelerator gets one', async () => {
      if (target.allocatable === 0) throw new CheckFailure(`${describe(target)}: none is allocatable, so no pod can get one`);
      await ctx.kube.create(vgpuPod(ctx, target));
      try {
        const pod = await waitForPod(ctx, POD, 'printed', ctx.option('virtualized-accelerator.pod-ms')).catch(unschedulableFails);
        const where = `on node ${pod.spec?.nodeName ?? '?'}`;
        const devices = await devicesSeen(ctx, POD, 'probe');
        if (devices.length === 0) throw new CheckFailure(`pod ${POD} was given one ${target.resource} ${where} but sees no device`);
        if (target.kind === 'vm')
          return `pod ${POD} ${where} holds one ${target.resource} (a vGPU type for virtual machines) and sees ${describeDevices(devices)}`;
        return `pod ${POD} ${where} got vGPU ${target.profile ?? ''} as ${target.resource} and sees ${describeDevices(devices)}`;
      } finally {
        await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: POD });
      }
    });
  },
});

function describe(found: Virtual): string {
  switch (found.kind) {
    case 'guest':
      return `node ${found.node} runs on vGPU ${found.profile ?? '(no profile advertised)'} (host driver ${found.hostDriver ?? 'not advertised'}), offered as ${found.allocatable} ${found.resource}`;
    case 'vm':
      return `node ${found.node} offers vGPU type ${found.resource} (${found.allocatable} allocatable) to virtual machines`;
    case 'dra':
      return `DRA device ${found.device} of driver ${found.driver} on node ${found.node} (profile ${found.profile ?? 'not advertised'})`;
  }
}

function count(value: string | undefined): number {
  return countOf(value) ?? 0;
}

async function findVirtual(ctx: ProbeContext): Promise<Virtual[]> {
  const found: Virtual[] = [];
  for (const node of await labelledNodes(ctx, 'nvidia.com/vgpu.present=true')) {
    const labels = node.metadata?.labels ?? {};
    const product = labels['nvidia.com/gpu.product'] ?? '';
    found.push({
      kind: 'guest',
      node: node.metadata?.name ?? '?',
      profile: VGPU_PRODUCT.test(product) ? product : undefined,
      hostDriver: labels['nvidia.com/vgpu.host-driver-version'],
      resource: 'nvidia.com/gpu',
      allocatable: count(node.status?.allocatable?.['nvidia.com/gpu']),
    });
  }
  for (const node of await labelledNodes(ctx, 'nvidia.com/gpu.workload.config=vm-vgpu')) {
    for (const [resource, value] of Object.entries(node.status?.capacity ?? {})) {
      if (VGPU_RESOURCE.test(resource))
        found.push({
          kind: 'vm',
          node: node.metadata?.name ?? '?',
          resource,
          allocatable: count(node.status?.allocatable?.[resource] ?? value),
        });
    }
  }
  const dra = await servedDra(ctx.kube);
  if (dra.apiVersion && ctx.profile.driver) {
    const page = await slicePage(ctx.kube, dra.apiVersion, { driver: ctx.profile.driver }, SLICE_PAGE);
    for (const slice of page.slices) {
      for (const device of slice.spec?.devices ?? []) {
        const driver = slice.spec?.driver ?? ctx.profile.driver;
        const virtual =
          attributeText(device, driver, 'type') === 'vgpu' || attributeNames(device, driver).some((name) => /vgpu/i.test(name));
        if (virtual)
          found.push({
            kind: 'dra',
            node: slice.spec?.nodeName ?? '?',
            driver,
            device: device.name ?? '?',
            profile: attributeText(device, driver, 'profile') ?? attributeText(device, driver, 'vgpuType'),
          });
      }
    }
  }
  return found;
}

/**
 * A pod that asks for one `resource` on `node`. Whatever the run's profile, a guest's vGPU is
 * listed as NVIDIA's tools show it (nvidia-smi -L, /dev/nvidia<i>); a VM's vGPU type reaches the
 * container as its VFIO group (/dev/vfio/<group>), which the generic list includes.
 */
function vgpuPod(ctx: ProbeContext, target: Extract<Virtual, { kind: 'guest' | 'vm' }>): V1Pod {
  const deviceListScript = target.kind === 'vm' ? GENERIC_DEVICE_SCRIPT : NVIDIA_DEVICE_SCRIPT;
  return probePod(ctx, {
    name: POD,
    holdDevice: true,
    resource: target.resource,
    node: target.node,
    deviceListScript,
    containers: [{ name: 'probe', withAccelerator: true }],
  });
}
