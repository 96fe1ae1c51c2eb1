import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KUBERNETES_VERSIONS, parseKubernetesVersion, requirementsFor } from '../../src/requirements/catalog.js';

interface TemplateEntry {
  id: string;
  level: string;
}

function templateRequirements(version: string): Array<{ id: string; category: string; level: string }> {
  const doc = parse(readFileSync(`fixtures/checklists/templates/AIConformance-${version}.yaml`, 'utf8')) as { spec: Record<string, TemplateEntry[]> };
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

  it('counts 9, 9, 12 and 14 requirements', () => {
    expect(KUBERNETES_VERSIONS.map((v) => requirementsFor(v).length)).toEqual([9, 9, 12, 14]);
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
    expect(parseKubernetesVersion('1.37')).toBeUndefined();
  });
});
