// Client-side rate limiting, as client-go's token bucket does it: up to `burst` requests at once,
// then `qps` per second. Every request and watch start the kube layer sends takes a token first,
// so a run of many concurrent probes cannot flood the API server (or trip its priority-and-fairness
// limits) however many requests they issue together.

export interface ThrottleOptions {
  /** Sustained requests per second. */
  qps: number;
  /** Requests allowed at once before the rate applies. */
  burst: number;
}

/** client-go's defaults (5/10) starve a suite of concurrent probes; these are kubectl-like. */
export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly options: ThrottleOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(options.qps > 0) || !(options.burst >= 1)) throw new RangeError('qps must be > 0 and burst >= 1');
    this.tokens = options.burst;
    this.updatedAt = now();
  }

  /**
   * Reserves a token and says how long to wait before using it (0: at once). Reservations are
   * first come, first served: the bucket may go negative, and each later caller waits longer.
   */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.options.qps);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.options.qps) * 1000;
  }

  /** Resolves when a token is ours; rejects with the abort reason if the signal fires first. */
  async take(signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs > 0) await sleep(waitMs, signal);
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
