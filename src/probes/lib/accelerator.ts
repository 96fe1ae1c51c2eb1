// How a probe's pods ask for one accelerator of the run's profile, confirmed before any workload
// is created: on a cluster without the accelerator, the probe fails at once with the reason
// instead of waiting for pods the scheduler can never place.

import { CheckFailure, type ProbeContext } from '../types.js';
import { claimTemplate, requireDraApiVersion, type DeviceClassObject } from './dra.js';

export interface AcceleratorRequest {
  /** The ResourceClaimTemplate pods claim from; undefined for extended-resource profiles. */
  claimTemplateName?: string;
  /** For messages: "a claim on DeviceClass gpu.example.com" / "a nvidia.com/gpu limit". */
  asking: string;
}

/** Confirms the profile's accelerator exists and, for DRA, creates the claim template `name`. */
export async function prepareAcceleratorRequest(ctx: ProbeContext, name: string): Promise<AcceleratorRequest> {
  const { profile, kube } = ctx;
  if (profile.available === false) throw new CheckFailure(`no accelerator on this cluster: ${profile.detail}`);
  if (profile.mechanism === 'extended-resource') {
    if (!profile.resourceName) throw new Error(`accelerator profile ${profile.name} names no extended resource`);
    return { asking: `a ${profile.resourceName} limit` };
  }
  if (!profile.deviceClassName) throw new Error(`accelerator profile ${profile.name} names no DeviceClass`);
  const apiVersion = await requireDraApiVersion(kube);
  if (!(await kube.get<DeviceClassObject>({ apiVersion, kind: 'DeviceClass', name: profile.deviceClassName }))) {
    throw new CheckFailure(`DeviceClass ${profile.deviceClassName} (accelerator profile ${profile.name}) does not exist`);
  }
  await kube.create(claimTemplate(apiVersion, name, profile.deviceClassName, kube.runId));
  return { claimTemplateName: name, asking: `a claim on DeviceClass ${profile.deviceClassName}` };
}
