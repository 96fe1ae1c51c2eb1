// The house rules of a probe file, checked on every built-in probe so a new one follows them:
// it is named after its requirement id, exports `<camelCaseId>Probe` made with defineProbe, its
// definition and run come before its helpers, and run carries no step's result in an outer `let`
// (steps return their values). Probe helper files in lib/ are kebab-case.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROBES } from '../../src/probes/index.js';

const SRC = path.resolve(import.meta.dirname, '../../src/probes');
const camel = (id: string) => id.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

describe('probe files', () => {
  for (const probe of BUILTIN_PROBES) {
    describe(probe.id, () => {
      const source = readFileSync(path.join(SRC, `${probe.id}.ts`), 'utf8');

      it(`exports ${camel(probe.id)}Probe made with defineProbe`, () => {
        expect(source).toContain(`export const ${camel(probe.id)}Probe = defineProbe({`);
      });

      it('puts its definition and run before its helpers', () => {
        const definition = source.indexOf('= defineProbe({');
        const firstHelper = source.search(/^(export )?(async )?function /m);
        expect(definition).toBeGreaterThan(0);
        if (firstHelper >= 0) expect(definition).toBeLessThan(firstHelper);
      });

      it('carries no step result in an outer let', () => {
        const run = source.slice(source.indexOf('  async run(ctx) {'), source.indexOf('\n});', source.indexOf('= defineProbe({')));
        expect(run.length).toBeGreaterThan(0);
        expect(run.match(/^ {4}let /gm) ?? []).toEqual([]);
      });
    });
  }

  it('builds no Kubernetes API URL: probes reach the API through the Kube interface only', () => {
    const files = [
      ...readdirSync(SRC).map((name) => path.join(SRC, name)),
      ...readdirSync(path.join(SRC, 'lib')).map((name) => path.join(SRC, 'lib', name)),
    ].filter((file) => file.endsWith('.ts'));
    const building = files
      .filter((file) => /[`'"]\/apis?\/(?!v1\/query)|URLSearchParams|getRaw/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(building).toEqual([]);
  });

  it('casts no object to KubernetesObject: create infers the type, built-in kinds use client-node types', () => {
    const files = [
      ...readdirSync(SRC).map((name) => path.join(SRC, name)),
      ...readdirSync(path.join(SRC, 'lib')).map((name) => path.join(SRC, 'lib', name)),
    ].filter((file) => file.endsWith('.ts'));
    const casting = files
      .filter((file) => /as KubernetesObject\b/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(casting).toEqual([]);
  });

  it('names probe helper files in lib/ in kebab-case', () => {
    const names = readdirSync(path.join(SRC, 'lib')).filter((name) => name.endsWith('.ts'));
    expect(names.filter((name) => !/^[a-z0-9]+(-[a-z0-9]+)*\.ts$/.test(name))).toEqual([]);
  });
});
