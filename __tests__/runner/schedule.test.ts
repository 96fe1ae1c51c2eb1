import { describe, expect, it } from 'vitest';
import { runScheduled, type SchedulableTask } from '../../src/runner/schedule.js';

/** Tasks that record when they run; each finishes when the test releases it. */
function recorder() {
  const running = new Set<string>();
  const overlaps: string[][] = [];
  const releases = new Map<string, () => void>();
  const task = (name: string, lock: Pick<SchedulableTask, 'exclusive' | 'shares'>): SchedulableTask => ({
    ...lock,
    start: () =>
      new Promise<void>((done) => {
        running.add(name);
        overlaps.push([...running].sort());
        releases.set(name, () => {
          running.delete(name);
          done();
        });
      }),
  });
  const release = (name: string) => releases.get(name)?.();
  return { task, running, overlaps, release };
}

describe('runScheduled', () => {
  it('runs sharers together, and an exclusive holder alone', async () => {
    const r = recorder();
    const all = runScheduled(
      [r.task('dra', { shares: ['gpu'] }), r.task('saa', { shares: ['gpu'] }), r.task('scale', { exclusive: ['gpu'] }), r.task('gang', {})],
      10,
    );
    await Promise.resolve();
    expect([...r.running].sort()).toEqual(['dra', 'gang', 'saa']);
    r.release('dra');
    await new Promise((tick) => setImmediate(tick));
    expect(r.running.has('scale')).toBe(false);
    r.release('saa');
    await new Promise((tick) => setImmediate(tick));
    expect([...r.running].sort()).toEqual(['gang', 'scale']);
    r.release('scale');
    r.release('gang');
    await all;
    for (const set of r.overlaps) if (set.includes('scale')) expect(set).not.toContain('dra');
  });

  it('holds sharers back while an exclusive holder runs', async () => {
    const r = recorder();
    const all = runScheduled([r.task('scale', { exclusive: ['gpu'] }), r.task('dra', { shares: ['gpu'] }), r.task('gang', {})], 10);
    await Promise.resolve();
    expect([...r.running].sort()).toEqual(['gang', 'scale']);
    r.release('scale');
    await new Promise((tick) => setImmediate(tick));
    expect([...r.running].sort()).toEqual(['dra', 'gang']);
    r.release('dra');
    r.release('gang');
    await all;
  });
});
