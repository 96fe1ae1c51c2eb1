import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requirementLines } from '../../src/checklist/lines.js';
import { officialTemplate } from '../../src/checklist/templates.js';
import { KUBERNETES_VERSIONS } from '../../src/requirements/catalog.js';

describe('bundled official templates', () => {
  for (const version of KUBERNETES_VERSIONS) {
    it(`officialTemplate(${version}) is fixtures/checklists/templates/AIConformance-${version}.yaml byte for byte`, () => {
      expect(officialTemplate(version)).toBe(readFileSync(`fixtures/checklists/templates/AIConformance-${version}.yaml`, 'utf8'));
    });
  }
});

describe('requirementLines', () => {
  it('gives the 1-based `- id:` line of every requirement', () => {
    const text = readFileSync('fixtures/checklists/submissions/v1.35/kops/PRODUCT.yaml', 'utf8');
    const lines = requirementLines(text);
    expect(lines.size).toBe(12);
    const source = text.split('\n');
    for (const [id, line] of lines) expect(source[line - 1]).toMatch(new RegExp(`^\\s*- id: ${id}$`));
    expect(lines.get('dra_support')).toBe(19);
    expect(lines.get('robust_controller')).toBe(114);
  });

  it('works on the indented layout of the templates', () => {
    const lines = requirementLines(officialTemplate('1.36'));
    expect([...lines.keys()]).toHaveLength(14);
    expect(lines.get('driver_runtime_management')).toBe(19);
    expect(officialTemplate('1.36').split('\n')[(lines.get('robust_controller') ?? 0) - 1]).toBe('    - id: robust_controller');
  });

  it('is empty for malformed YAML instead of throwing', () => {
    expect(requirementLines('spec: [unclosed').size).toBe(0);
  });
});
