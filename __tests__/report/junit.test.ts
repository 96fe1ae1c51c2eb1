import { describe, expect, it } from 'vitest';
import type { RunResults, Verdict } from '../../src/model/results.js';
import { testNameFor } from '../../src/requirements/catalog.js';
import { parseJunit } from '../../src/checklist/artifacts.js';
import { renderJunit } from '../../src/report/junit.js';
import { subtestName } from '../../src/report/gotest.js';
import { descendants, parseXml, type XmlElement } from './xml.js';
import { HOSTILE, SAMPLE_NAMES, sample, withRequirement } from './samples.js';

/** Counts straight from the verdicts, independent of the writer's own counting. */
function expectedCounts(results: RunResults): { tests: number; failures: number; errors: number; skipped: number } {
  const verdicts: Verdict[] = results.requirements.flatMap((r) => [r.verdict, ...r.checks.map((c) => c.verdict)]);
  const marker = results.cluster.simulated ? 1 : 0;
  return {
    tests: verdicts.length + marker,
    failures: verdicts.filter((v) => v === 'failed' || v === 'error').length + marker,
    errors: 0,
    skipped: verdicts.filter((v) => v === 'skipped' || v === 'not-applicable' || v === 'manual').length,
  };
}

function counts(element: XmlElement): Record<string, number> {
  return Object.fromEntries(['tests', 'failures', 'errors', 'skipped'].map((k) => [k, Number(element.attributes[k])]));
}

describe.each(SAMPLE_NAMES)('junit.xml for %s', (name) => {
  const results = sample(name);
  const root = parseXml(renderJunit(results));
  const cases = descendants(root, 'testcase');

  it('is well-formed, one package suite, counts that match the verdicts, and the run named in its properties', () => {
    expect(root.name).toBe('testsuites');
    expect(counts(root)).toEqual(expectedCounts(results));
    const suites = descendants(root, 'testsuite');
    expect(suites).toHaveLength(1);
    expect(counts(suites[0])).toEqual(expectedCounts(results));
    const properties = Object.fromEntries(descendants(suites[0], 'property').map((p) => [p.attributes.name, p.attributes.value]));
    expect(properties).toMatchObject({
      tool: `${results.tool.name} ${results.tool.version}`,
      runId: results.runId,
      startedAt: results.startedAt,
      simulated: String(results.cluster.simulated),
    });
    expect(properties.cluster).toBe(results.cluster.context ?? results.cluster.mode);
  });

  it('has a Go test per requirement (the catalog name) and a subtest per check, with the element its verdict needs', () => {
    expect(cases).toHaveLength(expectedCounts(results).tests);
    const expectations: [string, Verdict, number][] = results.requirements.flatMap((r) => [
      [testNameFor(r.id), r.verdict, r.durationMs] as [string, Verdict, number],
      ...r.checks.map((c) => [`${testNameFor(r.id)}/${subtestName(c.name)}`, c.verdict, c.durationMs] as [string, Verdict, number]),
    ]);
    for (const [caseName, verdict, durationMs] of expectations) {
      const testcase = cases.find((c) => c.attributes.name === caseName);
      expect(testcase, caseName).toBeDefined();
      const children = testcase!.children.map((c) => c.name);
      const expected = verdict === 'passed' ? [] : verdict === 'failed' || verdict === 'error' ? ['failure'] : ['skipped'];
      expect(children, caseName).toEqual(expected);
      expect(Number(testcase!.attributes.time)).toBeCloseTo(durationMs / 1000, 3);
    }
  });

  it("reads back through the validator's JUnit reader with the same outcomes", () => {
    const parsed = parseJunit(renderJunit(results));
    for (const r of results.requirements) {
      const outcome = r.verdict === 'passed' ? 'passed' : r.verdict === 'failed' || r.verdict === 'error' ? 'failed' : 'skipped';
      expect(parsed.tests.get(testNameFor(r.id))?.outcome, r.id).toBe(outcome);
    }
    expect(parsed.tests.get('TestRealCluster')?.outcome).toBe(results.cluster.simulated ? 'failed' : undefined);
  });
});

describe('junit.xml content', () => {
  it('puts the reason in failure/skipped messages and the observations in the failure body', () => {
    const results = sample('mixed-1.35');
    const cases = descendants(parseXml(renderJunit(results)), 'testcase');
    const gang = cases.find((c) => c.attributes.name === 'TestGangScheduling')!;
    const failure = gang.children.find((c) => c.name === 'failure')!;
    expect(failure.attributes.message).toBe(results.requirements.find((r) => r.id === 'gang_scheduling')!.reason);
    expect(failure.text).toContain('gang_scheduling: +0.000s probe gang_scheduling started');
    const na = cases.find((c) => c.attributes.name === 'TestAcceleratorClusterAutoscaling')!;
    expect(na.children.find((c) => c.name === 'skipped')!.attributes.message).toMatch(/no cluster autoscaler/);
    const manual = cases.find((c) => c.attributes.name === 'TestVirtualizedAccelerator')!;
    expect(manual.children.find((c) => c.name === 'skipped')).toBeDefined();
  });

  it('marks a simulated run with a failing TestRealCluster that says why', () => {
    const cases = descendants(parseXml(renderJunit(sample('simulated-1.35'))), 'testcase');
    const marker = cases.find((c) => c.attributes.name === 'TestRealCluster')!;
    expect(marker.children.find((c) => c.name === 'failure')!.attributes.message).toMatch(/^simulated results: .+must not be submitted$/);
  });

  it('stays well-formed with hostile names, reasons and observations, and round-trips the readable text', () => {
    let results = sample('mixed-1.35');
    const hostile = HOSTILE.join(' ');
    results = withRequirement(results, 'gang_scheduling', {
      reason: hostile,
      observations: HOSTILE.map((message, i) => ({ atMs: i, message })),
      checks: [{ name: hostile, verdict: 'failed', reason: hostile, durationMs: 1 }],
    });
    const xml = renderJunit(results);
    const root = parseXml(xml);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    const gang = descendants(root, 'testcase').find((c) => c.attributes.name === 'TestGangScheduling')!;
    const message = gang.children.find((c) => c.name === 'failure')!.attributes.message;
    expect(message).toContain('<script>alert(1)</script>');
    expect(message).toContain('line one\nline two');
    expect(message).toContain('\\u{1b}[31mred');
    expect(message).toContain('Bearer [redacted]');
    // The hostile check name is one Go subtest name: no whitespace, no '/'.
    const sub = descendants(root, 'testcase').filter((c) => c.attributes.name.startsWith('TestGangScheduling/'));
    expect(sub).toHaveLength(1);
    expect(sub[0].attributes.name.slice('TestGangScheduling/'.length)).toMatch(/^\S+$/);
    expect(sub[0].attributes.name.slice('TestGangScheduling/'.length)).not.toContain('/');
  });
});
