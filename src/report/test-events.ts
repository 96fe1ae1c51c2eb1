// results.json: the run as a `go test -json` event stream (one JSON object per line), as the
// CNCF validator reads it: `run`, `output`, then `pass`/`fail`/`skip` with `Test` and `Elapsed`
// for each test and subtest, and a package-level `pass`/`fail` at the end.

import type { RunResults } from '../model/results.js';
import { goSeconds, goTestRun, type GoTest } from './gotest.js';
import { escapeLogLine } from './escape.js';

interface TestEvent {
  Time: string;
  Action: 'start' | 'run' | 'output' | 'pass' | 'fail' | 'skip';
  Package: string;
  Test?: string;
  Output?: string;
  Elapsed?: number;
}

const WORD = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

function end(test: GoTest): string {
  const t = Date.parse(test.startedAt);
  return Number.isNaN(t) ? test.startedAt : new Date(t + Math.max(0, test.durationMs)).toISOString();
}

function events(pkg: string, test: GoTest, depth: number, out: TestEvent[]): void {
  const base = { Package: pkg, Test: test.name };
  out.push({ Time: test.startedAt, Action: 'run', ...base });
  out.push({ Time: test.startedAt, Action: 'output', ...base, Output: `=== RUN   ${test.name}\n` });
  for (const line of test.output) out.push({ Time: line.at, Action: 'output', ...base, Output: `${line.text}\n` });
  for (const sub of test.subtests) events(pkg, sub, depth + 1, out);
  const indent = '    '.repeat(depth);
  const finished = end(test);
  out.push({
    Time: finished,
    Action: 'output',
    ...base,
    Output: `${indent}--- ${WORD[test.outcome]}: ${test.name} (${goSeconds(test.durationMs)})\n`,
  });
  if (test.outcome !== 'pass')
    out.push({ Time: finished, Action: 'output', ...base, Output: `${indent}    ${escapeLogLine(test.message)}\n` });
  out.push({ Time: finished, Action: test.outcome, ...base, Elapsed: Number((Math.max(0, test.durationMs) / 1000).toFixed(3)) });
}

export function renderTestEvents(results: RunResults): string {
  const run = goTestRun(results);
  const out: TestEvent[] = [
    { Time: run.startedAt, Action: 'start', Package: run.package },
    { Time: run.startedAt, Action: 'output', Package: run.package, Output: `# ${run.header}\n` },
  ];
  for (const test of run.tests) events(run.package, test, 0, out);
  out.push({ Time: run.finishedAt, Action: 'output', Package: run.package, Output: `${run.failed ? 'FAIL' : 'PASS'}\n` });
  out.push({
    Time: run.finishedAt,
    Action: run.failed ? 'fail' : 'pass',
    Package: run.package,
    Elapsed: Number((run.durationMs / 1000).toFixed(3)),
  });
  return `${out.map((e) => JSON.stringify(e)).join('\n')}\n`;
}
