// Deleting everything a run created, then proving it is gone: namespaces go with propagation
// Background (their contents follow), cluster-scoped objects one by one; then, for every kind the
// run created, a watch on the run label waits until none is left (or the cleanup deadline), and
// whatever is still there is counted as leaked.

import type { KubernetesObject } from '@kubernetes/client-node';
import { oneLine } from '../errors.js';
import { RUN_LABEL } from './types.js';
import { KubeApiError } from './http.js';
import type { CreatedObject, KubeSession } from './client.js';
import { watchUntil } from './watch.js';

export interface CleanupResult {
  /** Delete requests sent. */
  deleted: number;
  /** Objects with the run label still present at the end. */
  leaked: number;
  /** "Namespace aic-x" lines for what was left, for the log. */
  leftovers: string[];
  /** Delete requests that failed (other than 404). */
  errors: string[];
}

export interface CleanupOptions {
  /** How long to wait for deletions to finish (namespaces take a while to terminate). */
  timeoutMs: number;
}

const isNamespace = (o: CreatedObject) => o.apiVersion === 'v1' && o.kind === 'Namespace';

async function deleteOne(session: KubeSession, object: CreatedObject): Promise<void> {
  const path = await session.objectPath({ apiVersion: object.apiVersion, kind: object.kind, name: object.name, namespace: object.namespace });
  try {
    await session.api.json<unknown>(path, {
      method: 'DELETE',
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
  } catch (error) {
    if (!(error instanceof KubeApiError && error.code === 404)) throw error;
  }
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export async function cleanupRun(session: KubeSession, options: CleanupOptions): Promise<CleanupResult> {
  const created = [...session.created];
  const namespaces = new Set(created.filter(isNamespace).map((o) => o.name));
  const targets = created.filter((o) => isNamespace(o) || !o.namespaced || !namespaces.has(o.namespace ?? ''));
  const errors: string[] = [];
  await Promise.all(
    targets.map((object) =>
      deleteOne(session, object).catch((error: unknown) => {
        errors.push(`${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}: ${oneLine(error)}`);
      }),
    ),
  );

  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const object of [{ apiVersion: 'v1', kind: 'Namespace' }, ...created]) kinds.set(`${object.apiVersion}|${object.kind}`, object);
  const labelSelector = `${RUN_LABEL}=${session.runId}`;
  const deadline = Date.now() + options.timeoutMs;

  const counts = await Promise.all(
    [...kinds.values()].map(async ({ apiVersion, kind }) => {
      let path: string;
      try {
        path = (await session.collectionPath(apiVersion, kind)).path;
      } catch (error) {
        // Not served any more (its CRD went away): nothing of that kind can be left.
        if (error instanceof KubeApiError && error.code === 404) return [] as string[];
        return [`${kind} objects (not verified: ${oneLine(error)})`];
      }
      const present = new Set<string>();
      try {
        await watchUntil<undefined>(
          session.api,
          path,
          (event) => {
            if (event.type === 'LISTED') {
              present.clear();
              for (const item of event.items) present.add(keyOf(item));
            } else if (event.type === 'DELETED') present.delete(keyOf(event.object));
            else present.add(keyOf(event.object));
            return present.size === 0 ? { done: undefined } : undefined;
          },
          { description: `${kind} objects of run ${session.runId} gone`, timeoutMs: Math.max(1, deadline - Date.now()), labelSelector },
        );
        return [] as string[];
      } catch {
        // Timed out or the watch failed: count what a final list still shows.
        try {
          const list = await session.api.json<{ items?: KubernetesObject[] }>(path, { query: { labelSelector } });
          return (list.items ?? []).map((item) => `${kind} ${keyOf(item).replace(/^\//, '')}`);
        } catch (error) {
          // Could not look: an unverified cleanup is not a clean one.
          return [`${kind} objects (not verified: ${oneLine(error)})`];
        }
      }
    }),
  );
  const leftovers = counts.flat();
  return { deleted: targets.length, leaked: leftovers.length, leftovers, errors };
}
