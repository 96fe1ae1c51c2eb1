// The RuntimeClass admission plugin (kube-apiserver, on by default), applied to every pod create:
// a pod naming a RuntimeClass that does not exist is rejected; otherwise the class's overhead is
// set and its scheduling (nodeSelector, tolerations) merged into the pod, as
// plugin/pkg/admission/runtimeclass does. Which handler a node can run is the kubelet's business
// (controllers/kubelet.ts, `runtimeHandlers`).
import { ApiError } from './errors.js';
import type { Store } from './store.js';
import type { KObj } from './types.js';
import { isRecord } from './types.js';

export const RUNTIME_CLASSES = 'runtimeclasses.node.k8s.io';

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** The RuntimeClass a pod names, or undefined when it names none (or the API is not served). */
export function runtimeClassOf(store: Store, pod: KObj): KObj | undefined {
  const name = record(pod.spec).runtimeClassName;
  if (typeof name !== 'string' || name === '' || !store.registry.byKey(RUNTIME_CLASSES)) return undefined;
  return store.get(RUNTIME_CLASSES, undefined, name);
}

export function admitRuntimeClass(store: Store, pod: KObj): void {
  const spec = record(pod.spec);
  const name = spec.runtimeClassName;
  if (typeof name !== 'string' || name === '' || !store.registry.byKey(RUNTIME_CLASSES)) return;
  const runtimeClass = store.get(RUNTIME_CLASSES, undefined, name);
  if (!runtimeClass)
    throw new ApiError(403, 'Forbidden', `pods "${pod.metadata.name ?? ''}" is forbidden: pod rejected: RuntimeClass "${name}" not found`);
  const podFixed = record(record((runtimeClass as Record<string, unknown>).overhead).podFixed);
  if (Object.keys(podFixed).length > 0) spec.overhead = { ...podFixed };
  const scheduling = record((runtimeClass as Record<string, unknown>).scheduling);
  const selector = record(scheduling.nodeSelector);
  const podSelector = record(spec.nodeSelector);
  for (const [key, value] of Object.entries(selector)) {
    if (key in podSelector && podSelector[key] !== value) {
      throw new ApiError(
        403,
        'Forbidden',
        `pods "${pod.metadata.name ?? ''}" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${String(value)}; pod.spec.nodeSelector[${key}] = ${String(podSelector[key])}`,
      );
    }
  }
  if (Object.keys(selector).length > 0) spec.nodeSelector = { ...podSelector, ...selector };
  const tolerations: unknown[] = Array.isArray(scheduling.tolerations) ? scheduling.tolerations : [];
  if (tolerations.length > 0) {
    const existing: unknown[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    spec.tolerations = [...existing, ...tolerations.filter((t) => !existing.some((e) => same(e, t)))];
  }
  pod.spec = spec;
}
