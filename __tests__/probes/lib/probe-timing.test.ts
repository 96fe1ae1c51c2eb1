// The bounded backoff used for HTTP questions that cannot be watched, and the duration options.
import { describe, expect, it } from 'vitest';
import { untilAnswered } from '../../../src/probes/lib/probe-timing.js';
import { duration, optionValue } from '../../../src/probes/options.js';
import type { ProbeContext } from '../../../src/probes/types.js';

function context(extra: Record<string, string> = {}, signal = new AbortController().signal): ProbeContext {
  return { options: { extra }, signal, clock: { now: () => Date.now() } } as unknown as ProbeContext;
}

/** A duration option as ctx.option reads it: the given string parsed, else the default. */
function durationOption(ctx: ProbeContext, key: string, defaultMs: number): number {
  return optionValue(duration(defaultMs, 'a wait'), key, ctx.options.extra[key]);
}

describe('untilAnswered', () => {
  it('returns the first answer and counts the attempts', async () => {
    let calls = 0;
    const outcome = await untilAnswered(context(), async () => (++calls >= 3 ? 'seen' : undefined), {
      description: 'x',
      deadlineMs: 2000,
      firstDelayMs: 5,
    });
    expect(outcome).toEqual({ value: 'seen', attempts: 3 });
  });

  it('gives up at the deadline with the last error, pausing longer each time', async () => {
    const times: number[] = [];
    const started = Date.now();
    const outcome = await untilAnswered(
      context(),
      async () => {
        times.push(Date.now());
        throw new Error('connection refused');
      },
      { description: 'x', deadlineMs: 200, firstDelayMs: 10 },
    );
    expect(Date.now() - started).toBeLessThan(400);
    expect(outcome.value).toBeUndefined();
    expect((outcome.lastError as Error).message).toBe('connection refused');
    expect(outcome.attempts).toBeGreaterThanOrEqual(3);
    expect(outcome.attempts).toBeLessThan(10);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[gaps.length - 2]).toBeGreaterThan(gaps[0]);
  });

  it('stops at once when the probe is aborted', async () => {
    const controller = new AbortController();
    const pending = untilAnswered(context({}, controller.signal), async () => undefined, {
      description: 'x',
      deadlineMs: 60_000,
      firstDelayMs: 1000,
    });
    setTimeout(() => controller.abort(new Error('probe timed out')), 20);
    await expect(pending).rejects.toThrow('probe timed out');
  });
});

describe('durationOption', () => {
  it('reads milliseconds and rejects nonsense in one line', () => {
    expect(durationOption(context({ 'a.ms': '250' }), 'a.ms', 1000)).toBe(250);
    expect(durationOption(context(), 'a.ms', 1000)).toBe(1000);
    expect(() => durationOption(context({ 'a.ms': 'soon' }), 'a.ms', 1000)).toThrow(
      '--probe-option a.ms=soon is not a positive number of milliseconds',
    );
  });
});
