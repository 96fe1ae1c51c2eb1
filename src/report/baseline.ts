// What changed since a baseline run (e.g. the last results.json from main), by requirement id.

import type { RequirementResult, RunResults, Verdict } from '../model/results.js';

export interface VerdictChange {
  id: string;
  level: RequirementResult['level'];
  /** Undefined when the requirement was not in the baseline. */
  before?: Verdict;
  /** Undefined when the requirement is no longer in this run. */
  after?: Verdict;
  reason: string;
}

export interface BaselineDiff {
  /** Failed or errored now, and was not failing before (or is new). */
  newlyFailing: VerdictChange[];
  /** Passed now, and did not pass before (or is new). */
  newlyPassing: VerdictChange[];
  /** Any other verdict change, e.g. passed → skipped, failed → error. */
  otherChanges: VerdictChange[];
  /** In the baseline, not in this run. */
  removed: VerdictChange[];
  sameVersion: boolean;
}

const isBad = (v: Verdict | undefined): boolean => v === 'failed' || v === 'error';

export function diffBaseline(results: RunResults, baseline: RunResults): BaselineDiff {
  const before = new Map(baseline.requirements.map((r) => [r.id, r]));
  const diff: BaselineDiff = {
    newlyFailing: [],
    newlyPassing: [],
    otherChanges: [],
    removed: [],
    sameVersion: results.kubernetesVersion === baseline.kubernetesVersion,
  };
  const seen = new Set<string>();
  for (const requirement of results.requirements) {
    seen.add(requirement.id);
    const previous = before.get(requirement.id)?.verdict;
    if (previous === requirement.verdict) continue;
    const change: VerdictChange = { id: requirement.id, level: requirement.level, after: requirement.verdict, reason: requirement.reason };
    if (previous !== undefined) change.before = previous;
    if (isBad(requirement.verdict) && !isBad(previous)) diff.newlyFailing.push(change);
    else if (requirement.verdict === 'passed') diff.newlyPassing.push(change);
    else diff.otherChanges.push(change);
  }
  for (const old of baseline.requirements) {
    if (!seen.has(old.id)) diff.removed.push({ id: old.id, level: old.level, before: old.verdict, reason: old.reason });
  }
  return diff;
}

export function hasChanges(diff: BaselineDiff): boolean {
  return diff.newlyFailing.length + diff.newlyPassing.length + diff.otherChanges.length + diff.removed.length > 0;
}
