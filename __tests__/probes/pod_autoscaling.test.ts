// pod_autoscaling end to end: an HPA on a custom metric scales accelerator pods up and back down
// (DRA claims on kind-example-dra, nvidia.com/gpu on gpu-nvidia), fed by the custom metrics API,
// by KEDA through the external metrics API (a KEDA-only cluster), or by an adapter's external
// metrics; neither metrics API served fails saying so; API faults are errors.
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

const reasons_ = (run: Awaited<ReturnType<typeof runProbeOnScenario>>) => run.result.checks.map((c) => c.reason).join('\n');

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
    expect(failedCheck(run)?.reason).toBe(
      'no metrics API an HPA can scale on custom metrics through is served: the custom metrics API (custom.metrics.k8s.io) is not served (no Available APIService v1beta2.custom.metrics.k8s.io or v1beta1.custom.metrics.k8s.io), and the external metrics API (external.metrics.k8s.io) is not served (no Available APIService v1beta1.external.metrics.k8s.io); install an adapter such as prometheus-adapter, or KEDA',
    );
    expectClean(run);
  });

  it('passes on a KEDA-only cluster (gpu-nvidia-keda-1.35): a ScaledObject whose HPA keda-hpa-autoscaled reads an External metric', async () => {
    const run = await runProbeOnScenario(podAutoscalingProbe, scenarioPath('gpu-nvidia-keda-1.35'), { ...fast, accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = reasons_(run);
    expect(reasons).toContain(
      "external.metrics.k8s.io/v1beta1 served (APIService backed by keda/keda-operator-metrics-apiserver): KEDA's ScaledObject (keda.sh/v1alpha1) drives an HPA on an External metric",
    );
    expect(reasons).toMatch(
      /ScaledObject autoscaled \(Prometheus trigger sum\(ai_conformance_probe_load\{namespace="[^"]+"\}\) at http:\/\/prometheus-operated\.monitoring\.svc:9090, threshold 10, .*KEDA made HPA keda-hpa-autoscaled on External metric s0-prometheus/,
    );
    expect(reasons).toContain('s0-prometheus{scaledobject.keda.sh/name=autoscaled} in external.metrics.k8s.io/v1beta1 = 0');
    expect(reasons).toMatch(/2 replicas after .*on gpu-node-\d \(nvidia\.com\/gpu: 8\)/);
    expect(reasons).toMatch(/1 replica after/);
    expectClean(run);
  });

  it('fails on the KEDA-only cluster when Prometheus never scrapes the pods: the HPA sees 0 and does not scale', async () => {
    const quick = { probeOptions: { extra: { ...fast.probeOptions.extra, 'pod-autoscaling.scale-ms': '400' } } };
    const run = await runProbeOnScenario(
      podAutoscalingProbe,
      withAddons('gpu-nvidia-keda-1.35', [], { behaviours: { prometheus: { scrape: false } } }),
      { ...quick, accelerator: 'nvidia' },
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /^Deployment autoscaled did not reach 2 ready replica\(s\) within 400ms; HPA keda-hpa-autoscaled reports current 1, desired 1, ScalingActive=True \(ValidMetricFound: the HPA was able to compute the replica count from external metric s0-prometheus\)/,
    );
    expectClean(run);
  });

  it("passes through an adapter's external metrics with metric-source external, on a metric named by option", async () => {
    const run = await runProbeOnScenario(
      podAutoscalingProbe,
      withAddons('gpu-nvidia-1.35', [], { behaviours: { 'custom-metrics': { external: true } } }),
      {
        probeOptions: {
          extra: {
            ...fast.probeOptions.extra,
            'pod-autoscaling.metric-source': 'external',
            'pod-autoscaling.metric-name': 'vllm:num_requests_waiting',
          },
        },
        accelerator: 'nvidia',
      },
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = reasons_(run);
    expect(reasons).toContain(
      'external.metrics.k8s.io/v1beta1 served (APIService backed by monitoring/prometheus-adapter): an HPA on an External metric reads it',
    );
    expect(reasons).toContain('HPA autoscaled: External metric vllm:num_requests_waiting average 10');
    expect(reasons).toContain('vllm:num_requests_waiting in external.metrics.k8s.io/v1beta1 = 0');
    expectClean(run);
  });

  it('fails saying KEDA is missing when metric-source keda is asked for on a cluster without it', async () => {
    const run = await runProbeOnScenario(podAutoscalingProbe, scenarioPath('gpu-nvidia-1.35'), {
      probeOptions: { extra: { ...fast.probeOptions.extra, 'pod-autoscaling.metric-source': 'keda' } },
    });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toBe(
      'metric source external: the external metrics API (external.metrics.k8s.io) is not served (no Available APIService v1beta1.external.metrics.k8s.io)'.replace(
        'external:',
        'keda:',
      ),
    );
    expectClean(run);
  });

  it('falls back to discovery when APIServices cannot be read (403), saying so', async () => {
    const forbidden = {
      faults: [{ verb: 'get', resource: 'apiservices.apiregistration.k8s.io', errorRate: 1, status: 403, message: 'forbidden' }],
    };
    const run = await runProbeOnScenario(podAutoscalingProbe, withAddons('gpu-nvidia-1.35', [], forbidden), {
      ...fast,
      accelerator: 'nvidia',
    });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0]?.reason).toContain(
      'custom.metrics.k8s.io/v1beta1 served: an HPA on a Pods metric reads it; APIService v1beta2.custom.metrics.k8s.io cannot be read (403), so discovery decides',
    );
    expectClean(run);
  });

  it('fails naming the APIService that is not Available (adapter down)', async () => {
    const down = {
      objects: [
        {
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: { name: 'v1beta1.custom.metrics.k8s.io' },
          spec: {
            group: 'custom.metrics.k8s.io',
            version: 'v1beta1',
            service: { namespace: 'monitoring', name: 'prometheus-adapter' },
            groupPriorityMinimum: 100,
            versionPriority: 100,
          },
          status: {
            conditions: [
              {
                type: 'Available',
                status: 'False',
                reason: 'MissingEndpoints',
                message: 'endpoints for service/prometheus-adapter in "monitoring" have no addresses with port name "https"',
                lastTransitionTime: '2026-08-01T00:00:00Z',
              },
            ],
          },
        },
      ],
      behaviours: { 'custom-metrics': false },
    };
    const run = await runProbeOnScenario(podAutoscalingProbe, withAddons('gpu-nvidia-1.35', [], down), fast);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('no metrics API an HPA can scale on custom metrics through is served');
    expect(failedCheck(run)?.reason).toContain(
      'APIService v1beta1.custom.metrics.k8s.io is not Available (Available=False (MissingEndpoints: endpoints for service/prometheus-adapter in "monitoring" have no addresses with port name "https"))',
    );
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
