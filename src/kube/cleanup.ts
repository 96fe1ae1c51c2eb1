// Deleting everything a run created, then proving it is gone. Namespaces go with propagation
// Background (their contents follow), cluster-scoped objects one by one. A delete that fails is
// tried again, with back-off, until the cleanup deadline: an API server that refuses or drops
// deletes for a while does not make the run leave anything behind. Meanwhile a watch per kind on
// the run label waits until none is left. What is still there at the deadline is listed by
// kind/namespace/name, with the ResourceClaims of every namespace left (they hold devices), and
// one kubectl command that deletes it, naming only kinds this cluster serves.

import { setMaxListeners } from 'node:events';
import type { KubernetesObject } from '@kubernetes/client-node';
import { oneLine } from '../errors.js';
import { describeLeftover, type LeftoverObject } from '../model/results.js';
import { RUN_LABEL } from './types.js';
import { KubeApiError } from './http.js';
import { classifyFailure } from './api.js';
import { sleep } from './throttle.js';
import type { CreatedObject, KubeSession } from './client.js';
import { watchUntil } from './watch.js';

export interface CleanupResult {
  /** Delete requests sent. */
  deleted: number;
  /** Objects with the run label still present at the end (or kinds that could not be checked). */
  leaked: number;
  /** What was left, by kind/namespace/name; empty when clean. */
  objects: LeftoverObject[];
  /** "Namespace aic-x" lines for what was left, for the log. */
  leftovers: string[];
  /** Deletes that still failed at the deadline (other than 404). */
  errors: string[];
  /** A command that deletes what is left; absent when nothing is. */
  command?: string;
}

export interface CleanupOptions {
  /** How long deletes are retried and deletions waited for (namespaces take a while). */
  timeoutMs: number;
  /** A progress line at least every `progressMs` while waiting (default 15 s). */
  onProgress?: (line: string) => void;
  progressMs?: number;
}

const isNamespace = (o: { apiVersion: string; kind: string }) => o.apiVersion === 'v1' && o.kind === 'Namespace';
const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

/** The resource name kubectl takes for a kind: plural for the core group, plural.group otherwise. */
async function kubectlResource(session: KubeSession, apiVersion: string, kind: string): Promise<string | undefined> {
  try {
    const { plural } = await session.discovery.resourceFor(apiVersion, kind);
    const name = apiVersion.includes('/') ? `${plural}.${apiVersion.split('/')[0]}` : plural;
    // Names come from the server: only what Kubernetes allows goes into a command users paste.
    return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) ? name : undefined;
  } catch {
    return undefined; // not served (any more): nothing of it can be left
  }
}

/**
 * One command deleting everything of `kinds` with the run label, in every namespace. Only kinds
 * the cluster serves are named, so it never fails with "the server doesn't have a resource type".
 */
export async function cleanupCommand(
  session: KubeSession,
  kinds: readonly { apiVersion: string; kind: string }[],
): Promise<string | undefined> {
  const resources = new Set<string>();
  for (const { apiVersion, kind } of kinds) {
    const resource = await kubectlResource(session, apiVersion, kind);
    if (resource) resources.add(resource);
  }
  if (resources.size === 0) return undefined;
  return `kubectl delete ${[...resources].join(',')} --all-namespaces -l ${RUN_LABEL}=${session.runId} --ignore-not-found`;
}

/** What a run may have left right now (for a forced exit): everything registered, unchecked. */
export async function pendingCleanup(session: KubeSession): Promise<{ objects: LeftoverObject[]; command?: string }> {
  const targets = topLevel([...session.created]);
  const objects = targets.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.name,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    note: 'not cleaned up: the run was forced to exit',
  }));
  const command = await cleanupCommand(session, [{ apiVersion: 'v1', kind: 'Namespace' }, ...session.created]);
  return { objects, ...(command ? { command } : {}) };
}

/** Namespaces and what lies outside them: deleting these deletes everything. */
function topLevel(created: CreatedObject[]): CreatedObject[] {
  const namespaces = new Set(created.filter(isNamespace).map((o) => o.name));
  const seen = new Set<string>();
  return created.filter((o) => {
    const key = `${o.apiVersion}|${o.kind}|${o.namespace ?? ''}|${o.name}`;
    if (seen.has(key) || o.name === '') return false;
    seen.add(key);
    return isNamespace(o) || !o.namespaced || !namespaces.has(o.namespace ?? '');
  });
}

async function deleteOne(session: KubeSession, object: CreatedObject, signal: AbortSignal): Promise<void> {
  const path = await session.objectPath({
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.name,
    namespace: object.namespace,
  });
  try {
    await session.api.json<unknown>(path, {
      method: 'DELETE',
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      signal,
    });
  } catch (error) {
    if (!(error instanceof KubeApiError && error.code === 404)) throw error;
  }
}

/** Deletes until it succeeds, is refused for good (403, 422), or the deadline passes. */
async function deleteUntilDeadline(session: KubeSession, object: CreatedObject, deadline: AbortSignal): Promise<string | undefined> {
  let lastError: unknown;
  for (let round = 1; ; round++) {
    try {
      await deleteOne(session, object, deadline);
      return undefined;
    } catch (error) {
      if (!deadline.aborted) lastError = error;
      if (deadline.aborted || classifyFailure(lastError) === 'final') break;
      try {
        await sleep(session.api.backoffMs(round, lastError), deadline);
      } catch {
        break;
      }
    }
  }
  const what = `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
  return `${what}: ${lastError === undefined ? 'not deleted by the cleanup deadline' : oneLine(lastError)}`;
}

/** Waits (by watch, until the deadline) for no object of a kind with the run label; returns what is left. */
async function remaining(
  session: KubeSession,
  apiVersion: string,
  kind: string,
  deadlineAt: number,
  present: Set<string>,
): Promise<LeftoverObject[]> {
  let path: string;
  try {
    path = (await session.collectionPath(apiVersion, kind)).path;
  } catch (error) {
    // Not served any more (its CRD went away): nothing of that kind can be left.
    if (error instanceof KubeApiError && error.code === 404) return [];
    return [{ apiVersion, kind, note: `not verified: ${oneLine(error)}` }];
  }
  const labelSelector = `${RUN_LABEL}=${session.runId}`;
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
      { description: `${kind} objects of run ${session.runId} gone`, timeoutMs: Math.max(1, deadlineAt - Date.now()), labelSelector },
    );
    return [];
  } catch {
    // Timed out or the watch failed: count what a final list still shows.
    try {
      const list = await session.api.json<{ items?: KubernetesObject[] }>(path, { query: { labelSelector } });
      return (list.items ?? []).map((item) => ({
        apiVersion,
        kind,
        name: item.metadata?.name ?? '',
        ...(item.metadata?.namespace ? { namespace: item.metadata.namespace } : {}),
      }));
    } catch (error) {
      // Could not look: an unverified cleanup is not a clean one.
      return [{ apiVersion, kind, note: `not verified: ${oneLine(error)}` }];
    }
  }
}

/** The ResourceClaims still in the namespaces left: they keep devices allocated. */
async function claimsIn(session: KubeSession, namespaces: string[]): Promise<LeftoverObject[]> {
  if (namespaces.length === 0) return [];
  const version = (await session.discovery.groupVersions('resource.k8s.io').catch(() => []))[0];
  if (!version) return [];
  const found: LeftoverObject[] = [];
  for (const namespace of namespaces) {
    try {
      const { path } = await session.collectionPath(version, 'ResourceClaim', namespace);
      const list = await session.api.json<{ items?: KubernetesObject[] }>(path);
      for (const item of list.items ?? []) {
        found.push({
          apiVersion: version,
          kind: 'ResourceClaim',
          namespace,
          name: item.metadata?.name ?? '',
          note: 'in a namespace left behind',
        });
      }
    } catch (error) {
      found.push({ apiVersion: version, kind: 'ResourceClaim', namespace, note: `not verified: ${oneLine(error)}` });
    }
  }
  return found;
}

export async function cleanupRun(session: KubeSession, options: CleanupOptions): Promise<CleanupResult> {
  const created = [...session.created];
  const targets = topLevel(created);
  const startedAt = Date.now();
  const deadlineAt = startedAt + options.timeoutMs;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  setMaxListeners(0, deadline); // every delete and back-off listens to it at once

  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const object of [{ apiVersion: 'v1', kind: 'Namespace' }, ...created]) kinds.set(`${object.apiVersion}|${object.kind}`, object);
  const watched = [...kinds.values()].map(({ apiVersion, kind }) => ({ apiVersion, kind, present: new Set<string>() }));

  const beat = options.onProgress;
  const ticker = beat
    ? setInterval(() => {
        const left = watched.reduce((sum, { present }) => sum + present.size, 0);
        beat(
          `still deleting: ${left} object${left === 1 ? '' : 's'} of this run left after ${seconds(Date.now() - startedAt)} (cleanup deadline ${seconds(options.timeoutMs)})`,
        );
      }, options.progressMs ?? 15_000)
    : undefined;
  try {
    // Deletes and the watches proving them run together, both bounded by the deadline.
    const [deleteErrors, counts] = await Promise.all([
      Promise.all(targets.map((object) => deleteUntilDeadline(session, object, deadline))),
      Promise.all(watched.map(({ apiVersion, kind, present }) => remaining(session, apiVersion, kind, deadlineAt, present))),
    ]);
    const left = counts.flat();
    const namespacesLeft = left.flatMap((o) => (isNamespace(o) && o.name ? [o.name] : []));
    const claims = (await claimsIn(session, namespacesLeft)).filter(
      (c) => !left.some((o) => o.kind === c.kind && o.namespace === c.namespace && o.name === c.name),
    );
    const objects = [...left, ...claims];
    const command = objects.length > 0 ? await cleanupCommand(session, objects) : undefined;
    return {
      deleted: targets.length,
      // Claims in a namespace left are inside it: the namespace already counts.
      leaked: left.length,
      objects,
      leftovers: objects.map(describeLeftover),
      errors: deleteErrors.filter((e): e is string => e !== undefined),
      ...(command ? { command } : {}),
    };
  } finally {
    clearInterval(ticker);
  }
}
