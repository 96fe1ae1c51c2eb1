import { describe, expect, it } from 'vitest';
import type { RunResults, Verdict } from '../../src/model/results.js';
import { renderJunit } from '../../src/report/junit.js';
import { descendants, parseXml, type XmlElement } from './xml.js';
import { HOSTILE, SAMPLE_NAMES, sample, withRequirement } from './samples.js';

/** Counts straight from the verdicts, independent of the writer's own counting. */
function expectedCounts(results: RunResults): { tests: number; failures: number; errors: number; skipped: number } {
  const verdicts: Verdict[] = results.requirements.flatMap((r) => [r.verdict, ...r.checks.map((c) => c.verdict)]);
  return {
    tests: verdicts.length,
    failures: verdicts.filter((v) => v === 'failed').length,
    errors: verdicts.filter((v) => v === 'error').length,
    skipped: verdicts.filter((v) => v === 'skipped' || v === 'not-applicable' || v === 'manual').length,
  };
}

function counts(element: XmlElement): Record<string, number> {
  return Object.fromEntries(['tests', 'failures', 'errors', 'skipped'].map((k) => [k, Number(element.attributes[k])]));
}

describe.each(SAMPLE_NAMES)('junit_01.xml for %s', (name) => {
  const results = sample(name);
  const root = parseXml(renderJunit(results));
  const cases = descendants(root, 'testcase');

  it('is well-formed with a suite per category and counts that match the verdicts', () => {
    expect(root.name).toBe('testsuites');
    expect(counts(root)).toEqual(expectedCounts(results));
    const suites = descendants(root, 'testsuite');
    const categories = new Set(results.requirements.map((r) => r.category));
    expect(suites.map((s) => s.attributes.name)).toEqual([...categories].map((c) => `ai-conformance.${c}`));
    for (const suite of suites) {
      const inSuite = results.requirements.filter((r) => `ai-conformance.${r.category}` === suite.attributes.name);
      expect(counts(suite)).toEqual(expectedCounts({ ...results, requirements: inSuite }));
      expect(descendants(suite, 'testcase')).toHaveLength(counts(suite).tests!);
    }
  });

  it('has a testcase per requirement and per sub-check with the JUnit element its verdict needs', () => {
    expect(cases).toHaveLength(expectedCounts(results).tests);
    const expectations: [string, Verdict, number][] = results.requirements.flatMap((r) => [
      [`[AIConformance] ${r.id} [${r.level}]`, r.verdict, r.durationMs] as [string, Verdict, number],
      ...r.checks.map((c) => [`[AIConformance] ${r.id} › ${c.name}`, c.verdict, c.durationMs] as [string, Verdict, number]),
    ]);
    for (const [caseName, verdict, durationMs] of expectations) {
      const testcase = cases.find((c) => c.attributes.name === caseName);
      expect(testcase, caseName).toBeDefined();
      const children = testcase!.children.map((c) => c.name).filter((n) => n !== 'system-out');
      const expected = verdict === 'passed' ? [] : verdict === 'failed' ? ['failure'] : verdict === 'error' ? ['error'] : ['skipped'];
      expect(children, caseName).toEqual(expected);
      expect(Number(testcase!.attributes.time)).toBeCloseTo(durationMs / 1000, 3);
    }
  });
});

describe('junit_01.xml content', () => {
  it('puts the reason in failure/skipped messages and observations in system-out', () => {
    const results = sample('mixed-1.35');
    const cases = descendants(parseXml(renderJunit(results)), 'testcase');
    const gang = cases.find((c) => c.attributes.name === '[AIConformance] gang_scheduling [MUST]')!;
    const failure = gang.children.find((c) => c.name === 'failure')!;
    expect(failure.attributes.message).toBe(results.requirements.find((r) => r.id === 'gang_scheduling')!.reason);
    const na = cases.find((c) => c.attributes.name === '[AIConformance] cluster_autoscaling [MUST]')!;
    expect(na.children.find((c) => c.name === 'skipped')!.attributes.message).toMatch(/^not applicable: no cluster autoscaler/);
    const manual = cases.find((c) => c.attributes.name === '[AIConformance] virtualized_accelerator [SHOULD]')!;
    expect(manual.children.find((c) => c.name === 'skipped')!.attributes.message).toMatch(/^manual: /);
    const out = cases.find((c) => c.attributes.name === '[AIConformance] dra_support [MUST]')!.children.find((c) => c.name === 'system-out')!;
    expect(out.text).toContain('+0.000s probe dra_support started');
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
    const gang = descendants(root, 'testcase').find((c) => c.attributes.name === '[AIConformance] gang_scheduling [MUST]')!;
    const message = gang.children.find((c) => c.name === 'failure')!.attributes.message!;
    expect(message).toContain('<script>alert(1)</script>');
    expect(message).toContain('line one\nline two');
    expect(message).toContain('\\u{1b}[31mred');
    expect(message).toContain('Bearer [redacted]');
  });
});
