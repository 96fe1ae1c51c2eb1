// A requirement's verdict is computed from the checks its probe recorded, never written by hand:
// a probe cannot pass without a passed check, and one failed check fails the requirement.

import type { CheckResult, Verdict } from '../model/results.js';

/** How a probe's run function ended. */
export type ProbeEnding =
  | { kind: 'completed' }
  | { kind: 'concluded'; verdict: 'not-applicable' | 'manual' | 'failed'; reason: string }
  | { kind: 'threw'; reason: string }
  | { kind: 'aborted'; reason: string };

export interface ComputedVerdict {
  verdict: Verdict;
  reason: string;
}

export function computeVerdict(checks: readonly CheckResult[], ending: ProbeEnding): ComputedVerdict {
  // A failed check stands, whatever the probe concluded afterwards.
  const failed = checks.find((c) => c.verdict === 'failed');
  if (failed) return { verdict: 'failed', reason: `${failed.name}: ${failed.reason}` };
  if (ending.kind === 'concluded') return { verdict: ending.verdict, reason: ending.reason };
  if (ending.kind === 'threw' || ending.kind === 'aborted') return { verdict: 'error', reason: ending.reason };
  const errored = checks.find((c) => c.verdict === 'error');
  if (errored) return { verdict: 'error', reason: `${errored.name}: ${errored.reason}` };
  if (checks.length === 0) return { verdict: 'error', reason: 'probe recorded no checks' };
  // A check that was not carried out ('skipped', "not checked: …") is no pass: it is named beside the passes.
  const passed = checks.filter((c) => c.verdict === 'passed');
  const notChecked = checks.filter((c) => c.verdict === 'skipped');
  if (passed.length === 0) return { verdict: 'error', reason: `no check was carried out: ${notChecked[0]?.reason ?? 'none recorded'}` };
  const reason = passed.length === 1 ? passed[0].reason : `all ${passed.length} checks passed`;
  return { verdict: 'passed', reason: notChecked.length ? `${reason}; ${notChecked.length} not checked (${notChecked[0].name})` : reason };
}
