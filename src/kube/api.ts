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

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 };

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
}

/** Counters for the bench and the tests. */
export interface ApiStats {
  requests: number;
  retries: number;
  /** Total time requests waited for a token. */
  throttledMs: number;
}

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
  readonly stats: ApiStats = { requests: 0, retries: 0, throttledMs: 0 };
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
  async throttle(signal?: AbortSignal): Promise<void> {
    const waitMs = this.bucket.reserve();
    if (waitMs <= 0) return;
    this.stats.throttledMs += waitMs;
    await sleep(waitMs, signal);
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
    for (let attempt = 1; ; attempt++) {
      await this.throttle(options.signal);
      this.stats.requests += 1;
      try {
        return await requestText(this.config, path, options);
      } catch (error) {
        const failure = classifyFailure(error);
        const retriable = failure === 'not-applied' || (failure === 'maybe-applied' && repeatable);
        if (!retriable || attempt >= this.retry.maxAttempts || options.signal?.aborted) {
          throw finalError(error, attempt, mayHaveApplied, retriable);
        }
        if (failure === 'maybe-applied') mayHaveApplied = true;
        this.stats.retries += 1;
        await sleep(this.backoffMs(attempt, error), options.signal);
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
