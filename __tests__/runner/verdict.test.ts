import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/model/results.js';
import { computeVerdict } from '../../src/runner/verdict.js';

const check = (name: string, verdict: CheckResult['verdict'], reason: string): CheckResult => ({ name, verdict, reason, durationMs: 1 });

describe('computeVerdict', () => {
  it('a failed check stands even when the probe then concluded not-applicable or manual', () => {
    const checks = [check('works', 'failed', 'it did not')];
    expect(computeVerdict(checks, { kind: 'concluded', verdict: 'not-applicable', reason: 'n/a' })).toEqual({
      verdict: 'failed',
      reason: 'works: it did not',
    });
    expect(computeVerdict(checks, { kind: 'concluded', verdict: 'manual', reason: 'ask' }).verdict).toBe('failed');
  });

  it('never passes without a passed check', () => {
    expect(computeVerdict([], { kind: 'completed' }).verdict).toBe('error');
    expect(computeVerdict([check('a', 'passed', 'ok'), check('b', 'error', 'could not tell')], { kind: 'completed' }).verdict).toBe(
      'error',
    );
    expect(computeVerdict([check('a', 'passed', 'ok')], { kind: 'completed' })).toEqual({ verdict: 'passed', reason: 'ok' });
  });

  it('a check that was not carried out is no pass, and is named beside the passes', () => {
    const skipped = check('under load', 'skipped', 'not checked: the accelerators are simulated');
    expect(computeVerdict([skipped], { kind: 'completed' })).toEqual({
      verdict: 'error',
      reason: 'no check was carried out: not checked: the accelerators are simulated',
    });
    expect(computeVerdict([check('a', 'passed', 'ok'), skipped], { kind: 'completed' })).toEqual({
      verdict: 'passed',
      reason: 'ok; 1 not checked (under load)',
    });
    expect(computeVerdict([skipped, check('b', 'failed', 'no')], { kind: 'completed' }).verdict).toBe('failed');
  });
});
