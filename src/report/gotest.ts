// The run as Go tests, the shape the CNCF validator reads from junit.xml, e2e.log and
// results.json (VALIDATION.md, "Test artifacts are parsed by file name"): one top-level test per
// requirement, named as the catalog says (the validator's mapped names, the upstream suite's
// names), with its checks as subtests. passed → PASS; failed and error → FAIL; not-applicable,
// manual and skipped → SKIP with the reason. A simulated run gets one more test,
// TestRealCluster, that fails: the validator itself then rejects the artifacts.

import type { RequirementResult, RunResults, Verdict } from '../model/results.js';
import { testNameFor } from '../requirements/catalog.js';
import { escapeLogLine, sanitize } from './escape.js';
import { formatOffset, VERDICT_LABEL } from './format.js';

export type Outcome = 'pass' | 'fail' | 'skip';

export interface GoTest {
  /** Full Go name, e.g. TestGangScheduling or TestGangScheduling/all_or_nothing. */
  name: string;
  outcome: Outcome;
  /** One line: why it failed or was skipped, or what it showed. */
  message: string;
  startedAt: string;
  durationMs: number;
  /** Log lines, in order, each with its time (what go test prints between RUN and PASS). */
  output: Array<{ at: string; text: string }>;
  subtests: GoTest[];
}

export interface GoTestRun {
  /** The Go package name every event carries. */
  package: string;
  tests: GoTest[];
  /** One header line naming the tool, its version, the run id, the cluster and the time. */
  header: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  failed: boolean;
}

export const GO_PACKAGE = 'k8s-ai-conformance';
export const SIMULATION_TEST = 'TestRealCluster';

export function outcomeOf(verdict: Verdict): Outcome {
  if (verdict === 'passed') return 'pass';
  if (verdict === 'failed' || verdict === 'error') return 'fail';
  return 'skip';
}

/** Go's t.Run name rewriting: spaces become underscores; other characters are kept, one line. */
export function subtestName(name: string): string {
  const clean = sanitize(name).replace(/\s+/g, '_').replace(/\//g, '_');
  return clean === '' ? 'check' : clean;
}

/** Why a run is simulated, in one line (the TestRealCluster failure message). */
export function simulationMessage(results: RunResults): string {
  const why =
    results.cluster.simulatedBecause ??
    (results.cluster.mode === 'fake' ? 'the cluster is the fake API server (test infrastructure)' : 'the cluster is not a real platform');
  return `simulated results: ${why}; they certify nothing and must not be submitted`;
}

function at(start: string, offsetMs: number): string {
  const t = Date.parse(start);
  return Number.isNaN(t) ? start : new Date(t + Math.max(0, offsetMs)).toISOString();
}

function requirementTest(results: RunResults, r: RequirementResult): GoTest {
  const name = testNameFor(r.id);
  const tag = `    ${r.id}:`;
  const line = (offset: number, text: string) => ({ at: at(r.startedAt, offset), text: `${tag} ${escapeLogLine(text)}` });
  const output = [
    line(0, `${r.level} requirement ${r.id} (${r.category}) of Kubernetes AI Conformance v${results.kubernetesVersion}, probe ${r.probe}`),
    ...r.observations.map((o) => line(o.atMs, `${formatOffset(o.atMs)} ${o.message}`)),
  ];
  let offset = 0;
  const subtests = r.checks.map((check): GoTest => {
    const started = at(r.startedAt, offset);
    offset += Math.max(0, check.durationMs);
    return {
      name: `${name}/${subtestName(check.name)}`,
      outcome: outcomeOf(check.verdict),
      message: check.reason,
      startedAt: started,
      durationMs: check.durationMs,
      output: [
        { at: at(r.startedAt, offset), text: `${tag} ${escapeLogLine(`${VERDICT_LABEL[check.verdict]}: ${check.name}: ${check.reason}`)}` },
      ],
      subtests: [],
    };
  });
  const verdictLine = `${VERDICT_LABEL[r.verdict]}: ${r.reason}`;
  return {
    name,
    outcome: outcomeOf(r.verdict),
    message: r.reason,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    output: [...output, { at: at(r.startedAt, r.durationMs), text: `${tag} ${escapeLogLine(verdictLine)}` }],
    subtests,
  };
}

export function goTestRun(results: RunResults): GoTestRun {
  const cluster = results.cluster.context ?? results.cluster.mode;
  const header =
    `${results.tool.name} ${results.tool.version}: run ${results.runId} against ${cluster} (${results.cluster.mode}, Kubernetes ${results.cluster.serverVersion ?? 'unknown'}), ` +
    `checking the v${results.kubernetesVersion} requirements, started ${results.startedAt}${results.cluster.simulated ? ' - SIMULATED' : ''}`;
  const tests: GoTest[] = [];
  if (results.cluster.simulated) {
    const message = simulationMessage(results);
    tests.push({
      name: SIMULATION_TEST,
      outcome: 'fail',
      message,
      startedAt: results.startedAt,
      durationMs: 0,
      output: [{ at: results.startedAt, text: `    simulation: ${escapeLogLine(message)}` }],
      subtests: [],
    });
  }
  for (const r of results.requirements) tests.push(requirementTest(results, r));
  const failed = tests.some((t) => t.outcome === 'fail' || t.subtests.some((s) => s.outcome === 'fail'));
  return {
    package: GO_PACKAGE,
    tests,
    header: escapeLogLine(header),
    startedAt: results.startedAt,
    finishedAt: results.finishedAt,
    durationMs: results.durationMs,
    failed,
  };
}

/** go test's "(1.23s)". */
export function goSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(2)}s`;
}
