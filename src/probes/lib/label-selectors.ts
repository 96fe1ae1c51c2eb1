// Kubernetes label selectors (metav1.LabelSelector) as the probes meet them on other objects
// (a Prometheus's serviceMonitorSelector, say): whether one selects a set of labels, and labels
// the probe can put on its own object so that it is selected.

import type { V1LabelSelector } from '@kubernetes/client-node';

/** Whether the selector selects the labels ({} selects everything). */
export function selects(selector: V1LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    if (operator === 'In' && !(has && values.includes(labels[key]))) return false;
    if (operator === 'NotIn' && has && values.includes(labels[key])) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(operator)) return false;
  }
  return true;
}

/** The value the probe gives a label that a selector only requires to exist. */
const EXISTS_VALUE = 'ai-conformance';

/**
 * Labels to add to `current` so that the selector selects the result, or undefined when no
 * addition can: labels already set are kept as they are (a namespace's
 * kubernetes.io/metadata.name, the run's own labels), and requirements may conflict.
 */
export function labelsToSatisfy(
  selector: V1LabelSelector,
  current: Readonly<Record<string, string>> = {},
): Record<string, string> | undefined {
  const added: Record<string, string> = {};
  const value = (key: string): string | undefined => added[key] ?? current[key];
  const set = (key: string, wanted: string): boolean => {
    const now = value(key);
    if (now !== undefined) return now === wanted;
    added[key] = wanted;
    return true;
  };
  for (const [key, wanted] of Object.entries(selector.matchLabels ?? {})) if (!set(key, wanted)) return undefined;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const now = value(key);
    if (operator === 'In' && !(now !== undefined && values.includes(now)) && !(values.length > 0 && set(key, values[0]))) return undefined;
    if (operator === 'Exists' && now === undefined) added[key] = EXISTS_VALUE;
  }
  return selects(selector, { ...current, ...added }) ? added : undefined;
}

/** `release=kube-prometheus-stack, team in (ml)`, for evidence. */
export function describeSelector(selector: V1LabelSelector): string {
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(selector.matchExpressions ?? []).map(({ key, operator, values = [] }) =>
      operator === 'Exists' ? key : operator === 'DoesNotExist' ? `!${key}` : `${key} ${operator.toLowerCase()} (${values.join(',')})`,
    ),
  ];
  return parts.length ? parts.join(', ') : '{} (everything)';
}
