// Every --probe-option key a probe reads is declared on the probe, typed, and checked before a
// run connects: `ctx.option` throws for an undeclared name (so every probe's scenario tests would
// fail on one), no probe reads the raw strings, a probe declares nothing it does not read, and
// the README's option table is the declarations' own rendering.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROBES } from '../../src/probes/index.js';
import {
  checkProbeOptions,
  count,
  duration,
  optionRows,
  optionsMarkdown,
  seconds,
  text,
  url,
  type DeclaresOptions,
} from '../../src/probes/options.js';
import { createProbeContext } from '../../src/runner/context.js';
import { UsageError } from '../../src/errors.js';
import type { ProbeContext } from '../../src/probes/types.js';

const SRC = path.resolve(import.meta.dirname, '../../src/probes');
const README = path.resolve(import.meta.dirname, '../../README.md');

function sourcesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(file);
    return entry.name.endsWith('.ts') ? [{ file, text: readFileSync(file, 'utf8') }] : [];
  });
}

describe('probe option declarations', () => {
  for (const probe of BUILTIN_PROBES) {
    it(`${probe.id} declares exactly the option keys it reads`, () => {
      const source = readFileSync(path.join(SRC, `${probe.id}.ts`), 'utf8');
      const read = [...source.matchAll(/ctx\.option\('([^']+)'\)/g)].map((m) => m[1]);
      expect(read.length, `${probe.id} reads options only through ctx.option('literal')`).toBe((source.match(/\.option\(/g) ?? []).length);
      expect(Object.keys(probe.options ?? {}).sort()).toEqual([...new Set(read)].sort());
    });
  }

  it('no probe or probe helper reads the raw --probe-option strings', () => {
    const raw = sourcesUnder(SRC)
      .filter(({ text }) => /options\.extra|\.extra\[/.test(text))
      .map(({ file }) => path.relative(SRC, file));
    expect(raw).toEqual([]);
  });

  it('declares the keys probes read that run used to reject', () => {
    const keys = optionRows(BUILTIN_PROBES).map((row) => row.key);
    for (const key of ['gateway-class', 'trainer-runtime', 'kserve-storage-uri', 'pod-autoscaling.scale-down-stabilization-seconds'])
      expect(keys).toContain(key);
  });

  it('the README lists exactly the declared options', () => {
    const readme = readFileSync(README, 'utf8');
    const block = /<!-- probe-options:start -->\n([\s\S]*?)\n<!-- probe-options:end -->/.exec(readme)?.[1];
    expect(block, 'README has a probe-options block').toBeDefined();
    expect(
      block,
      `README option table out of date (run: npx tsx scripts/readme-options.ts); it should read:\n${optionsMarkdown(BUILTIN_PROBES)}`,
    ).toBe(optionsMarkdown(BUILTIN_PROBES));
  });
});

describe('ctx.option', () => {
  const declared = { 'x.window-ms': duration(30_000, 'a window'), 'x.class': text('a class'), 'x.runtime': text('a runtime', 'torch') };
  function context(extra: Record<string, string>): ProbeContext<typeof declared> {
    const { context: ctx } = createProbeContext({
      kube: {} as never,
      namespace: 'ns',
      profile: {} as never,
      options: { kubernetesVersion: '1.35', allowNodeScaling: false, extra },
      images: { resolve: (name) => name },
      log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
      signal: new AbortController().signal,
      clock: { now: () => 0 },
      declared,
      probeId: 'x_probe',
    });
    return ctx;
  }

  it('returns the typed value given, else the default', () => {
    const ctx = context({ 'x.window-ms': '250' });
    const window: number = ctx.option('x.window-ms');
    expect(window).toBe(250);
    expect(ctx.option('x.class')).toBeUndefined();
    expect(ctx.option('x.runtime')).toBe('torch');
    expect(context({ 'x.class': ' fast ' }).option('x.class')).toBe('fast');
  });

  it('throws for a name the probe did not declare', () => {
    const ctx = context({}) as unknown as ProbeContext<{ 'x.other': ReturnType<typeof duration> }>;
    expect(() => ctx.option('x.other')).toThrow('probe x_probe reads --probe-option x.other but does not declare it');
  });
});

describe('checkProbeOptions', () => {
  const probes: DeclaresOptions[] = [
    { id: 'gang_scheduling', options: { 'gang-scheduling.window-ms': duration(30_000, 'w'), 'gang-scheduling.pods': count(3, 'p', 2) } },
    { id: 'pod_autoscaling', options: { 'pod-autoscaling.scale-down-stabilization-seconds': seconds(15, 's', 3600) } },
    { id: 'robust_controller', options: { 'kserve-storage-uri': url('u', 'gs://a/b') } },
  ];
  const usage = (given: Record<string, string>): string => {
    try {
      checkProbeOptions(given, probes);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    return 'accepted';
  };

  it('accepts declared keys with good values', () => {
    expect(
      usage({
        'gang-scheduling.window-ms': '300',
        'gang-scheduling.pods': '2',
        'pod-autoscaling.scale-down-stabilization-seconds': '0',
        'kserve-storage-uri': 's3://bucket/model',
      }),
    ).toBe('accepted');
  });

  it('names the nearest known key for an unknown one', () => {
    expect(usage({ 'gang-scheduling.windw-ms': '300' })).toBe(
      "--probe-option: no probe reads 'gang-scheduling.windw-ms' (known: nearest is 'gang-scheduling.window-ms'; 'ai-conformance list' shows every option)",
    );
  });

  it('names the expected form for a bad value', () => {
    expect(usage({ 'gang-scheduling.window-ms': 'soon' })).toBe(
      '--probe-option gang-scheduling.window-ms=soon is not a positive number of milliseconds (read by gang_scheduling)',
    );
    expect(usage({ 'gang-scheduling.pods': '1' })).toBe(
      '--probe-option gang-scheduling.pods=1 is not a whole number of at least 2 (read by gang_scheduling)',
    );
    expect(usage({ 'pod-autoscaling.scale-down-stabilization-seconds': '4000' })).toMatch(
      /is not a whole number of seconds from 0 to 3600/,
    );
    expect(usage({ 'kserve-storage-uri': 'bucket/model' })).toMatch(/is not a URL with a scheme/);
  });

  it('accepts every built-in default as a value (declarations are consistent)', () => {
    for (const row of optionRows(BUILTIN_PROBES)) {
      if (row.default !== 'none') expect(() => checkProbeOptions({ [row.key]: row.default }, BUILTIN_PROBES)).not.toThrow();
    }
  });
});
