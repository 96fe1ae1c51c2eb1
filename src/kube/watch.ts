// Waiting on the cluster with watches, never polling: list once for a consistent snapshot and a
// resourceVersion, then watch from it. A watch that drops or is answered 410 Gone (its
// resourceVersion expired) is resumed by listing again. The wait ends on the decision function's
// verdict, its deadline, or the abort signal, whichever comes first.

import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { WaitTimeout } from './types.js';
import { KubeApiError, requestJson } from './http.js';

export type WatchEvent =
  | { type: 'LISTED'; items: KubernetesObject[] }
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubernetesObject };

/** What a decision function says about an event: keep waiting (undefined), done, or failed. */
export type Decision<R> = { done: R } | { error: Error } | undefined;

export interface WatchWaitOptions {
  description: string;
  timeoutMs: number;
  signal?: AbortSignal;
  labelSelector?: string;
  fieldSelector?: string;
  /** Called after every list or event with a one-line picture of what was last seen. */
  describe?: (event: WatchEvent) => string | undefined;
}

/** Consecutive failed lists or watch starts before the wait gives up with the last error. */
const MAX_CONSECUTIVE_FAILURES = 5;
/** A watch up this long before it broke counts as having recovered. */
const STABLE_WATCH_MS = 5_000;

interface KubernetesList {
  metadata?: { resourceVersion?: string };
  items?: KubernetesObject[];
}

function isRetriable(error: unknown): boolean {
  const code =
    error instanceof KubeApiError
      ? error.code
      : typeof error === 'object' && error !== null && typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : undefined;
  return code === undefined || code === 410 || code === 429 || code >= 500;
}

function watchErrorOf(error: unknown): Error {
  if (error instanceof Error) {
    const code = (error as { statusCode?: unknown }).statusCode;
    return new KubeApiError(`watch failed: ${typeof code === 'number' ? `${code} ` : ''}${error.message}`, typeof code === 'number' ? code : undefined);
  }
  return new KubeApiError(`watch failed: ${String(error)}`, undefined);
}

/** Lists then watches `collectionPath` until `decide` returns a verdict. */
export function watchUntil<R>(
  config: KubeConfig,
  collectionPath: string,
  decide: (event: WatchEvent) => Decision<R>,
  options: WatchWaitOptions,
): Promise<R> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  const watcher = new Watch(config);

  return new Promise<R>((resolve, reject) => {
    let finished = false;
    let generation = 0;
    let failures = 0;
    let quickCloses = 0;
    let lastSeen = 'nothing matching yet';
    let watchController: AbortController | undefined;
    const listAbort = new AbortController();
    let retryTimer: NodeJS.Timeout | undefined;

    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      clearTimeout(retryTimer);
      signal?.removeEventListener('abort', onAbort);
      listAbort.abort();
      watchController?.abort();
      settle();
    };
    const onAbort = () => finish(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(() => {
      const seconds = Math.round(options.timeoutMs / 100) / 10;
      finish(() => reject(new WaitTimeout(`timed out after ${seconds}s waiting for ${options.description}; last seen: ${lastSeen}`)));
    }, options.timeoutMs);

    const consider = (event: WatchEvent): boolean => {
      let decision: Decision<R>;
      try {
        const seen = options.describe?.(event);
        if (seen) lastSeen = seen;
        decision = decide(event);
      } catch (error) {
        finish(() => reject(error));
        return true;
      }
      if (decision === undefined) return false;
      if ('done' in decision) finish(() => resolve(decision.done));
      else finish(() => reject(decision.error));
      return true;
    };

    const retry = (error: unknown) => {
      if (finished) return;
      failures += 1;
      if (!isRetriable(error) || failures >= MAX_CONSECUTIVE_FAILURES) {
        finish(() => reject(error instanceof Error ? error : new Error(String(error))));
        return;
      }
      // Back off between reconnects so a flapping server is not hammered; the first is immediate.
      const delay = failures === 1 ? 0 : Math.min(2000, 100 * 2 ** (failures - 2));
      retryTimer = setTimeout(() => void cycle(), delay);
    };

    const startWatch = (resourceVersion: string | undefined, myGeneration: number) => {
      const startedAt = Date.now();
      const query = { ...selectors, resourceVersion, allowWatchBookmarks: true };
      watcher
        .watch(
          collectionPath,
          query,
          (type: string, object: KubernetesObject & { code?: number; message?: string }) => {
            if (finished || myGeneration !== generation) return;
            if (type === 'BOOKMARK') return;
            if (type === 'ERROR') {
              // Usually 410 Gone: our resourceVersion is too old. List again.
              const code = typeof object.code === 'number' ? object.code : undefined;
              generation += 1;
              watchController?.abort();
              retry(new KubeApiError(`watch error: ${code ?? ''} ${object.message ?? ''}`.trim(), code));
              return;
            }
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
              failures = 0;
              consider({ type, object });
            }
          },
          (error: unknown) => {
            if (finished || myGeneration !== generation) return;
            generation += 1;
            if (error !== null && error !== undefined) {
              // Only a watch that stayed up a while counts as a recovery; one that connects and
              // breaks at once keeps backing off (and gives up after too many in a row).
              if (Date.now() - startedAt >= STABLE_WATCH_MS) failures = 0;
              retry(watchErrorOf(error));
              return;
            }
            // A clean close (the server's watch timeout, a proxy dropping the connection) is
            // resumed by listing again; closes in quick succession back off so they cannot spin.
            quickCloses = Date.now() - startedAt < 1000 ? quickCloses + 1 : 0;
            const delay = quickCloses <= 1 ? 0 : Math.min(1000, 25 * 2 ** (quickCloses - 2));
            retryTimer = setTimeout(() => void cycle(), delay);
          },
        )
        .then(
          (controller) => {
            if (finished || myGeneration !== generation) controller.abort();
            else watchController = controller;
          },
          (error: unknown) => {
            if (!finished && myGeneration === generation) {
              generation += 1;
              retry(watchErrorOf(error));
            }
          },
        );
    };

    const cycle = async () => {
      if (finished) return;
      const myGeneration = ++generation;
      let list: KubernetesList;
      try {
        list = await requestJson<KubernetesList>(config, collectionPath, { query: selectors, signal: listAbort.signal });
      } catch (error) {
        if (!finished) retry(error);
        return;
      }
      if (finished || myGeneration !== generation) return;
      if (consider({ type: 'LISTED', items: list.items ?? [] })) return;
      startWatch(list.metadata?.resourceVersion, myGeneration);
    };

    void cycle();
  });
}
