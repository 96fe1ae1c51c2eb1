// Shared shapes of the fake API server. Objects are kept as plain JSON (what crossed the wire),
// typed loosely as KubernetesObject plus arbitrary fields.
import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A stored object: a KubernetesObject whose metadata is always present. */
export interface KObj extends KubernetesObject {
  metadata: V1ObjectMeta;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** kubectl-style resource key: `pods`, `deployments.apps`, `resourceclaims.resource.k8s.io`. */
  resource: string;
  object: KObj;
  /** The object before the change (MODIFIED/DELETED). */
  old?: KObj;
  resourceVersion: number;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** A JSON field as text: a string as it is, a number or boolean as String() writes it, anything else `fallback`. */
export function textOf(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}
