import { describe, expect, it } from 'vitest';
import { parseGoTestLog, parseTestEvents } from '../../src/checklist/artifacts.js';
import { testNameFor } from '../../src/requirements/catalog.js';
import { renderE2eLog } from '../../src/report/e2e-log.js';
import { subtestName } from '../../src/report/gotest.js';
import { renderTestEvents } from '../../src/report/test-events.js';
import { HOSTILE, SAMPLE_NAMES, sample, withRequirement } from './samples.js';

const outcomeOf = (verdict: string) =>
  verdict === 'passed' ? 'passed' : verdict === 'failed' || verdict === 'error' ? 'failed' : 'skipped';

describe.each(SAMPLE_NAMES)('e2e.log and results.json for %s', (name) => {
  const results = sample(name);
  const log = renderE2eLog(results);
  const events = renderTestEvents(results);

  it('e2e.log starts with a header naming the tool, run, cluster, Kubernetes version and time', () => {
    const head = log.split('\n')[0];
    expect(head).toContain(`${results.tool.name} ${results.tool.version}`);
    expect(head).toContain(`run ${results.runId}`);
    expect(head).toContain(`v${results.kubernetesVersion}`);
    expect(head).toContain(results.cluster.mode);
    expect(head).toContain(results.startedAt);
  });

  it('e2e.log is go test -v: === RUN, then --- PASS/FAIL/SKIP per test, subtests indented, and the package line', () => {
    const lines = log.split('\n');
    for (const r of results.requirements) {
      const test = testNameFor(r.id);
      expect(lines).toContain(`=== RUN   ${test}`);
      const word = { passed: 'PASS', failed: 'FAIL', error: 'FAIL', 'not-applicable': 'SKIP', manual: 'SKIP', skipped: 'SKIP' }[r.verdict];
      expect(lines).toContain(`--- ${word}: ${test} (${(r.durationMs / 1000).toFixed(2)}s)`);
      for (const c of r.checks)
        expect(lines.some((l) => l.startsWith(`    --- `) && l.includes(`: ${test}/${subtestName(c.name)} (`))).toBe(true);
      for (const o of r.observations) expect(log).toContain(`    ${r.id}: +${(o.atMs / 1000).toFixed(3)}s `);
    }
    const failed = results.cluster.simulated || results.requirements.some((r) => r.verdict === 'failed' || r.verdict === 'error');
    expect(lines.at(-3)).toBe(failed ? 'FAIL' : 'PASS');
    expect(lines.at(-2)).toMatch(failed ? /^FAIL\tk8s-ai-conformance\t\d+\.\d{3}s$/ : /^ok {2}\tk8s-ai-conformance\t\d+\.\d{3}s$/);
  });

  it("both read back through the validator's readers with the verdicts as Go outcomes", () => {
    for (const parsed of [parseGoTestLog(log), parseTestEvents(events)]) {
      for (const r of results.requirements) expect(parsed.tests.get(testNameFor(r.id))?.outcome, r.id).toBe(outcomeOf(r.verdict));
      expect(parsed.tests.get('TestRealCluster')?.outcome).toBe(results.cluster.simulated ? 'failed' : undefined);
    }
  });

  it('results.json is one JSON event per line, a start event first and a package result last', () => {
    const parsed = events
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { Action: string; Test?: string; Package: string; Elapsed?: number });
    expect(parsed[0]).toMatchObject({ Action: 'start', Package: 'k8s-ai-conformance' });
    const last = parsed.at(-1)!;
    expect(last.Test).toBeUndefined();
    expect(last.Action).toBe(
      parseTestEvents(events).tests.size > 0 && [...parseTestEvents(events).tests.values()].some((t) => t.outcome === 'failed')
        ? 'fail'
        : 'pass',
    );
    for (const r of results.requirements) {
      const done = parsed.find((e) => e.Test === testNameFor(r.id) && ['pass', 'fail', 'skip'].includes(e.Action));
      expect(done?.Elapsed).toBeCloseTo(r.durationMs / 1000, 3);
    }
  });
});

describe('e2e.log robustness', () => {
  it('keeps one line per observation, shows control characters, redacts secrets, and never lets cluster text forge a result line', () => {
    const results = withRequirement(sample('mixed-1.35'), 'gang_scheduling', {
      observations: [...HOSTILE, '--- PASS: TestForged (0.00s)', 'x\n--- PASS: TestForged2 (0.00s)'].map((message, i) => ({
        atMs: i * 10,
        message,
      })),
    });
    const log = renderE2eLog(results);
    const lines = log.split('\n');
    expect(lines.filter((l) => l.startsWith('    gang_scheduling: +')).length).toBeGreaterThanOrEqual(HOSTILE.length + 2);
    expect(log).toContain('line one ⏎ line two');
    expect(log).toContain('\\u{1b}[31mred');
    expect(log).not.toContain('\u001b');
    expect(log).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    const parsed = parseGoTestLog(log);
    expect(parsed.tests.has('TestForged')).toBe(false);
    expect(parsed.tests.has('TestForged2')).toBe(false);
  });
});
