import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { requirementsFor } from '../../src/requirements/catalog.js';
import { automationId, buildSarif, fingerprint, type SarifLog } from '../../src/report/sarif.js';
import { FALLBACK_PRODUCT_PATH, productLocator, repoRelativeUri } from '../../src/report/locations.js';
import { loadSarifValidator } from './sarif-schema.js';
import { resultsProblem } from '../../src/report/results-file.js';
import { renderSummary } from '../../src/report/markdown.js';
import { renderE2eLog } from '../../src/report/e2e-log.js';
import { HOSTILE, SAMPLE_NAMES, sample, withRequirement } from './samples.js';

const validate = loadSarifValidator();
const fallback = () => ({ uri: FALLBACK_PRODUCT_PATH, startLine: 1 });

function expectValid(log: SarifLog): void {
  const ok = validate(JSON.parse(JSON.stringify(log)));
  expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
  expect(ok).toBe(true);
}

describe('the SARIF schema check itself', () => {
  it('rejects a log that breaks the schema', () => {
    const log = buildSarif(sample('mixed-1.35'), { locate: fallback });
    const broken = JSON.parse(JSON.stringify(log)) as { runs: { results: { level: string; message?: unknown }[] }[] };
    broken.runs[0].results[0].level = 'fatal';
    expect(validate(broken)).toBe(false);
    delete broken.runs[0].results[0].message;
    broken.runs[0].results[0].level = 'error';
    expect(validate(broken)).toBe(false);
  });
});

describe.each(SAMPLE_NAMES)('results.sarif for %s', (name) => {
  const results = sample(name);
  const log = buildSarif(results, { locate: fallback });
  const run = log.runs[0];

  it('validates against the official SARIF 2.1.0 schema', () => expectValid(log));

  it('has a rule per requirement of the version with what GitHub needs', () => {
    const ids = requirementsFor(results.kubernetesVersion).map((r) => r.id);
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(ids);
    for (const rule of run.tool.driver.rules) {
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
      expect(rule.fullDescription.text.length).toBeLessThanOrEqual(1024);
      expect(rule.help.text).toContain(rule.id);
      expect(rule.help.markdown).toContain(rule.id);
      expect(rule.properties.tags).toContain('ai-conformance');
      expect(rule.name.length).toBeLessThanOrEqual(255);
    }
  });

  it('has exactly one result per failed or errored requirement, error for MUST and warning for SHOULD', () => {
    const bad = results.requirements.filter((r) => r.verdict === 'failed' || r.verdict === 'error');
    expect(run.results.map((r) => r.ruleId)).toEqual(bad.map((r) => r.id));
    for (const result of run.results) {
      const requirement = results.requirements.find((r) => r.id === result.ruleId)!;
      expect(result.level).toBe(requirement.level === 'MUST' ? 'error' : 'warning');
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
      // The first sentence is GitHub's alert title.
      expect(result.message.text.split('. ')[0]).toMatch(
        new RegExp(`^${requirement.level} requirement ${requirement.id} (failed|could not be checked)$`),
      );
      expect(result.locations).toHaveLength(1);
    }
  });
});

describe('SARIF stability and content', () => {
  it('keeps fingerprints equal across two different runs of the same version', () => {
    const first = sample('mixed-1.35');
    const second = structuredClone(first);
    second.runId = 'another-run';
    second.startedAt = '2026-12-01T00:00:00.000Z';
    second.finishedAt = '2026-12-01T00:09:00.000Z';
    for (const r of second.requirements) {
      r.startedAt = '2026-12-01T00:00:01.000Z';
      r.durationMs += 777;
      r.reason = `${r.reason} (second run)`;
    }
    const a = buildSarif(first, { locate: fallback }).runs[0].results;
    const b = buildSarif(second, { locate: () => ({ uri: FALLBACK_PRODUCT_PATH, startLine: 40 }) }).runs[0].results;
    expect(a.length).toBeGreaterThan(0);
    expect(b.map((r) => r.partialFingerprints)).toEqual(a.map((r) => r.partialFingerprints));
    expect(a[0].partialFingerprints['aiConformanceRequirement/v1']).toBe(fingerprint(a[0].ruleId, '1.35'));
    // Different version → a different alert.
    expect(fingerprint('gang_scheduling', '1.36')).not.toBe(fingerprint('gang_scheduling', '1.35'));
  });

  it('uses the SARIF category for automationDetails.id', () => {
    const results = sample('mixed-1.35');
    expect(buildSarif(results, { locate: fallback, category: 'gpu-pool-a' }).runs[0].automationDetails.id).toBe('gpu-pool-a/');
    expect(automationId(results)).toBe('ai-conformance/k8s-1.35/');
    expect(automationId(results, 'x/y/')).toBe('x/y/');
  });

  it('stays valid and free of secrets with hostile reasons', () => {
    const results: RunResults = withRequirement(sample('mixed-1.35'), 'gang_scheduling', { reason: HOSTILE.join('\n') });
    const log = buildSarif(results, { locate: fallback });
    expectValid(log);
    const text = JSON.stringify(log);
    expect(text).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    expect(text).not.toContain('eyJhbGciOiJSUzI1NiJ9');
    expect(text).not.toContain('\u0000');
  });

  it('adds a rule for an extra probed requirement (a WG proposal) and marks a simulated run', () => {
    const results = sample('simulated-1.35');
    results.requirements.push({
      ...results.requirements[0],
      id: 'proposed_requirement',
      verdict: 'failed',
      level: 'SHOULD',
      proposed: true,
    });
    const log = buildSarif(results, { locate: fallback });
    expectValid(log);
    const run = log.runs[0];
    expect(run.tool.driver.rules.at(-1)!.id).toBe('proposed_requirement');
    expect(run.tool.driver.rules.at(-1)!.properties.tags).toContain('proposed');
    expect(run.tool.driver.rules[0].properties.tags).not.toContain('proposed');
    expect(resultsProblem(results)).toBeUndefined();
    expect(renderSummary(results)).toContain('| proposed\\_requirement (proposed) | SHOULD | ❌ failed |');
    expect(renderE2eLog(results)).toContain('--- FAIL: TestProposedRequirement (');
    expect(run.results).toHaveLength(1);
    expect(run.results[0].level).toBe('warning');
    expect(run.results[0].message.text).toContain('Simulated cluster');
    expect(run.properties.simulated).toBe(true);
  });
});

describe('SARIF locations', () => {
  const lines = (text: string) =>
    new Map([...text.matchAll(/^\s*- id: (\w+)/gm)].map((m) => [m[1], text.slice(0, m.index).split('\n').length]));
  const product = 'spec:\n  accelerators:\n    - id: dra_support\n      level: MUST\n    - id: gang_scheduling\n';

  it('points at the id line of a PRODUCT.yaml inside the repository', () => {
    const locate = productLocator({
      repoRoot: '/repo',
      product: '/repo/conformance/v1.35/my platform/PRODUCT.yaml',
      productText: product,
      linesOf: lines,
    });
    expect(locate('gang_scheduling')).toEqual({ uri: 'conformance/v1.35/my%20platform/PRODUCT.yaml', startLine: 5 });
    expect(locate('dra_support').startLine).toBe(3);
    expect(locate('not_in_file').startLine).toBe(1);
  });

  it('falls back to a stable repo-relative path when the product is outside the repository or absent', () => {
    const generated = 'a\nb\n    - id: gang_scheduling\n';
    const outside = productLocator({
      repoRoot: '/repo',
      product: '/tmp/PRODUCT.yaml',
      productText: product,
      generatedText: generated,
      linesOf: lines,
    });
    expect(outside('gang_scheduling')).toEqual({ uri: FALLBACK_PRODUCT_PATH, startLine: 3 });
    const none = productLocator({ repoRoot: '/repo', linesOf: lines });
    expect(none('gang_scheduling')).toEqual({ uri: FALLBACK_PRODUCT_PATH, startLine: 1 });
    const broken = productLocator({
      repoRoot: '/repo',
      generatedText: 'x',
      linesOf: () => {
        throw new Error('bad yaml');
      },
    });
    expect(broken('gang_scheduling').startLine).toBe(1);
  });

  it('computes repo-relative uris only for files inside the root', () => {
    expect(repoRelativeUri('/repo', '/repo/a/b.yaml')).toBe('a/b.yaml');
    expect(repoRelativeUri('/repo', '/repo-other/b.yaml')).toBeUndefined();
    expect(repoRelativeUri('/repo', '/repo')).toBeUndefined();
    expect(repoRelativeUri('/repo', '/elsewhere/b.yaml')).toBeUndefined();
  });
});
