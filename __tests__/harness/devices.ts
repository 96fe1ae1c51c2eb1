// What a container on a node of the fake cluster can see of the node's accelerators, decided the
// way the container runtime would decide it (see fixtures/scenarios/README.md, `kubelet`):
//   - device-plugin devices: every node's allocatable accelerator resources are real devices with
//     stable identities (GPU-/MIG- UUIDs for NVIDIA, /dev nodes for the other vendors), handed out
//     one per unit of the container's limit, as the plugin's Allocate does;
//   - DRA devices: the devices of the claims the container references, shown as their driver's
//     kubelet plugin shows them (CDI: env for dra-example-driver, /dev + UUID for NVIDIA's driver);
//   - the NVIDIA runtime, where it is the node's default runtime (the GPU Operator installs it so),
//     also honours NVIDIA_VISIBLE_DEVICES in an unprivileged container's own environment when
//     `accept-nvidia-visible-devices-envvar-when-unprivileged` is true (the toolkit's default):
//     a CUDA image's `NVIDIA_VISIBLE_DEVICES=all` then shows every GPU of the node.
import { createHash } from 'node:crypto';
import type { KObj } from './types.js';
import { arr, quantity, rec } from './controllers/util.js';

/** One accelerator as a container sees it. */
export interface SeenDevice {
  /** The identity the device's own tools report: GPU-/MIG- UUID, GPU_DEVICE value, /dev node. */
  id: string;
  /** /dev entries (without "/dev/") the runtime puts into the container for it. */
  nodes: string[];
  /** Environment variables the runtime sets for it (dra-example-driver's GPU_DEVICE_<n>). */
  env?: string;
  /** `nvidia-smi -L` lines for it (NVIDIA devices only). */
  smi?: string[];
  /** NVIDIA physical GPU index on the node (for NVIDIA_VISIBLE_DEVICES=all). */
  nvidiaIndex?: number;
}

/** A stable UUID-shaped identity from a seed (NVML UUIDs are per board; these are per node+index). */
export function fakeUuid(prefix: 'GPU' | 'MIG', seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${prefix}-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The most MIG instances of a profile one GPU holds (A100/H100: 7 × 1g, 3 × 2g, 2 × 3g, 1 × 4g/7g). */
function mostPerGpu(profile: string): number {
  const slices = Number(/^(\d+)g/.exec(profile)?.[1] ?? '1');
  return slices >= 4 ? 1 : slices === 3 ? 2 : slices === 2 ? 3 : 7;
}

const label = (node: KObj, key: string): string | undefined => node.metadata.labels?.[key];
const product = (node: KObj): string =>
  (label(node, 'nvidia.com/gpu.product') ?? 'NVIDIA H100 80GB HBM3').replace(/-/g, ' ').replace(/ MIG .*$/, '');

function nvidiaGpu(node: KObj, index: number): SeenDevice {
  const uuid = fakeUuid('GPU', `${node.metadata.name ?? ''}/gpu/${index}`);
  return { id: uuid, nodes: [`nvidia${index}`], smi: [`GPU ${index}: ${product(node)} (UUID: ${uuid})`], nvidiaIndex: index };
}

/**
 * MIG instances of a profile on each GPU of the node. mig-parted partitions every GPU of a node
 * by the same mig.config (all-balanced on an A100-40GB: 2 × 1g.5gb, 1 × 2g.10gb, 1 × 3g.20gb), so
 * the node's count of the profile over its GPU count is the layout; without those, the most fit.
 */
function migPerGpu(node: KObj, profile: string): number {
  const gpus = Number(label(node, 'nvidia.com/gpu.count'));
  const allocatable = rec(rec(node.status).allocatable);
  const total = Number(label(node, `nvidia.com/mig-${profile}.count`) ?? allocatable[`nvidia.com/mig-${profile}`]);
  return gpus > 0 && total > 0 && total % gpus === 0 ? total / gpus : mostPerGpu(profile);
}

function nvidiaMig(node: KObj, profile: string, k: number): SeenDevice {
  const perGpu = migPerGpu(node, profile);
  const parent = Math.floor(k / perGpu);
  const gpu = nvidiaGpu(node, parent);
  const uuid = fakeUuid('MIG', `${node.metadata.name ?? ''}/mig/${profile}/${k}`);
  return {
    id: uuid,
    nodes: [`nvidia${parent}`, `nvidia-caps/nvidia-cap${10 + k}`],
    smi: [...(gpu.smi ?? []), `  MIG ${profile} Device ${k % perGpu}: (UUID: ${uuid})`],
    nvidiaIndex: parent,
  };
}

/** Device nodes for the non-NVIDIA vendors, by resource name. */
function otherVendorDevice(resource: string, index: number): SeenDevice | undefined {
  if (resource === 'amd.com/gpu')
    return { id: `dri/renderD${128 + index}`, nodes: ['kfd', `dri/card${index}`, `dri/renderD${128 + index}`] };
  if (resource.startsWith('gpu.intel.com/'))
    return { id: `dri/renderD${128 + index}`, nodes: [`dri/card${index}`, `dri/renderD${128 + index}`] };
  if (resource === 'google.com/tpu') return { id: `accel${index}`, nodes: [`accel${index}`] };
  if (resource.startsWith('aws.amazon.com/neuron')) return { id: `neuron${index}`, nodes: [`neuron${index}`] };
  return undefined;
}

/**
 * The devices behind `count` units of a device-plugin resource on a node, index by index. NVIDIA:
 * `nvidia.com/gpu` are whole GPUs, or time-sliced replicas of them when GPU Feature Discovery
 * labels the node `nvidia.com/gpu.replicas` > 1 (replica k is GPU k / replicas: same UUID), or
 * MIG instances under the single strategy (`nvidia.com/mig.strategy=single`);
 * `nvidia.com/mig-<profile>` are MIG instances (mixed strategy).
 */
export function pluginDevice(node: KObj, resource: string, index: number): SeenDevice | undefined {
  if (resource === 'nvidia.com/gpu') {
    const replicas = Math.max(1, Number(label(node, 'nvidia.com/gpu.replicas') ?? '1') || 1);
    // GFD sets the single strategy label whether or not MIG mode is on; only partitioned GPUs
    // get a MIG product label (A100-SXM4-40GB-MIG-1g.5gb), and only then are the units MIG devices.
    const profile = /-MIG-(\d+g\.\d+gb)$/.exec(label(node, 'nvidia.com/gpu.product') ?? '')?.[1];
    if (label(node, 'nvidia.com/mig.strategy') === 'single' && profile) return nvidiaMig(node, profile, index);
    return nvidiaGpu(node, Math.floor(index / replicas));
  }
  const mig = /^nvidia\.com\/mig-(.+)$/.exec(resource);
  if (mig) return nvidiaMig(node, mig[1], index);
  if (isVgpuTypeResource(resource))
    return { id: `vfio/${VFIO_GROUP_BASE + index}`, nodes: ['vfio/vfio', `vfio/${VFIO_GROUP_BASE + index}`] };
  return otherVendorDevice(resource, index);
}

/**
 * A vGPU type for VMs as the GPU Operator's sandbox device plugin (kubevirt-gpu-device-plugin,
 * vm-vgpu mode) names it: nvidia.com/GRID_T4-16Q. Its Allocate hands the container the mediated
 * device's VFIO group (/dev/vfio/<group> beside /dev/vfio/vfio) for virt-launcher's QEMU.
 */
function isVgpuTypeResource(resource: string): boolean {
  return /^nvidia\.com\/(?:GRID_|NVIDIA_)\S*-\d+[ABCQ]$/.test(resource);
}
/** IOMMU group numbers of the mediated devices (arbitrary, as the host assigns them). */
const VFIO_GROUP_BASE = 40;

/** Accelerator resources the kubelet knows how to hand out (device plugins of known vendors). */
export function isAcceleratorResource(resource: string): boolean {
  return (
    isVgpuTypeResource(resource) ||
    resource === 'nvidia.com/gpu' ||
    resource.startsWith('nvidia.com/mig-') ||
    resource === 'amd.com/gpu' ||
    resource.startsWith('gpu.intel.com/') ||
    resource === 'google.com/tpu' ||
    resource.startsWith('aws.amazon.com/neuron')
  );
}

export function isNvidiaResource(resource: string): boolean {
  return resource === 'nvidia.com/gpu' || resource.startsWith('nvidia.com/mig-');
}

/** Physical NVIDIA GPUs of a node, whatever offers them (device plugin or NVIDIA's DRA driver). */
export function nvidiaGpusOfNode(node: KObj, draGpus: SeenDevice[]): SeenDevice[] {
  const allocatable = rec(rec(node.status).allocatable);
  const byIndex = new Map<number, SeenDevice>();
  for (const d of draGpus) if (d.nvidiaIndex !== undefined) byIndex.set(d.nvidiaIndex, d);
  for (const [resource, value] of Object.entries(allocatable)) {
    if (!isNvidiaResource(resource)) continue;
    for (let i = 0; i < quantity(value); i++) {
      const index = pluginDevice(node, resource, i)?.nvidiaIndex;
      if (index !== undefined && !byIndex.has(index)) byIndex.set(index, nvidiaGpu(node, index));
    }
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, d]) => d);
}

/** How a DRA device of NVIDIA's driver shows: GPU (type gpu), MIG instance (type mig), VFIO (type vfio). */
export function nvidiaDraDevice(name: string, attributes: Record<string, unknown>, ordinal: number): SeenDevice {
  const str = (k: string): string | undefined => {
    const v = rec(attributes[k]).string;
    return typeof v === 'string' ? v : undefined;
  };
  const intIndex = rec(attributes.index).int;
  const index = typeof intIndex === 'number' ? intIndex : Number(/(\d+)/.exec(name)?.[1] ?? ordinal);
  const type = str('type') ?? 'gpu';
  const uuid = str('uuid') ?? fakeUuid(type === 'mig' ? 'MIG' : 'GPU', name);
  const productName = str('productName') ?? 'NVIDIA GPU';
  if (type === 'vfio') return { id: uuid, nodes: ['vfio/vfio', `vfio/${index}`] };
  if (type === 'mig') {
    const parentUuid = str('parentUUID') ?? fakeUuid('GPU', `${name}/parent`);
    return {
      id: uuid,
      nodes: [`nvidia${index}`, `nvidia-caps/nvidia-cap${10 + ordinal}`],
      smi: [`GPU ${index}: ${productName} (UUID: ${parentUuid})`, `  MIG ${str('profile') ?? '1g.5gb'} Device 0: (UUID: ${uuid})`],
      nvidiaIndex: index,
    };
  }
  return { id: uuid, nodes: [`nvidia${index}`], smi: [`GPU ${index}: ${productName} (UUID: ${uuid})`], nvidiaIndex: index };
}

/** The container's NVIDIA_VISIBLE_DEVICES from its own spec (literal env values only). */
export function ownVisibleDevices(container: Record<string, unknown>): string | undefined {
  const entry = arr(container.env).find((e) => e.name === 'NVIDIA_VISIBLE_DEVICES');
  return typeof entry?.value === 'string' ? entry.value : undefined;
}

export function privileged(container: Record<string, unknown>): boolean {
  return rec(container.securityContext).privileged === true;
}

/** Which of the node's GPUs an NVIDIA_VISIBLE_DEVICES value names: all, indices or UUIDs. */
export function visibleByEnv(value: string, gpus: SeenDevice[]): SeenDevice[] {
  const v = value.trim();
  if (v === '' || v === 'void' || v === 'none') return [];
  if (v === 'all') return gpus;
  const wanted = v.split(',').map((s) => s.trim());
  return gpus.filter((g) => wanted.includes(g.id) || wanted.includes(String(g.nvidiaIndex)));
}

/**
 * What a device-list script prints, given what the container sees; mirrors the collectors of
 * src/probes/profiles.ts (the fake cannot run shell): GPU_DEVICE_ values, `nvidia-smi -L`
 * UUIDs (MIG instances rather than their parent), /dev nodes.
 */
export function renderDeviceLine(script: string, seen: SeenDevice[]): { devices: string[]; nodes: string[] } {
  const devices: string[] = [];
  const nodes: string[] = [];
  const reads = (marker: string): boolean => script.includes(marker);
  if (reads('GPU_DEVICE_')) for (const d of seen) if (d.env) devices.push(d.env);
  const nvidia = seen.filter((d) => d.smi);
  if (reads('nvidia-smi -L') && nvidia.length > 0) for (const d of nvidia) devices.push(d.id);
  if (reads('/dev/nvidia')) {
    for (const d of nvidia) for (const n of d.nodes) if (/^nvidia\d+$/.test(n)) nodes.push(n);
    if (!reads('nvidia-smi -L')) devices.push(...nodes);
  }
  const other: [string, RegExp][] = [
    ['/dev/dri', /^dri\/renderD\d+$/],
    ['/dev/kfd', /^kfd$/],
    ['/dev/accel', /^accel/],
    ['/dev/vfio', /^vfio\/\d+$/],
    ['/dev/neuron', /^neuron\d+$/],
  ];
  for (const d of seen) {
    if (d.smi) continue;
    for (const n of d.nodes) {
      if (other.some(([marker, pattern]) => reads(marker) && pattern.test(n))) {
        devices.push(n);
        nodes.push(n);
      }
    }
  }
  const uniq = (list: string[]): string[] => [...new Set(list)].sort();
  return { devices: uniq(devices), nodes: uniq(nodes) };
}
