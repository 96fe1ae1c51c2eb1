// Which GatewayClasses have a live controller, in the order a probe should try them. A class is
// only worth a Gateway when its controller accepted it for its current spec (Accepted=True with
// an observedGeneration that is not behind metadata.generation); where the implementation is one
// we know, its controller pods must also be running, since an uninstalled implementation leaves
// its classes behind, still Accepted=True. Classes whose controller is seen running come first;
// then those whose controller cannot be seen from the API (managed or out-of-cluster controllers,
// unknown implementations). Everything left out is reported with why.

import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { ALL_NAMESPACES, type Kube } from '../../kube/types.js';
import { apiErrorOf } from './api-error.js';
import { conditionsOf, describeCondition, findCondition, type Condition } from './conditions.js';
import { gatewayImplementation } from './gateway-implementations.js';

export interface GatewayClassObject extends KubernetesObject {
  spec?: { controllerName?: string };
  status?: { conditions?: (Condition & { observedGeneration?: number })[] };
}

export interface ClassCandidate {
  name: string;
  controllerName: string;
  /** How liveness was judged, for the report: "Envoy Gateway pod envoy-gateway-system/envoy-gateway-… Running". */
  liveness: string;
}

export interface LiveClasses {
  /** In the order to try them. */
  candidates: ClassCandidate[];
  /** Classes left out, each "name: why". */
  skipped: string[];
}

/** Why the class is not accepted for its current spec, or undefined when it is. */
function notAccepted(gatewayClass: GatewayClassObject): string | undefined {
  const conditions = conditionsOf(gatewayClass);
  const accepted = findCondition(conditions, 'Accepted');
  // A class nobody acted on has no Accepted condition, or the CRD's default (Unknown, Pending).
  if (!accepted || accepted.reason === 'Pending') return 'no controller has acted on it';
  if (accepted.status !== 'True') return describeCondition(conditions, 'Accepted');
  const generation = gatewayClass.metadata?.generation;
  const observed = (gatewayClass.status?.conditions ?? []).find((condition) => condition.type === 'Accepted')?.observedGeneration;
  if (observed !== undefined && generation !== undefined && observed < generation) {
    return `Accepted=True is for generation ${observed} but the class is at generation ${generation}: its controller has not acted on the current spec`;
  }
  return undefined;
}

/** A running, Ready pod of the implementation, "namespace/name"; undefined when none; null when pods cannot be read. */
async function runningPod(kube: Kube, selector: string): Promise<string | undefined | null> {
  try {
    const pods = await kube.list<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ALL_NAMESPACES }, { labelSelector: selector });
    const ready = pods.find(
      (pod) =>
        pod.status?.phase === 'Running' &&
        !pod.metadata?.deletionTimestamp &&
        (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    return ready ? `${ready.metadata?.namespace ?? '?'}/${ready.metadata?.name ?? '?'}` : undefined;
  } catch (error) {
    // Not allowed to list pods cluster-wide (or the list failed): liveness cannot be told this way.
    if (apiErrorOf(error).code !== undefined) return null;
    throw error;
  }
}

/**
 * The classes to try, best first. `wanted` (--probe-option gateway-class) restricts to that class,
 * which is tried whatever its pods show (the user named it), but only when it is accepted.
 */
export async function liveClasses(kube: Kube, classes: readonly GatewayClassObject[], wanted?: string): Promise<LiveClasses> {
  const skipped: string[] = [];
  const accepted: GatewayClassObject[] = [];
  for (const gatewayClass of classes) {
    const name = gatewayClass.metadata?.name ?? '?';
    if (wanted !== undefined && name !== wanted) continue;
    const why = notAccepted(gatewayClass);
    if (why) skipped.push(`${name} (controllerName ${gatewayClass.spec?.controllerName ?? 'unset'}): ${why}`);
    else accepted.push(gatewayClass);
  }
  // One pod list per known implementation present, whatever the number of classes or nodes.
  const podsOf = new Map<string, Promise<string | undefined | null>>();
  const seen: ClassCandidate[] = [];
  const unseen: ClassCandidate[] = [];
  for (const gatewayClass of accepted) {
    const name = gatewayClass.metadata?.name ?? '?';
    const controllerName = gatewayClass.spec?.controllerName ?? '';
    const known = gatewayImplementation(controllerName);
    if (!known) {
      unseen.push({ name, controllerName, liveness: 'controller not visible from the API: not an implementation the probe knows' });
      continue;
    }
    const lookup = podsOf.get(known.selector) ?? runningPod(kube, known.selector);
    podsOf.set(known.selector, lookup);
    const pod = await lookup;
    if (pod === null) unseen.push({ name, controllerName, liveness: `${known.title}'s pods (${known.selector}) could not be listed` });
    else if (pod !== undefined) seen.push({ name, controllerName, liveness: `${known.title} pod ${pod} running` });
    else if (wanted !== undefined)
      unseen.push({
        name,
        controllerName,
        liveness: `no running ${known.title} pod (${known.selector}) seen; tried as --probe-option gateway-class names it`,
      });
    else
      skipped.push(
        `${name} (controllerName ${controllerName}): Accepted=True but no running ${known.title} pod (${known.selector}): left by an uninstalled implementation`,
      );
  }
  return { candidates: [...seen, ...unseen], skipped };
}
