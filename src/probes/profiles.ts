// Accelerator profiles (DESIGN.md §5): what "an accelerator" is on the cluster under test, how a
// pod asks for one and how a probe container lists the ones it can see. Given with --accelerator
// or detected from the cluster at a cost that does not grow with the number of nodes.

import type { KubernetesObject, V1Node, V1Toleration } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import type { Kube } from '../kube/types.js';
import type { AcceleratorProfile } from './types.js';

const RESULT = 'AI_CONFORMANCE_RESULT';

/** Collects device names into $d as a JSON string list; each fragment appends to it. */
function listScript(...collectors: string[]): string {
  return [
    "d=''",
    'add() { v=$(printf %s "$1" | tr -cd "A-Za-z0-9._:/-"); [ -n "$v" ] && d="$d${d:+,}\\"$v\\""; }',
    ...collectors,
    `echo "${RESULT} {\\"devices\\":[$d]}"`,
  ].join('\n');
}

/** dra-example-driver: GPU_DEVICE_<n>=gpu-<n> per allocated device (not the _RESOURCE_CLAIM twins). */
const EXAMPLE_ENV = "for v in $(env | sed -n 's/^GPU_DEVICE_[0-9][0-9]*=//p' | sort); do add \"$v\"; done";
const NVIDIA_DEV = 'for f in /dev/nvidia[0-9]*; do [ -e "$f" ] && add "${f#/dev/}"; done';
const OTHER_DEV = 'for f in /dev/dri/renderD* /dev/accel/accel* /dev/neuron[0-9]*; do [ -e "$f" ] && add "${f#/dev/}"; done';

export const EXAMPLE_DEVICE_SCRIPT = listScript(EXAMPLE_ENV);
export const NVIDIA_DEVICE_SCRIPT = listScript(NVIDIA_DEV);
/** For custom profiles we cannot know how devices show; list every usual sign. */
export const GENERIC_DEVICE_SCRIPT = listScript(EXAMPLE_ENV, NVIDIA_DEV, OTHER_DEV);

const toleration = (key: string): V1Toleration => ({ key, operator: 'Exists', effect: 'NoSchedule' });

export const PROFILE_NAMES = ['example', 'nvidia', 'nvidia-dra'] as const;

type Chosen = Pick<AcceleratorProfile, 'detected' | 'detail'>;

export function exampleProfile(chosen: Chosen): AcceleratorProfile {
  return {
    name: 'example',
    mechanism: 'dra',
    deviceClassName: 'gpu.example.com',
    driver: 'gpu.example.com',
    tolerations: [],
    deviceListScript: EXAMPLE_DEVICE_SCRIPT,
    ...chosen,
  };
}

export function nvidiaProfile(chosen: Chosen): AcceleratorProfile {
  return {
    name: 'nvidia',
    mechanism: 'extended-resource',
    resourceName: 'nvidia.com/gpu',
    tolerations: [toleration('nvidia.com/gpu')],
    deviceListScript: NVIDIA_DEVICE_SCRIPT,
    ...chosen,
  };
}

export function nvidiaDraProfile(chosen: Chosen): AcceleratorProfile {
  return {
    name: 'nvidia-dra',
    mechanism: 'dra',
    deviceClassName: 'gpu.nvidia.com',
    driver: 'gpu.nvidia.com',
    tolerations: [toleration('nvidia.com/gpu')],
    deviceListScript: NVIDIA_DEVICE_SCRIPT,
    ...chosen,
  };
}

export function customDeviceClassProfile(deviceClassName: string, chosen: Chosen): AcceleratorProfile {
  return { name: 'custom', mechanism: 'dra', deviceClassName, tolerations: [], deviceListScript: GENERIC_DEVICE_SCRIPT, ...chosen };
}

export function customResourceProfile(resourceName: string, chosen: Chosen): AcceleratorProfile {
  return {
    name: 'custom',
    mechanism: 'extended-resource',
    resourceName,
    tolerations: [toleration(resourceName)],
    deviceListScript: GENERIC_DEVICE_SCRIPT,
    ...chosen,
  };
}

const QUALIFIED_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * --accelerator: example | nvidia | nvidia-dra | deviceclass:NAME | resource:NAME, or a bare
 * name: with a slash an extended resource (amd.com/gpu), else a DeviceClass.
 */
export function profileFromFlag(value: string): AcceleratorProfile {
  const given = (detail: string): Chosen => ({ detected: false, detail });
  const trimmed = value.trim();
  if (trimmed === 'example') return exampleProfile(given('given with --accelerator example'));
  if (trimmed === 'nvidia') return nvidiaProfile(given('given with --accelerator nvidia'));
  if (trimmed === 'nvidia-dra') return nvidiaDraProfile(given('given with --accelerator nvidia-dra'));
  const [prefix, rest] = trimmed.includes(':') ? [trimmed.slice(0, trimmed.indexOf(':')), trimmed.slice(trimmed.indexOf(':') + 1)] : ['', trimmed];
  if (!QUALIFIED_NAME.test(rest) || (prefix !== '' && prefix !== 'deviceclass' && prefix !== 'resource')) {
    throw new UsageError(
      `--accelerator '${value}' is not a profile (example, nvidia, nvidia-dra), a DeviceClass (deviceclass:NAME) or an extended resource (resource:DOMAIN/NAME)`,
    );
  }
  const asResource = prefix === 'resource' || (prefix === '' && rest.includes('/'));
  if (asResource) {
    if (!rest.includes('/')) throw new UsageError(`--accelerator resource:${rest}: an extended resource name has a domain, e.g. amd.com/gpu`);
    return customResourceProfile(rest, given(`extended resource ${rest} given with --accelerator`));
  }
  return customDeviceClassProfile(rest, given(`DeviceClass ${rest} given with --accelerator`));
}

/** Extended resources we recognise on nodes, in order of preference. */
const KNOWN_RESOURCES = ['nvidia.com/gpu', 'amd.com/gpu', 'gpu.intel.com/i915', 'gpu.intel.com/xe', 'aws.amazon.com/neuron', 'google.com/tpu'];
/** Node labels that GPU operators put on accelerator nodes; a selector on them costs one small request. */
const GPU_NODE_LABELS = ['nvidia.com/gpu.present=true', 'amd.com/gpu.present=true'];
/** Nodes sampled when no label gives accelerator nodes away: bounded, whatever the cluster size. */
const NODE_SAMPLE = 5;

function acceleratorResourceOf(node: V1Node): string | undefined {
  const allocatable = node.status?.allocatable ?? {};
  const positive = (name: string) => allocatable[name] !== undefined && allocatable[name] !== '0';
  return KNOWN_RESOURCES.find(positive) ?? Object.keys(allocatable).find((name) => /\/(gpu|tpu|accelerator)s?$/i.test(name) && positive(name));
}

/** One page of nodes and no more, however many the cluster has. */
async function nodePage(kube: Kube, labelSelector: string | undefined, limit: number): Promise<V1Node[]> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (labelSelector) query.set('labelSelector', labelSelector);
  const page = await kube.getRaw<{ items?: V1Node[] }>(`/api/v1/nodes?${query.toString()}`);
  return page.items ?? [];
}

async function deviceClassNames(kube: Kube): Promise<string[] | undefined> {
  const versions = await kube.groupVersions('resource.k8s.io');
  if (versions.length === 0) return undefined;
  const classes = await kube.list<KubernetesObject>({ apiVersion: versions[0]!, kind: 'DeviceClass' }, { limit: 100 });
  return classes.map((c) => c.metadata?.name ?? '').filter((name) => name !== '').sort();
}

/** Detection: DeviceClasses first (DRA is the newer way), then node resources. */
export async function detectProfile(kube: Kube): Promise<AcceleratorProfile> {
  const detected = (detail: string): Chosen => ({ detected: true, detail });
  const classes = await deviceClassNames(kube);
  if (classes?.includes('gpu.example.com')) return exampleProfile(detected('DeviceClass gpu.example.com found (dra-example-driver)'));
  if (classes?.includes('gpu.nvidia.com')) return nvidiaDraProfile(detected('DeviceClass gpu.nvidia.com found (NVIDIA DRA driver)'));

  for (const selector of GPU_NODE_LABELS) {
    const [node] = await nodePage(kube, selector, 1);
    const resource = node ? acceleratorResourceOf(node) : undefined;
    if (node && resource) return resourceProfile(resource, `node ${node.metadata?.name ?? '?'} (label ${selector}) has allocatable ${resource}`);
  }
  const sample = await nodePage(kube, undefined, NODE_SAMPLE);
  for (const node of sample) {
    const resource = acceleratorResourceOf(node);
    if (resource) return resourceProfile(resource, `node ${node.metadata?.name ?? '?'} has allocatable ${resource}`);
  }
  if (classes && classes.length > 0) {
    return customDeviceClassProfile(classes[0]!, detected(`DeviceClass ${classes[0]} found (of ${classes.join(', ')})`));
  }
  return {
    ...exampleProfile(
      detected(
        `no accelerator found (no DeviceClass; no accelerator resource on GPU-labelled nodes or the first ${NODE_SAMPLE} nodes); pass --accelerator to choose one`,
      ),
    ),
    available: false,
  };

  function resourceProfile(resource: string, detail: string): AcceleratorProfile {
    return resource === 'nvidia.com/gpu' ? nvidiaProfile(detected(detail)) : customResourceProfile(resource, detected(detail));
  }
}
