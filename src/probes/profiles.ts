// Accelerator profiles (DESIGN.md §5): what "an accelerator" is on the cluster under test, how a
// pod asks for one and how a probe container lists the ones it can see. Given with --accelerator
// or detected from the cluster at a cost that does not grow with the number of nodes.

import type { V1Toleration } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import type { Kube } from '../kube/types.js';
import type { AcceleratorProfile } from './types.js';
import { detectAccelerators } from './lib/accelerator-detect.js';

const RESULT = 'AI_CONFORMANCE_RESULT';

/**
 * Collects the identities of the devices a container sees into $d (a JSON string list) and the
 * /dev nodes behind them into $n; each collector appends to them. The result line lists
 * `nodes` only when there are any.
 */
function listScript(...collectors: string[]): string {
  const clean = 'v=$(printf %s "$1" | tr -cd "A-Za-z0-9._:/-")';
  return [
    "d=''",
    "n=''",
    `add() { ${clean}; [ -n "$v" ] && d="$d\${d:+,}\\"$v\\""; }`,
    `addn() { ${clean}; [ -n "$v" ] && n="$n\${n:+,}\\"$v\\""; }`,
    ...collectors,
    `echo "${RESULT} {\\"devices\\":[$d]\${n:+,\\"nodes\\":[$n]}}"`,
  ].join('\n');
}

/** dra-example-driver: GPU_DEVICE_<n>=gpu-<n> per allocated device (not the _RESOURCE_CLAIM twins). */
const EXAMPLE_ENV = 'for v in $(env | sed -n \'s/^GPU_DEVICE_[0-9][0-9]*=//p\' | sort); do add "$v"; done';
/**
 * NVIDIA: the UUIDs `nvidia-smi -L` reports (the NVIDIA runtime mounts nvidia-smi into every
 * container it gives a GPU): a MIG instance's own MIG- UUID rather than its parent GPU's, since
 * two MIG instances of one GPU share /dev/nvidia<i>. The /dev/nvidia<i> nodes are listed
 * beside them, and stand in for identities only where nvidia-smi is missing.
 */
const NVIDIA_DEV = [
  'u=$(nvidia-smi -L 2>/dev/null | awk \'/UUID: /{ u=$0; sub(/.*UUID: /,"",u); sub(/\\).*/,"",u); if ($1=="GPU") { if (g!="" && !m) print g; g=u; m=0 } else { print u; m=1 } } END { if (g!="" && !m) print g }\')',
  'for v in $u; do add "$v"; done',
  'for f in /dev/nvidia[0-9]*; do [ -e "$f" ] && addn "${f#/dev/}"; done',
  'if [ -z "$u" ]; then for f in /dev/nvidia[0-9]*; do [ -e "$f" ] && add "${f#/dev/}"; done; fi',
].join('\n');
/**
 * Other vendors' device nodes, each its own identity on a node: AMD and Intel render nodes
 * (/dev/dri/renderD*) and AMD's /dev/kfd (shared by every AMD GPU container, so it tells that a
 * container has AMD compute access, not which GPU), TPU and DRM-accel nodes (/dev/accel*), VFIO
 * groups (/dev/vfio/<n>), AWS Neuron (/dev/neuron*).
 */
const OTHER_DEV =
  'for f in /dev/dri/renderD* /dev/kfd /dev/accel[0-9]* /dev/accel/accel* /dev/vfio/[0-9]* /dev/neuron[0-9]*; do [ -e "$f" ] && add "${f#/dev/}" && addn "${f#/dev/}"; done';

export const EXAMPLE_DEVICE_SCRIPT = listScript(EXAMPLE_ENV);
export const NVIDIA_DEVICE_SCRIPT = listScript(NVIDIA_DEV);
/** Every usual sign of an accelerator: what each profile's pods print, so that a leak of any kind shows. */
export const GENERIC_DEVICE_SCRIPT = listScript(EXAMPLE_ENV, NVIDIA_DEV, OTHER_DEV);
/** Device nodes shared by every container of a vendor: they show access, not which device. */
export const SHARED_DEVICE_NODES = ['kfd', 'vfio/vfio'];

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
    deviceListScript: GENERIC_DEVICE_SCRIPT,
    ...chosen,
  };
}

export function nvidiaProfile(chosen: Chosen): AcceleratorProfile {
  return {
    name: 'nvidia',
    mechanism: 'extended-resource',
    resourceName: 'nvidia.com/gpu',
    tolerations: [toleration('nvidia.com/gpu')],
    deviceListScript: GENERIC_DEVICE_SCRIPT,
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
    deviceListScript: GENERIC_DEVICE_SCRIPT,
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

/**
 * The profile of a run whose accelerator detection failed: no accelerator is assumed, and the
 * runner ends each probe that reads it in error with `reason` (runner/context.ts).
 */
export function undeterminedProfile(reason: string): AcceleratorProfile {
  return {
    name: 'unknown',
    mechanism: 'dra',
    tolerations: [],
    deviceListScript: GENERIC_DEVICE_SCRIPT,
    detected: true,
    detail: `accelerator detection failed (${reason}); pass --accelerator to choose the profile`,
    undetermined: `accelerator detection failed (${reason}); pass --accelerator to choose the profile`,
  };
}

/** A DNS subdomain (RFC 1123), as DeviceClass names and extended-resource domains must be. */
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The name part of a qualified name: at most 63 characters. */
const NAME_PART = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const PROFILE_USAGE =
  'a profile (example, nvidia, nvidia-dra), a DeviceClass (deviceclass:NAME) or an extended resource (resource:DOMAIN/NAME)';

/**
 * --accelerator: example | nvidia | nvidia-dra | deviceclass:NAME | resource:NAME, or a bare
 * name: with a slash an extended resource (amd.com/gpu), else a DeviceClass. A name the API
 * server could never accept (upper case in a DeviceClass, no domain, a reserved domain) is a
 * usage error here rather than a probe that waits for it.
 */
export function profileFromFlag(value: string): AcceleratorProfile {
  const given = (detail: string): Chosen => ({ detected: false, detail });
  const trimmed = value.trim();
  if (trimmed === 'example') return exampleProfile(given('given with --accelerator example'));
  if (trimmed === 'nvidia') return nvidiaProfile(given('given with --accelerator nvidia'));
  if (trimmed === 'nvidia-dra') return nvidiaDraProfile(given('given with --accelerator nvidia-dra'));
  const colon = trimmed.indexOf(':');
  const [prefix, rest] = colon >= 0 ? [trimmed.slice(0, colon), trimmed.slice(colon + 1)] : ['', trimmed];
  if (prefix !== '' && prefix !== 'deviceclass' && prefix !== 'resource')
    throw new UsageError(`--accelerator '${value}' is not ${PROFILE_USAGE}`);
  const asResource = prefix === 'resource' || (prefix === '' && rest.includes('/'));
  if (asResource) {
    const slash = rest.indexOf('/');
    if (slash < 0) throw new UsageError(`--accelerator resource:${rest}: an extended resource name has a domain, e.g. amd.com/gpu`);
    const [domain, name] = [rest.slice(0, slash), rest.slice(slash + 1)];
    if (!DNS_SUBDOMAIN.test(domain) || !NAME_PART.test(name))
      throw new UsageError(`--accelerator '${value}' is not ${PROFILE_USAGE}: DOMAIN/NAME, e.g. amd.com/gpu`);
    if (domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io'))
      throw new UsageError(`--accelerator '${value}': the kubernetes.io domain is reserved; no device plugin can advertise it`);
    return customResourceProfile(rest, given(`extended resource ${rest} given with --accelerator`));
  }
  if (!DNS_SUBDOMAIN.test(rest))
    throw new UsageError(
      `--accelerator '${value}' is not ${PROFILE_USAGE}: a DeviceClass name has only lower-case letters, digits, '-' and '.'`,
    );
  return customDeviceClassProfile(rest, given(`DeviceClass ${rest} given with --accelerator`));
}

/** The --accelerator value that selects this profile again (for commands a report hands out). */
export function profileFlag(profile: AcceleratorProfile): string {
  if ((PROFILE_NAMES as readonly string[]).includes(profile.name)) return profile.name;
  if (profile.mechanism === 'dra') return `deviceclass:${profile.deviceClassName ?? '?'}`;
  return `resource:${profile.resourceName ?? '?'}`;
}

/**
 * Detection (lib/accelerator-detect.ts): every mechanism the cluster offers, DRA first. The run's
 * profile is the first; the others are its `alternatives`.
 */
export async function detectProfile(kube: Kube): Promise<AcceleratorProfile> {
  return detectAccelerators(kube, {
    draClass: (name, driver, chosen) => {
      if (name === 'gpu.example.com') return exampleProfile(chosen);
      if (name === 'gpu.nvidia.com') return nvidiaDraProfile(chosen);
      return { ...customDeviceClassProfile(name, chosen), ...(driver ? { driver } : {}) };
    },
    resource: (resource, chosen) => (resource === 'nvidia.com/gpu' ? nvidiaProfile(chosen) : customResourceProfile(resource, chosen)),
    none: (detail) => ({ ...exampleProfile({ detected: true, detail }), available: false }),
  });
}
