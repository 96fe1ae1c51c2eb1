// The probes that find a platform component report it with the version the cluster states
// (ctx.fact): on the PR-mode kind cluster (each add-on derived from its release's manifests)
// the versions come from the controller image tags and the CRD annotations those releases
// carry; where the cluster states none, the fact says so instead of guessing; and a read the
// probe is denied becomes the fact's source line, never a failed probe.

import { describe, expect, it } from 'vitest';
import type { PlatformFact } from '../../src/model/results.js';
import { gangSchedulingProbe } from '../../src/probes/gang_scheduling.js';
import { aiInferenceProbe } from '../../src/probes/ai_inference.js';
import { aiServiceMetricsProbe } from '../../src/probes/ai_service_metrics.js';
import { robustControllerProbe } from '../../src/probes/robust_controller.js';
import { acceleratorMetricsProbe } from '../../src/probes/accelerator_metrics.js';
import { defineProbe, type Probe } from '../../src/probes/types.js';
import { reportGatewayFacts } from '../../src/probes/lib/platform-facts.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

const SHORT_GANG = { extra: { 'gang-scheduling.window-ms': '1000' } };

async function factsOf(probe: Probe, scenario: string): Promise<{ verdict: string; facts: PlatformFact[] }> {
  const run = await runProbeOnScenario(probe, scenario, { probeOptions: SHORT_GANG });
  return { verdict: run.result.verdict, facts: run.result.facts ?? [] };
}

function versions(facts: PlatformFact[]): Record<string, string> {
  return Object.fromEntries(facts.map((f) => [f.component, f.version ?? 'version not found']));
}

describe('platform facts on the PR-mode kind cluster (kind-example-dra-1.37)', () => {
  const KIND = scenarioPath('kind-example-dra-1.37');

  it(
    'gang_scheduling: Kueue v0.19.2 from the image of the kueue-controller-manager pod it found running',
    { timeout: 60_000 },
    async () => {
      const { verdict, facts } = await factsOf(gangSchedulingProbe, KIND);
      expect(verdict).toBe('passed');
      expect(facts).toHaveLength(1);
      expect(facts[0]).toMatchObject({ component: 'Kueue', version: 'v0.19.2', detail: 'kueue.x-k8s.io/v1beta2 served' });
      expect(facts[0]?.source).toMatch(
        /^image registry\.k8s\.io\/kueue\/kueue:v0\.19\.2 of pod kueue-system\/kueue-controller-manager-\S+$/,
      );
    },
  );

  it(
    'ai_inference: the Gateway API bundle version and Envoy Gateway v1.9.0 behind the GatewayClass controllerName',
    { timeout: 60_000 },
    async () => {
      const { verdict, facts } = await factsOf(aiInferenceProbe, KIND);
      expect(verdict).toBe('passed');
      expect(versions(facts)).toEqual({ 'Gateway API CRDs': 'v1.6.1', 'Envoy Gateway': 'v1.9.0' });
      expect(facts[0]?.source).toBe('annotation gateway.networking.k8s.io/bundle-version of CRD gatewayclasses.gateway.networking.k8s.io');
      expect(facts[1]?.detail).toBe('GatewayClass ai-conformance, controllerName gateway.envoyproxy.io/gatewayclass-controller');
    },
  );

  it(
    'ai_service_metrics: the Prometheus Operator version from its CRD annotation; no Prometheus version where its object states none',
    { timeout: 60_000 },
    async () => {
      const { verdict, facts } = await factsOf(aiServiceMetricsProbe, KIND);
      expect(verdict).toBe('passed');
      expect(versions(facts)).toEqual({ 'Prometheus Operator': '0.93.0', Prometheus: 'version not found' });
      expect(facts[1]?.source).toMatch(
        /^Prometheus monitoring\/kube-prometheus-stack-prometheus sets neither spec\.version nor spec\.image/,
      );
    },
  );

  it('robust_controller: Kubeflow Trainer v2.3.0 from its controller pod', { timeout: 60_000 }, async () => {
    const { verdict, facts } = await factsOf(robustControllerProbe, KIND);
    expect(verdict).toBe('passed');
    expect(versions(facts)).toEqual({ 'Kubeflow Trainer': 'v2.3.0' });
    expect(facts[0]?.source).toMatch(
      /^image ghcr\.io\/kubeflow\/trainer\/trainer-controller-manager:v2\.3\.0 of pod kubeflow-system\/kubeflow-trainer-controller-manager-\S+$/,
    );
  });

  it('accelerator_metrics: the exporter Service, and no version when no exporter pod is there to read', { timeout: 60_000 }, async () => {
    const { verdict, facts } = await factsOf(acceleratorMetricsProbe, KIND);
    expect(verdict).toBe('passed');
    expect(facts).toEqual([
      {
        component: 'DCGM exporter',
        source: 'DCGM exporter Service gpu-operator/nvidia-dcgm-exporter:gpu-metrics: no Running pod behind it to read a version from',
      },
    ]);
  });
});

describe('platform facts where the cluster states no version, or hides it', () => {
  it(
    'gpu-nvidia-1.37: the Kueue release it models (v0.16.0), and no Prometheus Operator version where its CRDs carry none',
    { timeout: 60_000 },
    async () => {
      const gang = await factsOf(gangSchedulingProbe, scenarioPath('gpu-nvidia-1.37'));
      expect(versions(gang.facts)).toEqual({ Kueue: 'v0.16.0' });
      const metrics = await factsOf(aiServiceMetricsProbe, scenarioPath('gpu-nvidia-1.37'));
      expect(metrics.verdict).toBe('passed');
      expect(metrics.facts.find((f) => f.component === 'Prometheus Operator')).toEqual({
        component: 'Prometheus Operator',
        source: 'CRD prometheuses.monitoring.coreos.com has no operator.prometheus.io/version annotation',
      });
    },
  );

  it.each([
    // nginx/nginx-gateway-fabric charts/nginx-gateway-fabric: selector labels name the chart; container nginx-gateway.
    [
      'NGINX Gateway Fabric',
      'gateway.nginx.org/nginx-gateway-controller',
      { 'app.kubernetes.io/name': 'nginx-gateway-fabric', 'app.kubernetes.io/instance': 'ngf' },
      'nginx-gateway',
      'ghcr.io/nginx/nginx-gateway-fabric:2.2.1',
      '2.2.1',
    ],
    // cilium/cilium: the cilium-operator Deployment, labelled io.cilium/app: operator.
    [
      'Cilium',
      'io.cilium/gateway-controller',
      { 'io.cilium/app': 'operator', name: 'cilium-operator' },
      'cilium-operator',
      'quay.io/cilium/operator-generic:v1.18.2',
      'v1.18.2',
    ],
  ])(
    '%s: the controller version from the Deployment its chart renders, found by the GatewayClass controllerName',
    { timeout: 60_000 },
    async (component, controllerName, labels, container, image, version) => {
      const scenario = derivedScenario('gateway-implementation-facts', '1.35', ['addons/gateway-api'], {
        objects: [
          { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'theirs' }, spec: { controllerName } },
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'controller', namespace: 'gateway-system', labels },
            spec: {
              selector: { matchLabels: labels },
              template: {
                metadata: { labels },
                spec: {
                  containers: [
                    { name: 'sidecar', image: 'busybox:1.37' },
                    { name: container, image },
                  ],
                },
              },
            },
          },
        ],
      });
      const probe = defineProbe({
        id: 'ai_inference',
        timeoutMs: 30_000,
        async run(ctx) {
          await reportGatewayFacts(ctx, 'gateway.networking.k8s.io/v1', 'theirs');
          await ctx.check('facts read', () => Promise.resolve('read'));
        },
      });
      const { facts } = await factsOf(probe, scenario);
      expect(facts.find((f) => f.component === component)).toMatchObject({
        version,
        detail: `GatewayClass theirs, controllerName ${controllerName}`,
      });
    },
  );

  it('Deployments denied by RBAC: the fact says so and the probe still passes', { timeout: 60_000 }, async () => {
    const scenario = derivedScenario('kind-no-deployments', '1.37', ['kind-example-dra-1.37'], {
      rbac: { deny: [{ verbs: ['list'], resources: ['deployments.apps'] }] },
    });
    const { verdict, facts } = await factsOf(aiInferenceProbe, scenario);
    expect(verdict).toBe('passed');
    const envoy = facts.find((f) => f.component === 'Envoy Gateway');
    expect(envoy?.version).toBeUndefined();
    expect(envoy?.source).toMatch(/^Deployments labelled control-plane=envoy-gateway could not be read \(HTTP 403: .*forbidden/);
  });
});
