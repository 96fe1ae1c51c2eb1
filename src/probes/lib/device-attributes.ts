// Reading what DRA drivers publish about their devices: attributes (qualified `domain/name` or
// unqualified, which means the driver's own domain) and one bounded page of a driver's slices.

import type { KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from '../../kube/types.js';

export interface DeviceAttribute {
  string?: string;
  version?: string;
  int?: number;
  bool?: boolean;
}

export interface SliceDevice {
  name?: string;
  attributes?: Partial<Record<string, DeviceAttribute>>;
  capacity?: Partial<Record<string, { value?: string }>>;
}

export interface AttributedSlice extends KubernetesObject {
  spec?: { driver?: string; nodeName?: string; allNodes?: boolean; pool?: { name?: string }; devices?: SliceDevice[] };
}

export interface DevicePage {
  slices: AttributedSlice[];
  /** The server holds more slices than this page. */
  more: boolean;
}

/** An attribute's value as text, looked up as `driver/name` or plain `name`. */
export function attributeText(device: SliceDevice, driver: string, name: string): string | undefined {
  const attributes = device.attributes ?? {};
  const value = attributes[`${driver}/${name}`] ?? attributes[name];
  if (!value) return undefined;
  const raw = value.version ?? value.string ?? value.int ?? value.bool;
  return raw === undefined ? undefined : String(raw);
}

/** Every attribute name of a device, unqualified ones qualified with the driver's domain. */
export function attributeNames(device: SliceDevice, driver: string): string[] {
  return Object.keys(device.attributes ?? {}).map((name) => (name.includes('/') ? name : `${driver}/${name}`));
}

/** One page of ResourceSlices, filtered by driver and/or node on the server: the cost does not grow with the cluster. */
export async function slicePage(
  kube: Kube,
  apiVersion: string,
  filter: { driver?: string; nodeName?: string },
  limit: number,
): Promise<DevicePage> {
  const fields = [filter.driver ? `spec.driver=${filter.driver}` : '', filter.nodeName ? `spec.nodeName=${filter.nodeName}` : ''].filter(
    Boolean,
  );
  const page = await kube.listPage<AttributedSlice>(
    { apiVersion, kind: 'ResourceSlice' },
    { limit, ...(fields.length > 0 ? { fieldSelector: fields.join(',') } : {}) },
  );
  return { slices: page.items, more: page.more };
}

/** Numeric versions agree at the precision both give ("580.65.06" = "580.65.6", "12.9" = "12.9.0"); others must be equal. */
export function sameVersion(a: string, b: string): boolean {
  const parts = (v: string): number[] | undefined => {
    const core = v.trim().replace(/^v/, '').split(/[-+]/)[0] ?? '';
    const split = core.split('.');
    return core !== '' && split.every((p) => /^\d+$/.test(p)) ? split.map(Number) : undefined;
  };
  const left = parts(a);
  const right = parts(b);
  if (!left || !right) return a.trim() !== '' && a.trim().toLowerCase() === b.trim().toLowerCase();
  return left.slice(0, Math.min(left.length, right.length)).every((n, i) => n === right[i]);
}
