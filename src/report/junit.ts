// junit.xml: the run as gotestsum writes it for `go test` (one <testsuite> for the package, a
// flat <testcase> per test and subtest, named TestX and TestX/check): a <failure> child for a
// failed test, <skipped> for a skipped one, as the CNCF validator reads it. The suite's
// properties name the tool, its version, the run id, the cluster and the time.

import type { RunResults } from '../model/results.js';
import { escapeXmlAttribute as attr, escapeXmlText as text } from './escape.js';
import { goTestRun, type GoTest } from './gotest.js';
import { replacedProbeSentence, replacedProbes } from './format.js';

export interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}

function flatten(tests: readonly GoTest[]): GoTest[] {
  return tests.flatMap((t) => [t, ...flatten(t.subtests)]);
}

/** What the XML's counters say: every test and subtest. */
export function junitCounts(results: RunResults): JunitCounts {
  const all = flatten(goTestRun(results).tests);
  return {
    tests: all.length,
    failures: all.filter((t) => t.outcome === 'fail').length,
    errors: 0,
    skipped: all.filter((t) => t.outcome === 'skip').length,
  };
}

function testcase(pkg: string, test: GoTest): string {
  const open = `    <testcase classname="${attr(pkg)}" name="${attr(test.name)}" time="${seconds(test.durationMs)}"`;
  const log = test.output.map((l) => l.text.trim()).join('\n');
  switch (test.outcome) {
    case 'pass':
      return `${open}></testcase>\n`;
    case 'fail':
      return `${open}>\n      <failure message="${attr(test.message)}" type="Failed">${text(log)}</failure>\n    </testcase>\n`;
    case 'skip':
      return `${open}>\n      <skipped message="${attr(test.message)}"></skipped>\n    </testcase>\n`;
  }
}

export function renderJunit(results: RunResults): string {
  const run = goTestRun(results);
  const counts = junitCounts(results);
  const totals = `tests="${counts.tests}" failures="${counts.failures}" errors="0" skipped="${counts.skipped}"`;
  const property = (name: string, value: string) => `      <property name="${attr(name)}" value="${attr(value)}"></property>\n`;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<testsuites name="${attr(`Kubernetes AI Conformance v${results.kubernetesVersion}`)}" ${totals} time="${seconds(run.durationMs)}">\n`,
    `  <testsuite name="${attr(run.package)}" ${totals} time="${seconds(run.durationMs)}" timestamp="${attr(results.startedAt)}">\n`,
    '    <properties>\n',
    property('tool', `${results.tool.name} ${results.tool.version}`),
    property('runId', results.runId),
    property('kubernetesVersion', `v${results.kubernetesVersion}`),
    property('cluster', results.cluster.context ?? results.cluster.mode),
    property('clusterMode', results.cluster.mode),
    ...(results.cluster.serverVersion ? [property('serverVersion', results.cluster.serverVersion)] : []),
    property('startedAt', results.startedAt),
    property('finishedAt', results.finishedAt),
    property('simulated', String(results.cluster.simulated)),
    ...(results.runUrl ? [property('runUrl', results.runUrl)] : []),
    ...replacedProbes(results).map((r) => property('replacedProbe', replacedProbeSentence(r))),
    '    </properties>\n',
  ];
  // The properties carry the indentation of a child of <testsuite>; the cases, the same.
  for (const test of flatten(run.tests)) out.push(testcase(run.package, test));
  out.push('  </testsuite>\n', '</testsuites>\n');
  return out.join('');
}
