// cluster_autoscaling end to end: N/A without an autoscaler, manual without consent (with the
// exact command), and with --allow-node-scaling: a node is added for the pending pod and
// removed when idle; an autoscaler that never scales fails; API faults are errors.
import { describe, expect, it } from 'vitest';
import { clusterAutoscalingProbe } from '../../src/probes/cluster_autoscaling.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { scenarioPath } from './scenarioFile.js';

const scaling = {
  probeOptions: {
    allowNodeScaling: true,
    extra: {
      'cluster-autoscaling.max-pods': '40',
      'cluster-autoscaling.place-ms': '3000',
      'cluster-autoscaling.scale-up-ms': '1500',
      'cluster-autoscaling.scale-down-ms': '3000',
    },
  },
};

describe('cluster_autoscaling', () => {
  it('adds and removes an accelerator node on gpu-nvidia-1.35 (device plugin: the kwok provider scales extended resources)', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, withAddons('gpu-nvidia-1.35', ['cluster-autoscaler.yaml']), { ...scaling, accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = run.result.checks.map((c) => c.reason);
    expect(reasons[1]).toMatch(/^node ca-gpu-1 created .* Running on it$/);
    expect(reasons[2]).toMatch(/^node ca-gpu-1 removed /);
    expect(run.cluster.store.get('nodes', undefined, 'ca-gpu-1')).toBeUndefined();
    expectClean(run);
  });

  it('adds and removes an accelerator node on kind-example-dra-1.35 (DRA claims)', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, withAddons('kind-example-dra-1.35', ['cluster-autoscaler.yaml']), scaling);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expectClean(run);
  });

  it('is manual without --allow-node-scaling, naming the command to run', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, withAddons('gpu-nvidia-1.35', ['cluster-autoscaler.yaml']), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain('ai-conformance run --only cluster_autoscaling --allow-node-scaling --accelerator nvidia --kubernetes-version 1.35');
    expectClean(run);
  });

  it('is not applicable on bare-1.35, with a note', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath('bare-1.35'), scaling);
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expect(run.result.reason).toContain('no cluster autoscaler detected');
    expectClean(run);
  });

  it('fails when the autoscaler never adds a node (fail-cluster-autoscaling-no-scaleup-1.35)', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath('fail-cluster-autoscaling-no-scaleup-1.35'), scaling);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(/^pod scale-\d+ stayed Pending for 1.5s: no node was added$/);
    expectClean(run);
  });

  it('is an error when pods cannot be created', async () => {
    const run = await runProbeOnScenario(
      clusterAutoscalingProbe,
      withAddons('gpu-nvidia-1.35', ['cluster-autoscaler.yaml'], { faults: [{ verb: 'create', resource: 'pods', errorRate: 1, status: 500, message: 'etcd is down' }] }),
      scaling,
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    expectClean(run);
  });
});
