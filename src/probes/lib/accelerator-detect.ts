// Accelerator detection: which accelerators the cluster offers, and through which mechanisms
// (DRA DeviceClasses with published ResourceSlices, device-plugin extended resources on nodes).
// The cost is bounded whatever the number of nodes: DeviceClasses and one filtered page of slices
// per class, then one small label-selector request per well-known accelerator node label, and
// only when neither finds anything, a paged scan of the nodes that stops at the first node with
// an accelerator (a GPU pool whose nodes sort after thousands of CPU nodes is still found).

import type { V1Node, V1Taint, V1Toleration } from '@kubernetes/client-node';
import type { Kube } from '../../kube/types.js';
import type { AcceleratorProfile } from '../types.js';
import { driverOfDeviceClass, type DeviceClassObject, type ResourceSliceObject } from './dra.js';

type Chosen = Pick<AcceleratorProfile, 'detected' | 'detail'>;

/** Builds the profile for a mechanism once detection has found it (profiles.ts supplies these). */
export interface ProfileMakers {
  draClass(deviceClassName: string, driver: string | undefined, chosen: Chosen): AcceleratorProfile;
  resource(resourceName: string, chosen: Chosen): AcceleratorProfile;
  none(detail: string): AcceleratorProfile;
}

/** Extended resources of device plugins we recognise, in order of preference. */
export const KNOWN_RESOURCES = [
  'nvidia.com/gpu',
  'amd.com/gpu',
  'gpu.intel.com/xe',
  'gpu.intel.com/i915',
  'google.com/tpu',
  'aws.amazon.com/neuron',
  'aws.amazon.com/neuroncore',
  'habana.ai/gaudi',
];

/** Whether an allocatable resource name is an accelerator: known ones, NVIDIA MIG and vendor-style names. */
export function isAcceleratorResource(name: string): boolean {
  return KNOWN_RESOURCES.includes(name) || /^nvidia\.com\/mig-\d+g\.\d+gb$/.test(name) || /\/(gpu|tpu|accelerator|npu)s?$/i.test(name);
}

/**
 * The EC2 instance types with AWS Neuron devices, as the Neuron Helm chart's device plugin selects
 * its nodes by them (aws-neuron/neuron-helm-charts charts/neuron-helm-chart/values.yaml
 * `neuronInstances` @ 14049c2): Neuron nodes carry no accelerator label of their own.
 */
const NEURON_INSTANCE_TYPES = [
  'trn1.2xlarge',
  'trn1.32xlarge',
  'trn1n.32xlarge',
  'trn2.48xlarge',
  'trn2u.48xlarge',
  'inf1.xlarge',
  'inf1.2xlarge',
  'inf1.6xlarge',
  'inf1.24xlarge',
  'inf2.xlarge',
  'inf2.8xlarge',
  'inf2.24xlarge',
  'inf2.48xlarge',
];

/**
 * Node labels that say "accelerators here", one cheap selector each: GPU Feature Discovery and
 * the operators' labels, Node Feature Discovery's PCI vendor labels (NVIDIA 10de, AMD 1002,
 * Intel GPU), the managed platforms' own accelerator labels, and the instance types of AWS
 * Neuron nodes.
 */
export const ACCELERATOR_NODE_SELECTORS = [
  'nvidia.com/gpu.present=true',
  'feature.node.kubernetes.io/pci-10de.present=true',
  'cloud.google.com/gke-accelerator',
  'cloud.google.com/gke-tpu-accelerator',
  'k8s.amazonaws.com/accelerator',
  'kubernetes.azure.com/accelerator',
  'amd.com/gpu.present=true',
  'feature.node.kubernetes.io/amd-gpu=true',
  'feature.node.kubernetes.io/pci-1002.present=true',
  'intel.feature.node.kubernetes.io/gpu=true',
  `node.kubernetes.io/instance-type in (${NEURON_INSTANCE_TYPES.join(',')})`,
];

/** Nodes read per accelerator label: a few, in case the first ones get their devices through DRA. */
const LABELLED_PAGE = 10;
/** Scan page size; the scan stops at the first page with an accelerator node. */
const SCAN_PAGE = 500;
/** A scan never reads more than this many pages (50,000 nodes). */
const SCAN_MAX_PAGES = 100;
/** DeviceClasses that are not accelerators to claim (NVIDIA's IMEX channels, compute-domain daemons). */
const NOT_ACCELERATOR_CLASS = /^compute-domain|\.channel\./;

/** Taints every node may carry for reasons that have nothing to do with accelerators. */
const GENERIC_TAINT =
  /^node\.kubernetes\.io\/|^node\.cloudprovider\.kubernetes\.io\/|^node-role\.kubernetes\.io\/|^ToBeDeletedByClusterAutoscaler$|^DeletionCandidateOfClusterAutoscaler$/;

/** Tolerations for the NoSchedule/NoExecute taints an accelerator node really carries. */
export function tolerationsFor(node: V1Node | undefined): V1Toleration[] {
  const taints: V1Taint[] = node?.spec?.taints ?? [];
  const out: V1Toleration[] = [];
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (GENERIC_TAINT.test(taint.key)) continue;
    if (out.some((t) => t.key === taint.key && t.effect === taint.effect)) continue;
    out.push({ key: taint.key, operator: 'Exists', effect: taint.effect });
  }
  return out;
}

/** The node's accelerator resources with a positive allocatable count, preferred first. */
export function acceleratorResourcesOf(node: V1Node): string[] {
  const allocatable = node.status?.allocatable ?? {};
  const positive = Object.keys(allocatable).filter((name) => allocatable[name] !== '0' && isAcceleratorResource(name));
  const rank = (name: string): number => {
    const known = KNOWN_RESOURCES.indexOf(name);
    return known >= 0 ? known : name.startsWith('nvidia.com/mig-') ? KNOWN_RESOURCES.length : KNOWN_RESOURCES.length + 1;
  };
  return positive.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const NODES = { apiVersion: 'v1', kind: 'Node' };

export interface Found {
  profile: AcceleratorProfile;
  /** Why: "DeviceClass gpu.nvidia.com, 1 ResourceSlice(s) on node gpu-dra-node-1". */
  how: string;
}

/** DRA: DeviceClasses whose driver publishes ResourceSlices with devices (one filtered page each). */
async function draMechanisms(kube: Kube, make: ProfileMakers): Promise<{ found: Found[]; classesWithoutSlices: string[] }> {
  const versions = await kube.groupVersions('resource.k8s.io');
  const apiVersion = versions.find((v) => /\/v1(beta[12])?$/.test(v));
  if (!apiVersion) return { found: [], classesWithoutSlices: [] };
  const page = await kube.listPage<DeviceClassObject>({ apiVersion, kind: 'DeviceClass' }, { limit: 100 });
  const classes = page.items.filter((c) => c.metadata?.name && !NOT_ACCELERATOR_CLASS.test(c.metadata.name));
  // One filtered page per driver, and then one node per class, each set sent together.
  const drivers = [...new Set(classes.map((deviceClass) => driverOfDeviceClass(deviceClass) ?? ''))];
  const slicesByDriver = new Map<string, ResourceSliceObject[]>(
    await Promise.all(
      drivers.map(async (driver): Promise<[string, ResourceSliceObject[]]> => {
        // A class that names no driver may select any driver's devices: any slice will do.
        const slices = await kube.listPage<ResourceSliceObject>(
          { apiVersion, kind: 'ResourceSlice' },
          { limit: 20, ...(driver ? { fieldSelector: `spec.driver=${driver}` } : {}) },
        );
        return [driver, slices.items.filter((s) => (s.spec?.devices?.length ?? 0) > 0)];
      }),
    ),
  );
  const found: Found[] = [];
  const classesWithoutSlices: string[] = [];
  const offered: { name: string; driver?: string; slices: ResourceSliceObject[] }[] = [];
  for (const deviceClass of classes) {
    const name = deviceClass.metadata?.name ?? '';
    const driver = driverOfDeviceClass(deviceClass);
    const slices = slicesByDriver.get(driver ?? '') ?? [];
    // The class must select some published device: MIG or VFIO classes of a driver whose slices
    // hold only full GPUs select nothing.
    if (slices.length === 0 || !classSelectsSomething(deviceClass, slices)) classesWithoutSlices.push(name);
    else offered.push({ name, driver, slices });
  }
  const nodes = await Promise.all(
    offered.map(({ slices }) => {
      const nodeName = slices.find((s) => s.spec?.nodeName)?.spec?.nodeName;
      return nodeName ? kube.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName }) : Promise.resolve(undefined);
    }),
  );
  offered.forEach(({ name, driver, slices }, i) => {
    const node = nodes[i];
    const nodeName = slices.find((s) => s.spec?.nodeName)?.spec?.nodeName;
    const where = nodeName ? ` on node ${nodeName}${slices.length > 1 ? ' and others' : ''}` : '';
    const how = `DRA DeviceClass ${name} (${driver ? `driver ${driver}` : 'no driver named'}, ResourceSlices${where})`;
    const profile = make.draClass(name, driver, { detected: true, detail: how });
    found.push({ profile: { ...profile, tolerations: node ? tolerationsFor(node) : profile.tolerations }, how });
  });
  return { found, classesWithoutSlices };
}

/** Reads the `type` attribute test of NVIDIA-style classes (type == 'gpu' / 'mig' / 'vfio'). */
function classSelectsSomething(deviceClass: DeviceClassObject, slices: ResourceSliceObject[]): boolean {
  const expressions = (deviceClass.spec?.selectors ?? []).map((s) => s.cel?.expression ?? '');
  const typeTest = expressions
    .map((e) => /attributes\[['"][^'"]+['"]\]\.type\s*==\s*['"]([^'"]+)['"]/.exec(e)?.[1])
    .find((t) => t !== undefined);
  if (!typeTest) return true;
  return slices.some((slice) =>
    (slice.spec?.devices ?? []).some((device) => {
      const attributes = (device as { attributes?: Partial<Record<string, { string?: string }>> }).attributes ?? {};
      const type = attributes.type?.string ?? Object.entries(attributes).find(([k]) => k.endsWith('/type'))?.[1]?.string;
      return type === undefined || type === typeTest;
    }),
  );
}

function resourceFound(make: ProfileMakers, node: V1Node, resource: string, via: string): Found {
  const how = `device plugin resource ${resource} on node ${node.metadata?.name ?? '?'} (${via})`;
  const profile = make.resource(resource, { detected: true, detail: how });
  return { profile: { ...profile, tolerations: tolerationsFor(node) }, how };
}

/** Device plugins on labelled nodes: one request of one node per label. */
async function labelledNodes(kube: Kube, make: ProfileMakers): Promise<Found[]> {
  const found = new Map<string, Found>();
  // Sent together; read in the selectors' order, so the same node wins as before.
  const pages = await Promise.all(
    ACCELERATOR_NODE_SELECTORS.map((labelSelector) => kube.listPage<V1Node>(NODES, { labelSelector, limit: LABELLED_PAGE })),
  );
  for (const [i, page] of pages.entries()) {
    const labelSelector = ACCELERATOR_NODE_SELECTORS[i];
    for (const node of page.items) {
      for (const resource of acceleratorResourcesOf(node)) {
        if (!found.has(resource)) found.set(resource, resourceFound(make, node, resource, `label ${labelSelector}`));
      }
    }
  }
  return [...found.values()];
}

/** The paged scan: nodes in pages of 500 until one has an accelerator resource. */
async function scanNodes(kube: Kube, make: ProfileMakers): Promise<{ found: Found[]; scanned: number; complete: boolean }> {
  let token: string | undefined;
  let scanned = 0;
  for (let pageNo = 0; pageNo < SCAN_MAX_PAGES; pageNo++) {
    const page = await kube.listPage<V1Node>(NODES, { limit: SCAN_PAGE, continue: token });
    const items = page.items;
    scanned += items.length;
    const found = new Map<string, Found>();
    for (const node of items) {
      for (const resource of acceleratorResourcesOf(node)) {
        if (!found.has(resource)) found.set(resource, resourceFound(make, node, resource, `found by scanning ${scanned} node(s)`));
      }
    }
    if (found.size > 0) return { found: [...found.values()], scanned, complete: false };
    token = page.continue;
    if (!token) return { found: [], scanned, complete: true };
  }
  return { found: [], scanned, complete: false };
}

/** Order of preference among the mechanisms found: DRA first (the newer way), known profiles first. */
function rank(found: Found): number {
  const { profile } = found;
  const named = ['example', 'nvidia-dra', 'nvidia'].indexOf(profile.name);
  return (profile.mechanism === 'dra' ? 0 : 10) + (named >= 0 ? named : 5);
}

/**
 * Every accelerator mechanism the cluster offers. The first is the run's profile; the others
 * travel with it as `alternatives`, so probes that must test each mechanism can.
 */
export async function detectAccelerators(kube: Kube, make: ProfileMakers): Promise<AcceleratorProfile> {
  const [dra, devicePlugins] = await Promise.all([draMechanisms(kube, make), labelledNodes(kube, make)]);
  let found = [...dra.found, ...devicePlugins];
  let scanNote = '';
  if (found.length === 0) {
    const scan = await scanNodes(kube, make);
    found = scan.found;
    if (found.length === 0)
      scanNote = scan.complete
        ? `, none of ${scan.scanned} node(s) has an accelerator resource`
        : `, the first ${scan.scanned} node(s) have no accelerator resource`;
  }
  if (found.length === 0) {
    const classes =
      dra.classesWithoutSlices.length > 0
        ? `DeviceClass(es) ${dra.classesWithoutSlices.join(', ')} without published devices`
        : 'no DeviceClass with published devices';
    return make.none(`no accelerator found (${classes}; no accelerator node label${scanNote}); pass --accelerator to choose one`);
  }
  found.sort((a, b) => rank(a) - rank(b));
  const [first, ...rest] = found;
  const detail = found.length === 1 ? first.how : `${first.how}; also ${rest.map((f) => f.how).join('; ')}`;
  return { ...first.profile, detail, ...(rest.length > 0 ? { alternatives: rest.map((f) => f.profile) } : {}) };
}
