// Test helpers: raw HTTP against a plain-HTTP fake cluster, and waiting on store events.
import type { FakeCluster, KObj } from '../harness/index.js';

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  json: Record<string, unknown>;
}

export function token(cluster: FakeCluster): string {
  return cluster.kubeConfig().getCurrentUser()?.token ?? '';
}

export async function raw(
  cluster: FakeCluster,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const res = await fetch(`${cluster.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token(cluster)}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (logs, plain text)
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

/** Resolves with the first object of `key` matching `predicate`, now or after a later change. */
export function waitForObject(cluster: FakeCluster, key: string, predicate: (o: KObj) => boolean, namespace?: string): Promise<KObj> {
  return new Promise((resolve) => {
    const existing = cluster.store.list(key, { namespace }).find(predicate);
    if (existing) {
      resolve(existing);
      return;
    }
    const unsubscribe = cluster.store.subscribe((ev) => {
      if (
        ev.resource === key &&
        ev.type !== 'DELETED' &&
        (!namespace || ev.object.metadata.namespace === namespace) &&
        predicate(ev.object)
      ) {
        unsubscribe();
        resolve(ev.object);
      }
    });
  });
}

/** Resolves once no object of `key` in `namespace` named `name` exists. */
export function waitForGone(cluster: FakeCluster, key: string, namespace: string | undefined, name: string): Promise<void> {
  return new Promise((resolve) => {
    if (!cluster.store.get(key, namespace, name)) {
      resolve();
      return;
    }
    const unsubscribe = cluster.store.subscribe((ev) => {
      if (ev.resource === key && ev.type === 'DELETED' && ev.object.metadata.name === name && ev.object.metadata.namespace === namespace) {
        unsubscribe();
        resolve();
      }
    });
  });
}

/** Reads a watch stream until `until` returns true for the events seen so far (or the stream ends). */
export async function readWatch(
  cluster: FakeCluster,
  path: string,
  until: (events: { type: string; object: Record<string, unknown> }[]) => boolean,
): Promise<{ type: string; object: Record<string, unknown> }[]> {
  const controller = new AbortController();
  const res = await fetch(`${cluster.url}${path}`, { headers: { Authorization: `Bearer ${token(cluster)}` }, signal: controller.signal });
  const events: { type: string; object: Record<string, unknown> }[] = [];
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return events;
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim()) events.push(JSON.parse(line) as { type: string; object: Record<string, unknown> });
      }
      if (until(events)) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}
