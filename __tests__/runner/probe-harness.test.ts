import { describe, expect, it } from 'vitest';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { CheckFailure, type Probe } from '../../src/probes/types.js';

const probe = (fail: boolean): Probe => ({
  id: 'robust_controller',
  timeoutMs: 10_000,
  async run(ctx) {
    await ctx.check('an object is created and seen', async () => {
      await ctx.kube.create<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe-cm' }, data: { a: 'b' } });
      if (fail) throw new CheckFailure('the object looked wrong');
      return 'seen';
    });
  },
});

describe('runProbeOnScenario', () => {
  it('runs a probe on a scenario file and shows nothing labelled is left', { timeout: 20_000 }, async () => {
    const run = await runProbeOnScenario(probe(false), 'bare-1.35', { accelerator: 'example' });
    expect(run.result).toMatchObject({ id: 'robust_controller', verdict: 'passed', reason: 'seen' });
    expect(run.leaked).toBe(0);
    expect(run.leftInStore).toEqual([]);
    expect(run.log.some((line) => line.startsWith('[start] robust_controller'))).toBe(true);
  });

  it('reports a failure with its reason', { timeout: 20_000 }, async () => {
    const run = await runProbeOnScenario(probe(true), 'bare-1.35', { accelerator: 'example' });
    expect(run.result).toMatchObject({ verdict: 'failed', reason: 'an object is created and seen: the object looked wrong' });
    expect(run.leftInStore).toEqual([]);
  });
});
