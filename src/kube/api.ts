// The API client every kube helper sends through: one token bucket per run (client-side rate
// limiting) and retries the way client-go makes them, with exponential back-off and jitter.
//
// What is retried, and why it is safe:
//   429                      the server refused before doing anything (priority and fairness);
//                            any request, after the Retry-After it sends;
//   500 502 503 504, a reset  the request may have been applied: only requests that are safe to
//   or a silent connection   repeat (GET, PUT, DELETE, merge PATCH, and creates whose caller
//                            resolves a repeated create by name: `repeatable`);
//   a refused connection     nothing was sent: any request.
// Everything else (4xx, TLS and DNS failures, the abort signal) is final at once. A request that
// runs out of attempts fails with the last error, saying how many attempts were made.

import type { KubeConfig } from '@kubernetes/client-node';
import { IDLE_TIMEOUT, KubeApiError, requestText, type RequestOptions } from './http.js';
import { DEFAULT_BURST, DEFAULT_QPS, TokenBucket, sleep } from './throttle.js';

export interface RetryPolicy {
  /** Attempts per request, the first included (client-go's maxRetries is 10). */
  maxAttempts: number;
  /** The first back-off; each later one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is cut to it, so that one answer cannot stall a probe. */
  maxRetryAfterMs: number;
}

/**
 * Ten attempts, as client-go's rest client makes after a Retry-After. The first back-off is 50 to
 * 100 ms (client-go's retry.DefaultBackoff starts at 10 ms, for conflicts; a 5xx means a server
 * in trouble, so a little more), doubling to at most 10 s (its reflector caps at 30 s, but a probe
 * waits on one request, not a cache).
 */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 };

/**
 * Attempts of a request through the API server's proxy (a service's or pod's HTTP endpoint) that
 * may end in a 5xx or no answer: such a 503 or 502 is usually the backend's own (a Service with no
 * ready endpoint yet), which the probe polls for itself, so ten back-offs (half a minute) on top
 * of its own loop would only delay it. A 429 is the API server's and is waited out as ever.
 */
export const PROXY_SERVER_ERROR_ATTEMPTS = 3;

export interface ApiClientOptions {
  qps?: number;
  burst?: number;
  retry?: Partial<RetryPolicy>;
  /** Random numbers in [0, 1) for jitter (tests pass a fixed one). */
  random?: () => number;
}

export interface ApiRequestOptions extends RequestOptions {
  /**
   * A POST that may be repeated after an answer was lost: the caller resolves a 409 that follows
   * (see KubeApiError.mayHaveApplied). Other methods are repeatable unless they say otherwise.
   */
  repeatable?: boolean;
  /** The probe the request is for, so its waits are counted as its own (stats.byProbe). */
  probe?: string;
  /** Through the API server's proxy: 5xx and lost answers get PROXY_SERVER_ERROR_ATTEMPTS. */
  proxied?: boolean;
}

/** Where time went waiting on the API server: for the whole run, and for each probe. */
export interface WaitTally {
  requests: number;
  retries: number;
  /** Retries by cause: 429, 5xx, no answer (a reset, a refused connection). */
  retriesBy: { throttled: number; server: number; network: number };
  /** Time spent waiting before retries (Retry-After or back-off). */
  retryWaitMs: number;
  /** Broken watches started again, and the time waited before starting them. */
  watchRestarts: number;
  watchWaitMs: number;
  /** Time requests and watch starts waited for a rate limiter token. */
  throttledMs: number;
}

/** Counters for the bench and the tests: the run's totals, and each probe's (by its id). */
export interface ApiStats extends WaitTally {
  byProbe: Partial<Record<string, WaitTally>>;
}

const emptyTally = (): WaitTally => ({
  requests: 0,
  retries: 0,
  retriesBy: { throttled: 0, server: 0, network: 0 },
  retryWaitMs: 0,
  watchRestarts: 0,
  watchWaitMs: 0,
  throttledMs: 0,
});

/** Socket errors after which the request never reached the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** Socket errors after which the request may or may not have been applied. */
const LOST_ANSWER = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', IDLE_TIMEOUT]);
const SERVER_ERRORS = new Set([500, 502, 503, 504]);

type Failure = 'final' | 'not-applied' | 'maybe-applied';

export function classifyFailure(error: unknown): Failure {
  if (!(error instanceof KubeApiError)) return 'final';
  if (error.code === 429) return 'not-applied';
  if (error.code !== undefined) return SERVER_ERRORS.has(error.code) ? 'maybe-applied' : 'final';
  if (error.network && NOT_SENT.has(error.network)) return 'not-applied';
  if (error.network && LOST_ANSWER.has(error.network)) return 'maybe-applied';
  return 'final';
}

export class ApiClient {
  readonly stats: ApiStats = { ...emptyTally(), byProbe: {} };
  readonly retry: RetryPolicy;
  private readonly bucket: TokenBucket;
  private readonly random: () => number;

  constructor(
    readonly config: KubeConfig,
    options: ApiClientOptions = {},
  ) {
    this.bucket = new TokenBucket({ qps: options.qps ?? DEFAULT_QPS, burst: options.burst ?? DEFAULT_BURST });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.random = options.random ?? Math.random;
  }

  /** Waits for the rate limiter; watch starts call it too. */
  async throttle(signal?: AbortSignal, probe?: string): Promise<void> {
    const waitMs = this.bucket.reserve();
    if (waitMs <= 0) return;
    this.count(probe, (t) => (t.throttledMs += waitMs));
    await sleep(waitMs, signal);
  }

  /** Records a broken watch that is started again after `delayMs`. */
  noteWatchRestart(delayMs: number, probe?: string): void {
    this.count(probe, (t) => {
      t.watchRestarts += 1;
      t.watchWaitMs += delayMs;
    });
  }

  /** Applies `change` to the run's totals and to the probe's own tally. */
  private count(probe: string | undefined, change: (tally: WaitTally) => void): void {
    change(this.stats);
    if (probe !== undefined) change((this.stats.byProbe[probe] ??= emptyTally()));
  }

  /**
   * How long to wait before attempt `attempt + 1` after `error`: the server's Retry-After when it
   * sent one (never sooner; a little later, so clients told the same do not return together),
   * else exponential back-off with equal jitter.
   */
  backoffMs(attempt: number, error?: unknown): number {
    const retryAfter = error instanceof KubeApiError ? error.retryAfterMs : undefined;
    if (retryAfter !== undefined) {
      const capped = Math.min(retryAfter, this.retry.maxRetryAfterMs);
      return capped + this.random() * Math.min(capped * 0.1, this.retry.baseDelayMs);
    }
    const exponential = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return exponential / 2 + (this.random() * exponential) / 2;
  }

  async text(path: string, options: ApiRequestOptions = {}): Promise<string> {
    const method = options.method ?? 'GET';
    const repeatable = options.repeatable ?? method !== 'POST';
    let mayHaveApplied = false;
    let serverFailures = 0;
    for (let attempt = 1; ; attempt++) {
      await this.throttle(options.signal, options.probe);
      this.count(options.probe, (t) => (t.requests += 1));
      try {
        return await requestText(this.config, path, options);
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure === 'maybe-applied') serverFailures += 1;
        const retriable = failure === 'not-applied' || (failure === 'maybe-applied' && repeatable);
        const exhausted = attempt >= this.retry.maxAttempts || (options.proxied === true && serverFailures >= PROXY_SERVER_ERROR_ATTEMPTS);
        if (!retriable || exhausted || options.signal?.aborted) {
          throw finalError(error, attempt, mayHaveApplied, retriable);
        }
        if (failure === 'maybe-applied') mayHaveApplied = true;
        const waitMs = this.backoffMs(attempt, error);
        const cause = causeOf(error);
        this.count(options.probe, (t) => {
          t.retries += 1;
          t.retriesBy[cause] += 1;
          t.retryWaitMs += waitMs;
        });
        await sleep(waitMs, options.signal);
      }
    }
  }

  async json<T>(path: string, options: ApiRequestOptions = {}): Promise<T> {
    const text = await this.text(path, options);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeApiError(`${options.method ?? 'GET'} ${path}: the answer is not JSON`, undefined);
    }
  }
}

function causeOf(error: unknown): keyof WaitTally['retriesBy'] {
  const code = error instanceof KubeApiError ? error.code : undefined;
  return code === 429 ? 'throttled' : code === undefined ? 'network' : 'server';
}

function finalError(error: unknown, attempts: number, mayHaveApplied: boolean, exhausted: boolean): unknown {
  if (!(error instanceof KubeApiError)) return error;
  const note = attempts === 1 ? '' : exhausted ? ` (gave up after ${attempts} attempts)` : ` (at attempt ${attempts})`;
  const final = new KubeApiError(`${error.message}${note}`, error.code, error.reason, error.body);
  final.retryAfterMs = error.retryAfterMs;
  final.network = error.network;
  final.attempts = attempts;
  final.mayHaveApplied = mayHaveApplied;
  return final;
}
