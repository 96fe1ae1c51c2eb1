// The meta.k8s.io Table kubectl asks for when it prints (`kubectl get` without -o).
import type { ResourceInfo } from './resources.js';
import type { KObj } from './types.js';
import { isRecord, textOf } from './types.js';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept.split(',')[0] ?? '');
}

function age(ts: unknown): string {
  if (typeof ts !== 'string') return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function podColumns(pod: KObj): unknown[] {
  const status = isRecord(pod.status) ? pod.status : {};
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const total = Array.isArray(spec.containers) ? spec.containers.length : 0;
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isRecord) : [];
  const ready = statuses.filter((s) => s.ready === true).length;
  const restarts = statuses.reduce((n, s) => n + (typeof s.restartCount === 'number' ? s.restartCount : 0), 0);
  let phase = typeof status.phase === 'string' ? status.phase : 'Unknown';
  for (const s of statuses) {
    const st = isRecord(s.state) ? s.state : {};
    if (isRecord(st.waiting) && typeof st.waiting.reason === 'string') phase = st.waiting.reason;
    else if (isRecord(st.terminated) && typeof st.terminated.reason === 'string' && phase !== 'Running') phase = st.terminated.reason;
  }
  if (pod.metadata.deletionTimestamp) phase = 'Terminating';
  return [
    pod.metadata.name,
    `${ready}/${total}`,
    phase,
    restarts,
    age(pod.metadata.creationTimestamp),
    textOf(status.podIP, '<none>'),
    textOf(spec.nodeName, '<none>'),
    '<none>',
    '<none>',
  ];
}

export function toTable(info: ResourceInfo, objects: KObj[], listMeta: Record<string, unknown> | undefined): Record<string, unknown> {
  const isPod = info.kind === 'Pod' && info.group === '';
  const col = (name: string, type = 'string', priority = 0): Record<string, unknown> => ({
    name,
    type,
    format: name === 'Name' ? 'name' : '',
    description: '',
    priority,
  });
  const columnDefinitions = isPod
    ? [
        col('Name'),
        col('Ready'),
        col('Status'),
        col('Restarts', 'string'),
        col('Age'),
        col('IP', 'string', 1),
        col('Node', 'string', 1),
        col('Nominated Node', 'string', 1),
        col('Readiness Gates', 'string', 1),
      ]
    : [col('Name'), col('Age')];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta ?? { resourceVersion: objects[0]?.metadata.resourceVersion },
    columnDefinitions,
    rows: objects.map((o) => ({
      cells: isPod ? podColumns(o) : [o.metadata.name, age(o.metadata.creationTimestamp)],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
