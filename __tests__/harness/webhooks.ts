// Which admission webhooks of the stored Validating/MutatingWebhookConfigurations a request
// would be sent to (rules, namespaceSelector, objectSelector), for what the apiserver itself
// decides from them: a dry-run request is refused when a webhook it reaches may have side
// effects (sideEffects other than None/NoneOnDryRun), before any webhook is called.
import { ApiError } from './errors.js';
import { matchesLabels, type LabelSelector } from './selectors.js';
import type { Store } from './store.js';
import type { KObj } from './types.js';
import { isRecord, textOf } from './types.js';

const CONFIGURATIONS = [
  'validatingwebhookconfigurations.admissionregistration.k8s.io',
  'mutatingwebhookconfigurations.admissionregistration.k8s.io',
];

export interface WebhookRequest {
  group: string;
  version: string;
  /** Plural, plus `/subresource` when one is written. */
  resource: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  namespace?: string;
  object?: KObj;
}

/** A metav1.LabelSelector object as a selector; absent = everything. */
function selectorOf(value: unknown): LabelSelector {
  if (!isRecord(value)) return [];
  const out: LabelSelector = [];
  if (isRecord(value.matchLabels)) for (const [key, v] of Object.entries(value.matchLabels)) out.push({ op: 'eq', key, value: String(v) });
  for (const e of Array.isArray(value.matchExpressions) ? value.matchExpressions.filter(isRecord) : []) {
    const key = textOf(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    if (e.operator === 'In') out.push({ op: 'in', key, values });
    else if (e.operator === 'NotIn') out.push({ op: 'notin', key, values });
    else if (e.operator === 'Exists') out.push({ op: 'exists', key });
    else if (e.operator === 'DoesNotExist') out.push({ op: 'notexists', key });
  }
  return out;
}

const has = (list: unknown, value: string): boolean => Array.isArray(list) && (list.includes('*') || list.includes(value));

function ruleMatches(rule: Record<string, unknown>, req: WebhookRequest): boolean {
  const parts: readonly (string | undefined)[] = req.resource.split('/');
  const [plural = '', sub] = parts;
  const resources = Array.isArray(rule.resources) ? rule.resources.map(String) : [];
  const resourceOk = resources.some(
    (r) =>
      r === '*' || r === '*/*' || r === req.resource || (sub !== undefined && r === `${plural}/*`) || (sub === undefined && r === plural),
  );
  return has(rule.apiGroups, req.group) && has(rule.apiVersions, req.version) && has(rule.operations, req.operation) && resourceOk;
}

/** The webhooks (configuration/name, sideEffects) a request reaches. */
export function webhooksFor(store: Store, req: WebhookRequest): { name: string; sideEffects: string }[] {
  const namespace = req.namespace ? store.get('namespaces', undefined, req.namespace) : undefined;
  const namespaceLabels = req.namespace
    ? { ...(namespace?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': req.namespace }
    : undefined;
  const found: { name: string; sideEffects: string }[] = [];
  for (const key of CONFIGURATIONS) {
    for (const configuration of store.list(key)) {
      for (const webhook of Array.isArray(configuration.webhooks) ? configuration.webhooks.filter(isRecord) : []) {
        const rules = Array.isArray(webhook.rules) ? webhook.rules.filter(isRecord) : [];
        if (!rules.some((rule) => ruleMatches(rule, req))) continue;
        if (namespaceLabels && !matchesLabels(selectorOf(webhook.namespaceSelector), namespaceLabels)) continue;
        if (!matchesLabels(selectorOf(webhook.objectSelector), req.object?.metadata.labels)) continue;
        found.push({ name: textOf(webhook.name), sideEffects: textOf(webhook.sideEffects, 'Unknown') });
      }
    }
  }
  return found;
}

/** Refuses a dry run that would reach a webhook with side effects, as the apiserver does. */
export function checkDryRunWebhooks(store: Store, req: WebhookRequest): void {
  const unsafe = webhooksFor(store, req).find((w) => w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun');
  if (unsafe) throw new ApiError(400, 'BadRequest', `admission webhook "${unsafe.name}" does not support dry run`);
}
