// Shared by the gang/autoscaling/metrics probe tests: a base scenario plus add-on files, and the
// assertions every run makes (nothing labelled is left behind).
import { expect } from 'vitest';
import type { ProbeRun } from '../helpers/probe-harness.js';
import type { CheckResult } from '../../src/model/results.js';
import { derivedScenario } from './scenarioFile.js';

/** A scenario file: `base` (e.g. gpu-nvidia-1.35) with the add-ons and extra fields. */
export function withAddons(base: string, addons: string[], extra: Record<string, unknown> = {}): string {
  const version = /-(1\.\d+)$/.exec(base)?.[1] ?? '1.35';
  return derivedScenario(`${base}+${addons.join('+') || 'none'}`, version, [base, ...addons.map((addon) => `addons/${addon}`)], extra);
}

export function expectClean(run: ProbeRun): void {
  expect(run.leftInStore).toEqual([]);
  expect(run.leaked).toBe(0);
}

export function failedCheck(run: ProbeRun): CheckResult | undefined {
  return run.result.checks.find((check) => check.verdict === 'failed');
}

/** For failure messages: what the run did, check by check. */
export function explain(run: ProbeRun): string {
  return [
    `${run.result.verdict}: ${run.result.reason}`,
    ...run.result.checks.map((c) => `  ${c.verdict} ${c.name}: ${c.reason}`),
    ...run.log,
  ].join('\n');
}
