// Waiting on the cluster with watches, never polling: list once for a consistent snapshot and a
// resourceVersion, then watch from it. A watch that breaks (a reset, a proxy closing it, the
// server's own watch timeout, a 429 or 5xx on reconnecting) is resumed from the last
// resourceVersion it saw, with back-off, so nothing in between is missed and nothing is listed
// twice; only a 410 Gone (that version has been compacted away) makes it list again. The wait
// ends on the decision function's verdict, its deadline, or the abort signal, whichever is first.

import type { KubernetesObject } from '@kubernetes/client-node';
import { WaitTimeout } from './types.js';
import { KubeApiError, openWatch, type WatchStream } from './http.js';
import type { ApiClient } from './api.js';

export type WatchEvent =
  { type: 'LISTED'; items: KubernetesObject[] } | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubernetesObject };

/** What a decision function says about an event: keep waiting (undefined), done, or failed. */
export type Decision<R> = { done: R } | { error: Error } | undefined;

export interface WatchWaitOptions {
  description: string;
  timeoutMs: number;
  signal?: AbortSignal;
  labelSelector?: string;
  fieldSelector?: string;
  /** The probe waiting, so its waits are counted as its own (ApiClient stats). */
  probe?: string;
  /** Called after every list or event with a one-line picture of what was last seen. */
  describe?: (event: WatchEvent) => string | undefined;
}

/**
 * The server ends each watch after this long (client-go's reflector asks for 5 to 10 minutes,
 * spread at random so that watches do not all restart together); it is then resumed. A
 * connection that went silent half-open is thereby never waited on for ever.
 */
const watchTimeoutSeconds = () => Math.round(300 * (1 + Math.random()));
/** A watch up this long before it broke counts as having recovered. */
const STABLE_WATCH_MS = 5_000;

interface KubernetesList {
  metadata?: { resourceVersion?: string };
  items?: KubernetesObject[];
}

/** The HTTP code of a failed watch, if it got an answer. */
function statusOf(error: unknown): number | undefined {
  return error instanceof KubeApiError ? error.code : undefined;
}

/** Worth reconnecting after: no answer at all (a reset), 429, or a server error. */
function isRetriable(code: number | undefined): boolean {
  return code === undefined || code === 429 || code >= 500;
}

function watchErrorOf(error: unknown): KubeApiError {
  if (error instanceof KubeApiError) return error;
  return new KubeApiError(`watch failed: ${error instanceof Error ? error.message : String(error)}`, undefined);
}

/** Lists then watches `collectionPath` until `decide` returns a verdict. */
export function watchUntil<R>(
  api: ApiClient,
  collectionPath: string,
  decide: (event: WatchEvent) => Decision<R>,
  options: WatchWaitOptions,
): Promise<R> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  const maxFailures = api.retry.maxAttempts;

  return new Promise<R>((resolve, reject) => {
    let finished = false;
    let generation = 0;
    let failures = 0;
    let quickCloses = 0;
    /** Where a resumed watch starts; undefined: list first. */
    let resourceVersion: string | undefined;
    let lastSeen = 'nothing matching yet';
    let watchStream: WatchStream | undefined;
    const requestAbort = new AbortController();
    let retryTimer: NodeJS.Timeout | undefined;

    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      clearTimeout(retryTimer);
      signal?.removeEventListener('abort', onAbort);
      requestAbort.abort();
      watchStream?.abort();
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

    const later = (delayMs: number) => {
      api.noteWatchRestart(delayMs, options.probe);
      retryTimer = setTimeout(() => void cycle(), delayMs);
    };

    /** A broken watch: 410 lists again at once; a transient failure resumes after back-off. */
    const broke = (error: unknown) => {
      if (finished) return;
      const code = statusOf(error);
      if (code === 410) {
        resourceVersion = undefined;
        later(0);
        return;
      }
      failures += 1;
      if (!isRetriable(code) || failures >= maxFailures) {
        const final = watchErrorOf(error);
        finish(() =>
          reject(
            failures > 1 ? new KubeApiError(`${final.message} (gave up after ${failures} attempts)`, final.code, final.reason) : final,
          ),
        );
        return;
      }
      // As client-go's watch requests: a server that says when to come back (a 429 from priority
      // and fairness, a 5xx with Retry-After) is waited for; a 429 without one backs off, starting
      // small; other failures (a reset) are retried at once, then back off.
      const retryAfter = error instanceof KubeApiError ? error.retryAfterMs : undefined;
      if (retryAfter !== undefined || code === 429) later(api.backoffMs(failures, error));
      else later(failures === 1 ? 0 : api.backoffMs(failures - 1, error));
    };

    const startWatch = async (myGeneration: number) => {
      const startedAt = Date.now();
      try {
        await api.throttle(requestAbort.signal, options.probe);
      } catch {
        return; // finished meanwhile
      }
      if (finished || myGeneration !== generation) return;
      const query = { ...selectors, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds() };
      const current = () => !finished && myGeneration === generation;
      let stream: WatchStream;
      try {
        stream = await openWatch(api.config, collectionPath, query, {
          onEvent: (type, value) => {
            if (!current()) return;
            const object = (value ?? {}) as KubernetesObject & { code?: number; message?: string };
            if (type === 'ERROR') {
              // Usually 410 Gone: our resourceVersion is too old.
              const code = typeof object.code === 'number' ? object.code : undefined;
              generation += 1;
              watchStream?.abort();
              broke(new KubeApiError(`watch error: ${code ?? ''} ${object.message ?? ''}`.trim(), code));
              return;
            }
            const version = object.metadata?.resourceVersion;
            if (version) resourceVersion = version;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
              failures = 0;
              consider({ type, object });
            }
          },
          onClose: (error) => {
            if (!current()) return;
            generation += 1;
            if (error) {
              // Only a watch that stayed up a while counts as a recovery; one that connects and
              // breaks at once keeps backing off (and gives up after too many in a row).
              if (Date.now() - startedAt >= STABLE_WATCH_MS) failures = 0;
              broke(error);
              return;
            }
            // A clean close (the server's watch timeout, a proxy dropping the connection) is
            // resumed; closes in quick succession back off so they cannot spin.
            quickCloses = Date.now() - startedAt < 1000 ? quickCloses + 1 : 0;
            later(quickCloses <= 1 ? 0 : Math.min(1000, 25 * 2 ** (quickCloses - 2)));
          },
        });
      } catch (error) {
        if (current()) {
          generation += 1;
          broke(error);
        }
        return;
      }
      if (current()) watchStream = stream;
      else stream.abort();
    };

    const cycle = async () => {
      if (finished) return;
      const myGeneration = ++generation;
      if (resourceVersion === undefined) {
        let list: KubernetesList;
        try {
          // The client retries transient failures itself; what comes back is final.
          list = await api.json<KubernetesList>(collectionPath, { query: selectors, signal: requestAbort.signal, probe: options.probe });
        } catch (error) {
          finish(() => reject(error instanceof Error ? error : new Error(String(error))));
          return;
        }
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- finish() may have run during the await; flow analysis does not see it
        if (finished || myGeneration !== generation) return;
        if (consider({ type: 'LISTED', items: list.items ?? [] })) return;
        resourceVersion = list.metadata?.resourceVersion;
        // A server that gives no version cannot be resumed from; the watch then starts "now".
        resourceVersion ??= '';
      }
      void startWatch(myGeneration);
    };

    void cycle();
  });
}
