import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  KUBERNETES_VERSIONS,
  NEWEST_VERSION,
  parseKubernetesVersion,
  requirementsFor,
  testNameFor,
  VALIDATOR_MAPPED_TESTS,
} from '../../src/requirements/catalog.js';

interface TemplateEntry {
  id: string;
  level: string;
  description: string;
}

function templateRequirements(version: string): Array<{ id: string; category: string; level: string }> {
  const doc = parse(readFileSync(`fixtures/checklists/templates/AIConformance-${version}.yaml`, 'utf8')) as {
    spec: Record<string, TemplateEntry[]>;
  };
  return Object.entries(doc.spec).flatMap(([category, entries]) => entries.map((e) => ({ id: e.id, category, level: e.level })));
}

describe('requirement catalog', () => {
  for (const version of KUBERNETES_VERSIONS) {
    it(`matches the official ${version} template: ids, categories, order and levels`, () => {
      const ours = requirementsFor(version).map(({ id, category, level }) => ({ id, category, level }));
      expect(ours).toEqual(templateRequirements(version));
    });
  }

  it('has dra_support as SHOULD in 1.33, MUST in 1.34 and 1.35, and absent in 1.36', () => {
    const level = (v: (typeof KUBERNETES_VERSIONS)[number]) => requirementsFor(v).find((r) => r.id === 'dra_support')?.level;
    expect(level('1.33')).toBe('SHOULD');
    expect(level('1.34')).toBe('MUST');
    expect(level('1.35')).toBe('MUST');
    expect(level('1.36')).toBeUndefined();
  });

  it('counts 9, 9, 12, 14 and 15 requirements', () => {
    expect(KUBERNETES_VERSIONS.map((v) => requirementsFor(v).length)).toEqual([9, 9, 12, 14, 15]);
  });

  it('bundles exactly one official template per catalog version, and the catalog has an entry for every bundled template', () => {
    const bundled = readdirSync('fixtures/checklists/templates')
      .map((name) => /^AIConformance-(\d+\.\d+)\.yaml$/.exec(name)?.[1])
      .filter((v): v is string => v !== undefined)
      .sort();
    expect(bundled).toEqual([...KUBERNETES_VERSIONS]);
    expect(NEWEST_VERSION).toBe('1.37');
  });

  it('carries the official description of every requirement verbatim from its template', () => {
    for (const version of KUBERNETES_VERSIONS) {
      const doc = parse(readFileSync(`fixtures/checklists/templates/AIConformance-${version}.yaml`, 'utf8')) as {
        spec: Record<string, TemplateEntry[]>;
      };
      const official = new Map(
        Object.values(doc.spec)
          .flat()
          .map((e) => [e.id, e.description]),
      );
      for (const r of requirementsFor(version)) expect(r.description, `${version} ${r.id}`).toBe(official.get(r.id));
    }
  });

  it('adds workload_sandboxing as a SHOULD in 1.37 (security), and keeps 1.36 without it', () => {
    expect(requirementsFor('1.37').find((r) => r.id === 'workload_sandboxing')).toMatchObject({
      category: 'security',
      level: 'SHOULD',
      testName: 'TestWorkloadSandboxing',
    });
    expect(requirementsFor('1.36').some((r) => r.id === 'workload_sandboxing')).toBe(false);
    // Verbatim means verbatim: 1.37's accelerator_metrics differs from 1.36's by one word.
    const metrics = (v: '1.36' | '1.37') => requirementsFor(v).find((r) => r.id === 'accelerator_metrics')?.description;
    expect(metrics('1.36')).toContain('makes them available');
    expect(metrics('1.37')).toContain('makes they available');
  });

  it("names the artifacts' tests as the CNCF validator maps them, upstream suite names otherwise", () => {
    for (const [id, test] of Object.entries(VALIDATOR_MAPPED_TESTS)) expect(testNameFor(id)).toBe(test);
    expect(testNameFor('robust_controller')).toBe('TestRobustCRDControllerOperation');
    expect(testNameFor('accelerator_metrics')).toBe('TestAcceleratorPerformanceMetrics');
    expect(testNameFor('my_proposed_requirement')).toBe('TestMyProposedRequirement');
    const names = requirementsFor('1.37').map((r) => r.testName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^Test[A-Z][A-Za-z0-9]*$/);
  });

  it('gives every requirement a one-line summary of its own (not the template sentence)', () => {
    for (const version of KUBERNETES_VERSIONS) {
      const template = readFileSync(`fixtures/checklists/templates/AIConformance-${version}.yaml`, 'utf8');
      for (const r of requirementsFor(version)) {
        expect(r.summary.length).toBeGreaterThan(10);
        expect(r.summary).not.toContain('\n');
        expect(template).not.toContain(r.summary);
      }
    }
  });

  it('parses version spellings and rejects unknown ones', () => {
    expect(parseKubernetesVersion('v1.35.3')).toBe('1.35');
    expect(parseKubernetesVersion('1.33')).toBe('1.33');
    expect(parseKubernetesVersion('1.37')).toBe('1.37');
    expect(parseKubernetesVersion('1.38')).toBeUndefined();
  });
});
