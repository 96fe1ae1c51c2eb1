// Version conversion for the one group where probes meet structural differences between served
// versions: resource.k8s.io v1beta1 keeps a device request's fields flat, v1beta2/v1 nest them
// under `exactly`. Storage always holds the v1 shape.
import type { KObj } from './types.js';
import { clone, isRecord } from './types.js';

const FLAT_FIELDS = ['deviceClassName', 'selectors', 'allocationMode', 'count', 'adminAccess', 'tolerations', 'capacity'];

function requestsOf(obj: Record<string, unknown>): Record<string, unknown>[] {
  const spec = isRecord(obj.spec) ? obj.spec : undefined;
  // ResourceClaimTemplate nests a claim spec under spec.spec.
  const claimSpec = obj.kind === 'ResourceClaimTemplate' && spec && isRecord(spec.spec) ? spec.spec : spec;
  const devices = claimSpec && isRecord(claimSpec.devices) ? claimSpec.devices : undefined;
  return devices && Array.isArray(devices.requests) ? devices.requests.filter(isRecord) : [];
}

/** v1beta1 wraps a slice device's fields in `basic`; v1beta2/v1 do not. */
function sliceDevices(obj: Record<string, unknown>): Record<string, unknown>[] {
  if (obj.kind !== 'ResourceSlice' || !isRecord(obj.spec) || !Array.isArray(obj.spec.devices)) return [];
  return obj.spec.devices.filter(isRecord);
}

/** v1beta1 body -> storage (v1) shape. */
export function toStorage(group: string, version: string, input: KObj): KObj {
  if (group !== 'resource.k8s.io' || version !== 'v1beta1') return input;
  const obj = clone(input);
  for (const d of sliceDevices(obj)) {
    if (!isRecord(d.basic)) continue;
    Object.assign(d, d.basic);
    delete d.basic;
  }
  for (const req of requestsOf(obj)) {
    if (req.exactly !== undefined || req.firstAvailable !== undefined) continue;
    const exactly: Record<string, unknown> = {};
    for (const f of FLAT_FIELDS) {
      if (req[f] !== undefined) {
        exactly[f] = req[f];
        delete req[f];
      }
    }
    req.exactly = exactly;
  }
  return obj;
}

/** Storage shape -> the version the client asked for. */
export function fromStorage(group: string, version: string, input: KObj): KObj {
  const apiVersion = group === '' ? version : `${group}/${version}`;
  if (input.apiVersion === apiVersion && !(group === 'resource.k8s.io' && version === 'v1beta1')) return input;
  const obj = clone(input);
  if (obj.apiVersion !== undefined) obj.apiVersion = apiVersion;
  if (group === 'resource.k8s.io' && version === 'v1beta1') {
    for (const d of sliceDevices(obj)) {
      const { name, ...rest } = d;
      for (const k of Object.keys(rest)) delete d[k];
      d.name = name;
      d.basic = rest;
    }
    for (const req of requestsOf(obj)) {
      if (!isRecord(req.exactly)) continue;
      Object.assign(req, req.exactly);
      delete req.exactly;
    }
  }
  return obj;
}
