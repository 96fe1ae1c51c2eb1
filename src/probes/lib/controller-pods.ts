// Whether an add-on's controller runs: its pods, found the way its install names them, Running
// and Ready. CRDs outlive an uninstall (`helm uninstall` keeps them), so APIs that are served
// do not say that anything reconciles them.

import type { V1Pod, V1Service, V1ValidatingWebhook, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { ALL_NAMESPACES } from '../../kube/types.js';
import type { ProbeContext } from '../types.js';
import { conditionsOf, isTrue } from './conditions.js';

export interface ControllerPods {
  /** Where the pods were looked for, in words: "pods behind kueue-system/kueue-webhook-service". */
  where: string;
  /** Running and Ready. */
  running: V1Pod[];
  /** Found there but not (or no longer) running: pending, crashing, finished, evicted. */
  others: V1Pod[];
}

export const podName = (pod: V1Pod): string => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;

export function isRunningAndReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && isTrue(conditionsOf(pod), 'Ready');
}

function split(pods: V1Pod[], where: string): ControllerPods {
  return { where, running: pods.filter(isRunningAndReady), others: pods.filter((pod) => !isRunningAndReady(pod)) };
}

/** Pods with these labels in any namespace (a label-selected list: its cost does not grow with the cluster). */
export async function podsLabelled(ctx: ProbeContext, labelSelector: string): Promise<ControllerPods> {
  const pods = await ctx.kube.list<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ALL_NAMESPACES }, { labelSelector });
  return split(pods, `pods labelled ${labelSelector}`);
}

/**
 * The pods behind the Service of a validating webhook that covers `plural.group` (exact group and
 * plural: a policy engine's catch-all rules are not the add-on's), in the Service's own namespace,
 * wherever the add-on was installed: those of the first such webhook whose pods run, else of the
 * first such webhook. Undefined when no such webhook is configured.
 */
export async function podsBehindWebhook(ctx: ProbeContext, group: string, plural: string): Promise<ControllerPods | undefined> {
  const configurations = await ctx.kube.list<V1ValidatingWebhookConfiguration>({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
  });
  const webhooks = configurations
    .flatMap((configuration) => configuration.webhooks ?? [])
    .filter((webhook) =>
      (webhook.rules ?? []).some((rule) => (rule.apiGroups ?? []).includes(group) && (rule.resources ?? []).includes(plural)),
    );
  const found: ControllerPods[] = [];
  for (const webhook of webhooks) {
    const pods = await podsBehind(ctx, webhook);
    if (pods?.running.length) return pods;
    if (pods) found.push(pods);
  }
  return found[0];
}

async function podsBehind(ctx: ProbeContext, webhook: V1ValidatingWebhook): Promise<ControllerPods | undefined> {
  const reference = webhook.clientConfig.service;
  if (!reference) return undefined;
  const serviceName = `${reference.namespace}/${reference.name}`;
  const service = await ctx.kube.get<V1Service>({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: reference.namespace,
    name: reference.name,
  });
  const selector = Object.entries(service?.spec?.selector ?? {});
  if (!service || selector.length === 0) {
    const what = service ? 'has no pod selector' : 'does not exist';
    return { where: `webhook ${webhook.name} names Service ${serviceName}, which ${what}`, running: [], others: [] };
  }
  const labelSelector = selector.map(([key, value]) => `${key}=${value}`).join(',');
  const pods = await ctx.kube.list<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: reference.namespace }, { labelSelector });
  return split(pods, `pods behind ${serviceName} (the Service of webhook ${webhook.name})`);
}

/** "2 running: ns/a, ns/b" or "none running (ns/c Pending)" — for the report. */
export function describePods(found: ControllerPods): string {
  const others = found.others.map((pod) => `${podName(pod)} ${pod.status?.phase ?? 'without a phase'}`);
  const rest = others.length > 0 ? ` (not running and ready: ${others.join(', ')})` : '';
  const running = found.running.length > 0 ? `running: ${found.running.map(podName).join(', ')}` : 'none running';
  return `${running}${rest}; looked at ${found.where}`;
}
