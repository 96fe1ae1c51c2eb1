// Kubernetes-style status conditions, as found on pods, CRDs and Gateway API objects.

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function isCondition(value: unknown): value is Condition {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.type === 'string' && typeof record.status === 'string';
}

/** The conditions under `status.conditions` (or the given list), ignoring malformed entries. */
export function conditionsOf(source: unknown): Condition[] {
  const list = Array.isArray(source)
    ? source
    : typeof source === 'object' && source !== null
      ? (source as { status?: { conditions?: unknown } }).status?.conditions
      : undefined;
  return Array.isArray(list) ? list.filter(isCondition) : [];
}

export function findCondition(conditions: Condition[], type: string): Condition | undefined {
  return conditions.find((condition) => condition.type === type);
}

export function isTrue(conditions: Condition[], type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** "Accepted=False (NoController: ...)" — a condition as a reviewer wants to read it. */
export function describeCondition(conditions: Condition[], type: string): string {
  const condition = findCondition(conditions, type);
  if (!condition) return `${type} not reported`;
  const why = [condition.reason, condition.message].filter((part) => part && part !== '').join(': ');
  return why === '' ? `${type}=${condition.status}` : `${type}=${condition.status} (${why})`;
}
