// e2e.log: the run in `go test -v` form, as the CNCF validator reads it (only lines matching
// `^\s*--- (PASS|FAIL|SKIP): (\S+)` count; subtests are indented). Every other line is a log
// line prefixed with the requirement id, so no text from the cluster can start a line with
// `--- ` and forge a result.

import type { RunResults } from '../model/results.js';
import { goSeconds, goTestRun, type GoTest, type Outcome } from './gotest.js';
import { escapeLogLine } from './escape.js';
import { cleanupLines } from './cleanup.js';
import { replacedProbeSentence, replacedProbes } from './format.js';

const RESULT_WORD: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

function runLines(test: GoTest, out: string[]): void {
  out.push(`=== RUN   ${test.name}`);
  for (const line of test.output) out.push(line.text);
  for (const sub of test.subtests) runLines(sub, out);
}

function resultLines(test: GoTest, depth: number, out: string[]): void {
  const indent = '    '.repeat(depth);
  out.push(`${indent}--- ${RESULT_WORD[test.outcome]}: ${test.name} (${goSeconds(test.durationMs)})`);
  if (test.outcome !== 'pass') out.push(`${indent}    ${escapeLogLine(test.message)}`);
  for (const sub of test.subtests) resultLines(sub, depth + 1, out);
}

export function renderE2eLog(results: RunResults): string {
  const run = goTestRun(results);
  const lines: string[] = [`# ${run.header}`];
  for (const replaced of replacedProbes(results)) lines.push(`BUILT-IN PROBE REPLACED: ${escapeLogLine(replacedProbeSentence(replaced))}`);
  const cleanup = cleanupLines(results);
  if (cleanup.interrupted)
    lines.push(`INTERRUPTED:        ${escapeLogLine(cleanup.interrupted)}; these results are partial and cleanup did not finish`);
  for (const test of run.tests) {
    runLines(test, lines);
    resultLines(test, 0, lines);
  }
  // What the run left behind: plain lines, which the validator's `--- ` pattern never matches.
  lines.push(`Objects left behind after cleanup: ${results.leaked}`);
  for (const leftover of cleanup.leftovers) lines.push(`  left: ${escapeLogLine(leftover)}`);
  if (cleanup.command) lines.push(`Delete what is left with: ${escapeLogLine(cleanup.command)}`);
  lines.push(run.failed ? 'FAIL' : 'PASS');
  lines.push(`${run.failed ? 'FAIL' : 'ok  '}\t${run.package}\t${(run.durationMs / 1000).toFixed(3)}s`);
  return `${lines.join('\n')}\n`;
}
