// Waiting without a watch: a bounded exponential backoff for questions that cannot be watched,
// and how a wait's length reads in a report. (A wait's budget is a probe option: ../options.ts.)

import type { ProbeContext } from '../types.js';

/** Resolves after `ms`, or rejects with the abort reason. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface BackoffOptions {
  /** What is awaited, for the timeout message. */
  description: string;
  deadlineMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Asks `attempt` again and again until it returns a value, with exponentially growing pauses and
 * a deadline. Only for questions that cannot be watched: HTTP queries to a monitoring system or an
 * aggregated metrics API, whose answers change when a scrape happens, not when an object changes.
 */
export async function untilAnswered<T>(
  ctx: ProbeContext,
  attempt: () => Promise<T | undefined>,
  options: BackoffOptions,
): Promise<{ value?: T; attempts: number; lastError?: unknown }> {
  const started = ctx.clock.now();
  let delay = options.firstDelayMs ?? Math.min(1000, Math.max(5, options.deadlineMs / 20));
  const maxDelay = options.maxDelayMs ?? Math.max(delay, Math.min(15_000, options.deadlineMs / 4));
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await attempt();
      if (value !== undefined) return { value, attempts };
      lastError = undefined;
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      lastError = error;
    }
    const left = options.deadlineMs - (ctx.clock.now() - started);
    if (left <= 0) return { attempts, lastError };
    await pause(Math.min(delay, left), ctx.signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}

export function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${ms}ms`;
}
