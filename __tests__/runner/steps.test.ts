// ctx.step hands the value a step produced to the next one, and ends the probe where a step the
// rest of the plan depends on did not pass; ctx.check records and goes on. The verdict is still
// computed from the recorded checks only.
import { describe, expect, it } from 'vitest';
import { planRequirements, runSuite } from '../../src/runner/index.js';
import { createImageCatalog } from '../../src/runner/images.js';
import { exampleProfile } from '../../src/probes/profiles.js';
import { duration } from '../../src/probes/options.js';
import { CheckFailure, NotChecked, defineProbe, type Probe } from '../../src/probes/types.js';
import type { RequirementResult } from '../../src/model/results.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

async function runOne(probe: Probe, extra: Record<string, string> = {}): Promise<RequirementResult> {
  const results = await runSuite({
    cluster: new MemoryCluster(),
    clusterInfo: { mode: 'fake', simulated: true },
    kubernetesVersion: '1.35',
    plan: planRequirements({ version: '1.35', builtin: [probe], only: [probe.id] }),
    profile: exampleProfile({ detected: false, detail: 'test' }),
    probeOptions: { kubernetesVersion: '1.35', allowNodeScaling: false, extra },
    images: createImageCatalog([probe]),
    progress: () => undefined,
  });
  return results.requirements.find((r) => r.id === probe.id)!;
}

describe('ctx.step', () => {
  it('returns what the step produced to the next step', async () => {
    const seen: string[] = [];
    const result = await runOne(
      defineProbe({
        id: 'dra_support',
        timeoutMs: 5_000,
        async run(ctx) {
          const version = await ctx.step('the API is served', async () => ({ seen: 'v1 served', value: 'resource.k8s.io/v1' }));
          const count: number = await ctx.step('slices are published', async () => ({ seen: `slices in ${version}`, value: 3 }));
          await ctx.step('a claim is allocated', async () => {
            seen.push(`${version} ${count}`);
            return 'allocated';
          });
        },
      }),
    );
    expect(result.verdict).toBe('passed');
    expect(result.checks.map((c) => c.reason)).toEqual(['v1 served', 'slices in resource.k8s.io/v1', 'allocated']);
    expect(seen).toEqual(['resource.k8s.io/v1 3']);
  });

  it('ends the probe at a step that failed: later steps do not run, the verdict is failed', async () => {
    let later = false;
    const result = await runOne(
      defineProbe({
        id: 'dra_support',
        timeoutMs: 5_000,
        async run(ctx) {
          await ctx.step('the API is served', async () => {
            throw new CheckFailure('resource.k8s.io is not served');
          });
          later = true;
          await ctx.step('never', async () => 'never');
        },
      }),
    );
    expect(later).toBe(false);
    expect(result.verdict).toBe('failed');
    expect(result.reason).toBe('the API is served: resource.k8s.io is not served');
    expect(result.checks).toHaveLength(1);
  });

  it('ends the probe at a step that could not tell: the verdict is error with its reason', async () => {
    const result = await runOne(
      defineProbe({
        id: 'dra_support',
        timeoutMs: 5_000,
        async run(ctx) {
          await ctx.step('the API is served', async () => {
            throw new Error('connection refused');
          });
          await ctx.step('never', async () => 'never');
        },
      }),
    );
    expect(result.verdict).toBe('error');
    expect(result.reason).toBe('the API is served: connection refused');
    expect(result.checks.map((c) => c.verdict)).toEqual(['error']);
  });

  it('ctx.check goes on after a failed check; the failure still decides the verdict', async () => {
    const result = await runOne(
      defineProbe({
        id: 'dra_support',
        timeoutMs: 5_000,
        async run(ctx) {
          const first = await ctx.check('independent one', async () => {
            throw new CheckFailure('saw a leak');
          });
          expect(first).toBe(false);
          await ctx.check('independent two', async () => 'fine');
        },
      }),
    );
    expect(result.verdict).toBe('failed');
    expect(result.checks.map((c) => c.verdict)).toEqual(['failed', 'passed']);
  });

  it('reads declared options typed; an undeclared name is an error of the probe, never a pass', async () => {
    const declaredRead = await runOne(
      defineProbe({
        id: 'dra_support',
        timeoutMs: 5_000,
        options: { 'dra.wait-ms': duration(1000, 'a wait') },
        async run(ctx) {
          const ms: number = ctx.option('dra.wait-ms');
          await ctx.step('read the wait', async () => `wait ${ms}ms`);
        },
      }),
      { 'dra.wait-ms': '250' },
    );
    expect(declaredRead.reason).toBe('wait 250ms');

    const undeclared: Probe = {
      id: 'dra_support',
      timeoutMs: 5_000,
      async run(ctx) {
        (ctx as unknown as { option(name: string): unknown }).option('dra.secret-knob');
        await ctx.step('never', async () => 'never');
      },
    };
    const result = await runOne(undeclared);
    expect(result.verdict).toBe('error');
    expect(result.reason).toContain('reads --probe-option dra.secret-knob but does not declare it');
  });
});

describe('NotChecked', () => {
  it('records a check that could not be carried out as "not checked", never as a pass', async () => {
    const result = await runOne(
      defineProbe({
        id: 'dra_support',
        timeoutMs: 5_000,
        async run(ctx) {
          await ctx.check('the API is served', () => Promise.resolve('v1 served'));
          await ctx.check('a device under load shows it', () => Promise.reject(new NotChecked('the accelerators are simulated')));
        },
      }),
    );
    expect(result.checks[1]).toMatchObject({ verdict: 'skipped', reason: 'not checked: the accelerators are simulated' });
    expect(result.verdict).toBe('passed');
    expect(result.reason).toBe('v1 served; 1 not checked (a device under load shows it)');
  });
});
