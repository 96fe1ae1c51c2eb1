// pod_autoscaling end to end: an HPA on a custom metric scales accelerator pods up and back down
// (DRA claims on kind-example-dra, nvidia.com/gpu on gpu-nvidia); no custom metrics API fails
// saying so; API faults are errors.
import { describe, expect, it } from 'vitest';
import { podAutoscalingProbe } from '../../src/probes/pod_autoscaling.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { scenarioPath } from './scenarioFile.js';

const fast = {
  probeOptions: {
    extra: {
      'pod-autoscaling.ready-ms': '5000',
      'pod-autoscaling.metric-ms': '5000',
      'pod-autoscaling.scale-ms': '8000',
      // The fake HPA runs windows at 1/100 speed: 15 s -> 150 ms.
      'pod-autoscaling.scale-down-stabilization-seconds': '15',
    },
  },
};

describe('pod_autoscaling', () => {
  it('passes on kind-example-dra-1.35: scales DRA-claiming pods up and down', async () => {
    const run = await runProbeOnScenario(podAutoscalingProbe, scenarioPath('kind-example-dra-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = run.result.checks.map((c) => c.reason).join('\n');
    expect(reasons).toContain('custom.metrics.k8s.io/v1beta1 served');
    expect(reasons).toMatch(/2 replicas after .*ResourceSlice of gpu\.example\.com/);
    expect(reasons).toMatch(/1 replica after/);
    expectClean(run);
  });

  it('passes on gpu-nvidia-1.35 with the detected profile (NVIDIA DRA driver)', async () => {
    const run = await runProbeOnScenario(podAutoscalingProbe, scenarioPath('gpu-nvidia-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks.map((c) => c.reason).join('\n')).toContain('ResourceSlice of gpu.nvidia.com');
    expectClean(run);
  });

  it('passes on gpu-nvidia-1.35 with --accelerator nvidia (device plugin), honouring the stabilisation window', async () => {
    const run = await runProbeOnScenario(podAutoscalingProbe, scenarioPath('gpu-nvidia-1.35'), { ...fast, accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = run.result.checks.map((c) => c.reason).join('\n');
    expect(reasons).toMatch(/on gpu-node-\d \(nvidia\.com\/gpu: 8\)/);
    // The scenario's HPA runs windows at 1/100 speed: 15 s of stabilisation is 150 ms, counted
    // from its last high recommendation (one 20 ms sync before the probe lowered the metric).
    const scaleDown = /1 replica after (\d+(?:\.\d+)?)(ms|s)/.exec(reasons);
    const scaleDownMs = Number(scaleDown?.[1] ?? 0) * (scaleDown?.[2] === 's' ? 1000 : 1);
    expect(scaleDownMs).toBeGreaterThanOrEqual(100);
    expectClean(run);
  });

  it('fails saying the custom metrics API is not served (fail-pod-autoscaling-no-custom-metrics-1.35)', async () => {
    const run = await runProbeOnScenario(podAutoscalingProbe, scenarioPath('fail-pod-autoscaling-no-custom-metrics-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('the custom metrics API (custom.metrics.k8s.io) is not served');
    expectClean(run);
  });

  it('fails when no HPA controller acts on the HPA (scale-up never happens)', async () => {
    const quick = { probeOptions: { extra: { ...fast.probeOptions.extra, 'pod-autoscaling.scale-ms': '300' } } };
    const run = await runProbeOnScenario(podAutoscalingProbe, withAddons('gpu-nvidia-1.35', [], { behaviours: { hpa: false } }), quick);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toBe(
      'Deployment autoscaled did not reach 2 ready replica(s) within 300ms; HPA reports current ?, desired ?',
    );
    expectClean(run);
  });

  it('fails when the custom metric never reaches the API (Prometheus does not scrape)', async () => {
    const quick = { probeOptions: { extra: { ...fast.probeOptions.extra, 'pod-autoscaling.metric-ms': '300' } } };
    const run = await runProbeOnScenario(
      podAutoscalingProbe,
      withAddons('gpu-nvidia-1.35', [], { behaviours: { prometheus: { scrape: false } } }),
      quick,
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /^the custom metrics API never reported ai_conformance_probe_load for the pods \(\d+ queries: .*could not find the metric/,
    );
    expectClean(run);
  });

  it('fails on bare-1.35 for the same reason', async () => {
    const run = await runProbeOnScenario(podAutoscalingProbe, scenarioPath('bare-1.35'), { ...fast, accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('custom.metrics.k8s.io) is not served');
    expectClean(run);
  });

  it('is an error when HPAs cannot be created', async () => {
    const run = await runProbeOnScenario(
      podAutoscalingProbe,
      withAddons('gpu-nvidia-1.35', [], {
        faults: [{ verb: 'create', resource: 'horizontalpodautoscalers.autoscaling', errorRate: 1, status: 500, message: 'etcd is down' }],
      }),
      fast,
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    expectClean(run);
  });

  it('is an error, not a failure, when every custom metrics query fails with something other than 404', async () => {
    const quick = { probeOptions: { extra: { ...fast.probeOptions.extra, 'pod-autoscaling.metric-ms': '300' } } };
    const run = await runProbeOnScenario(
      podAutoscalingProbe,
      withAddons('gpu-nvidia-1.35', [], { behaviours: { 'custom-metrics': { failStatus: 503 } } }),
      quick,
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    const check = run.result.checks.find((c) => c.name === 'a Deployment whose pods use an accelerator serves the custom metric');
    expect(check?.verdict).toBe('error');
    expect(check?.reason).toMatch(
      /could not read ai_conformance_probe_load from custom\.metrics\.k8s\.io\/v1beta1: the last of \d+ queries failed \(HTTP 503\)/,
    );
    expectClean(run);
  });
});
