// One-line pictures of objects for timeouts and heartbeats: "pod gpu-a phase=Pending".

import type { KubernetesObject } from '@kubernetes/client-node';

interface WithStatus extends KubernetesObject {
  status?: { phase?: unknown; conditions?: unknown };
}

export function describeObject(object: KubernetesObject): string {
  const status = (object as WithStatus).status;
  const parts = [`${object.kind ?? 'object'} ${object.metadata?.name ?? '?'}`];
  if (typeof status?.phase === 'string') parts.push(`phase=${status.phase}`);
  if (Array.isArray(status?.conditions)) {
    const conditions = (status.conditions as unknown[])
      .filter(
        (c): c is { type: string; status?: unknown } => typeof c === 'object' && c !== null && 'type' in c && typeof c.type === 'string',
      )
      .map((c) => `${c.type}=${String(c.status)}`);
    if (conditions.length > 0) parts.push(conditions.join(','));
  }
  return parts.join(' ');
}
