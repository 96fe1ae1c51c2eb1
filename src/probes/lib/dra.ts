// Dynamic Resource Allocation helpers shared by the probes that claim accelerators. The probes
// create objects in whichever resource.k8s.io version the cluster serves: v1 from 1.34, v1beta1 or
// v1beta2 on 1.33 clusters, whose request shape differs (v1beta1 has no `exactly`).

import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import type { Kube } from '../../kube/types.js';
import { RUN_LABEL } from '../../kube/types.js';

export const DRA_GROUP = 'resource.k8s.io';
/** Newest first: the version a probe creates objects in is the first one served. */
const KNOWN_VERSIONS = ['v1', 'v1beta2', 'v1beta1'] as const;
export type DraVersion = (typeof KNOWN_VERSIONS)[number];

export interface ServedDra {
  /** Every version the server lists for resource.k8s.io, preferred first. */
  served: string[];
  /** The version probes use, or undefined when none of the known versions is served. */
  version?: DraVersion;
  apiVersion?: string;
}

export async function servedDra(kube: Kube): Promise<ServedDra> {
  const served = await kube.groupVersions(DRA_GROUP);
  const names = served.map((groupVersion) => groupVersion.split('/').pop() ?? groupVersion);
  const version = KNOWN_VERSIONS.find((candidate) => names.includes(candidate));
  return { served: names, version, apiVersion: version ? `${DRA_GROUP}/${version}` : undefined };
}

/** Served DRA version or a plain error: probes that claim devices cannot go on without one. */
export async function requireDraApiVersion(kube: Kube): Promise<string> {
  const dra = await servedDra(kube);
  if (!dra.apiVersion) {
    throw new Error(`resource.k8s.io is not served in a known version (served: ${dra.served.join(', ') || 'none'})`);
  }
  return dra.apiVersion;
}

export interface DeviceClassObject extends KubernetesObject {
  spec?: { selectors?: { cel?: { expression?: string } }[] };
}

export interface ResourceSliceObject extends KubernetesObject {
  spec?: { driver?: string; nodeName?: string; pool?: { name?: string }; devices?: { name?: string }[] };
}

export interface AllocationResult {
  request?: string;
  driver?: string;
  pool?: string;
  device?: string;
}

export interface ResourceClaimObject extends KubernetesObject {
  status?: {
    allocation?: { devices?: { results?: AllocationResult[] } };
    reservedFor?: { resource?: string; name?: string; uid?: string }[];
  };
}

/** The driver named by a DeviceClass's CEL selector `device.driver == "X"`, when it has one. */
export function driverOfDeviceClass(deviceClass: DeviceClassObject): string | undefined {
  for (const selector of deviceClass.spec?.selectors ?? []) {
    const match = /device\.driver\s*==\s*["']([^"']+)["']/.exec(selector.cel?.expression ?? '');
    if (match) return match[1];
  }
  return undefined;
}

export const ACCELERATOR_REQUEST = 'accelerator';

/**
 * A ResourceClaimTemplate asking for one device of the class. Claims generated from it carry the
 * run label too, so nothing the run causes escapes the leak count.
 */
/** What a claim asks for: its requests (in the served version's shape) and drivers' configs. */
export interface ClaimDevices {
  requests: Record<string, unknown>[];
  config?: Record<string, unknown>[];
}

export interface ClaimTemplateObject extends KubernetesObject {
  spec: { metadata: V1ObjectMeta; spec: { devices: ClaimDevices } };
}

export function claimTemplate(apiVersion: string, name: string, deviceClassName: string, runId: string): ClaimTemplateObject {
  const version = apiVersion.split('/')[1];
  const request =
    version === 'v1beta1'
      ? { name: ACCELERATOR_REQUEST, deviceClassName, allocationMode: 'ExactCount', count: 1 }
      : { name: ACCELERATOR_REQUEST, exactly: { deviceClassName, allocationMode: 'ExactCount', count: 1 } };
  const claimMetadata: V1ObjectMeta = { labels: { [RUN_LABEL]: runId } };
  return {
    apiVersion,
    kind: 'ResourceClaimTemplate',
    metadata: { name },
    spec: { metadata: claimMetadata, spec: { devices: { requests: [request] } } },
  };
}

/** "driver/pool/device" for each device allocated to the claim. */
export function allocatedDevices(claim: ResourceClaimObject): string[] {
  return (claim.status?.allocation?.devices?.results ?? []).map(
    (result) => `${result.driver ?? '?'}/${result.pool ?? '?'}/${result.device ?? '?'}`,
  );
}
