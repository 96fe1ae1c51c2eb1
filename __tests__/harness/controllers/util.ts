// Small helpers shared by the simulated controllers.
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { KObj } from '../types.js';
import { isRecord, textOf } from '../types.js';
import type { Store } from '../store.js';
import { nowTimestamp } from '../store.js';

export function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function arr(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function ownerRef(owner: KObj, controller = true): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller,
    blockOwnerDeletion: true,
  };
}

export function controllerOf(obj: KObj): V1OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((o) => o.controller);
}

export function isOwnedBy(obj: KObj, owner: KObj): boolean {
  return (obj.metadata.ownerReferences ?? []).some((o) => o.uid === owner.metadata.uid);
}

export type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
  lastUpdateTime?: string;
  observedGeneration?: number;
};

/** Sets a condition in a status.conditions list, keeping lastTransitionTime when status did not change. */
export function setCondition(status: Record<string, unknown>, cond: Condition): void {
  const list = arr(status.conditions) as unknown as Condition[];
  const now = nowTimestamp();
  const idx = list.findIndex((c) => c.type === cond.type);
  const prev = idx >= 0 ? list[idx] : undefined;
  const next: Condition = { ...cond, lastTransitionTime: prev && prev.status === cond.status ? (prev.lastTransitionTime ?? now) : now };
  if (idx >= 0) list[idx] = next;
  else list.push(next);
  status.conditions = list;
}

export function conditionTrue(obj: KObj, type: string): boolean {
  return arr(rec(obj.status).conditions).some((c) => c.type === type && c.status === 'True');
}

export function podPhase(pod: KObj): string {
  return textOf(rec(pod.status).phase, 'Pending');
}

export function podTerminal(pod: KObj): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

export function podReady(pod: KObj): boolean {
  return conditionTrue(pod, 'Ready');
}

/** Records a core/v1 Event about an object, as controllers do (best effort). */
export function recordEvent(
  store: Store,
  about: KObj,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
): void {
  const namespace = about.metadata.namespace ?? 'default';
  try {
    const now = nowTimestamp();
    store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${about.metadata.name ?? 'object'}.`, namespace },
      involvedObject: {
        apiVersion: about.apiVersion,
        kind: about.kind,
        name: about.metadata.name,
        namespace: about.metadata.namespace,
        uid: about.metadata.uid,
        resourceVersion: about.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      reportingComponent: component,
      reportingInstance: '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch {
    // Events are best effort, as in a real cluster (e.g. the namespace is terminating).
  }
}

/** Resolves a quantity such as 100m, 2, 1Gi, 500Mi into a number (cores or bytes). */
export function quantity(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(value.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2];
  const factors: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return n * (factors[unit] ?? 1);
}
