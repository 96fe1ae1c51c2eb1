// A probe can ask, through its options, for a namespace that admits what it runs: the runner
// labels the probe namespace pod-security.kubernetes.io/enforce with the level the probe names,
// and leaves the cluster's default otherwise. Run on the fake, whose PodSecurity admission
// (behaviour pod-security) then admits or rejects the probe's pods by that label.
import { describe, expect, it } from 'vitest';
import type { V1Namespace } from '@kubernetes/client-node';
import { flag } from '../../src/probes/options.js';
import { CheckFailure, defineProbe } from '../../src/probes/types.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { scenarioPath } from '../probes/scenarioFile.js';

const probe = defineProbe({
  id: 'dra_support',
  timeoutMs: 10_000,
  options: { 'test.privileged': flag(false, 'ask for a privileged namespace') },
  podSecurity(ctx) {
    return ctx.option('test.privileged') ? 'privileged' : undefined;
  },
  async run(ctx) {
    await ctx.check('the namespace carries the Pod Security label asked for', async () => {
      const namespace = await ctx.kube.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: ctx.namespace });
      const level = namespace?.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
      if (level === undefined) throw new CheckFailure('no pod-security.kubernetes.io/enforce label');
      return `enforce=${level}`;
    });
  },
});

describe('the probe namespace and Pod Security', () => {
  it('is labelled enforce=privileged when the probe asks for it with its options', async () => {
    const run = await runProbeOnScenario(probe, scenarioPath('bare-1.35'), { probeOptions: { extra: { 'test.privileged': 'true' } } });
    expect(run.result.checks[0]).toMatchObject({ verdict: 'passed', reason: 'enforce=privileged' });
  });

  it('carries no Pod Security label otherwise (the cluster default applies)', async () => {
    const run = await runProbeOnScenario(probe, scenarioPath('bare-1.35'));
    expect(run.result.checks[0]).toMatchObject({ verdict: 'failed', reason: 'no pod-security.kubernetes.io/enforce label' });
  });
});
