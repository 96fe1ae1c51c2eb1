import { describe, expect, it } from 'vitest';
import { aiInferenceProbe } from '../../src/probes/ai_inference.js';
import { runProbeOnScenario, type ProbeRun } from '../helpers/probe-harness.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

function expectClean(run: ProbeRun): void {
  expect(run.leaked).toBe(0);
  expect(run.leftInStore).toEqual([]);
}

function reasonOf(run: ProbeRun, name: string): string {
  return run.result.checks.find((c) => c.name === name)?.reason ?? `no check "${name}"`;
}

const CRDS = 'the Gateway API CRDs are established';
const CLASS = 'a GatewayClass is accepted by a controller';
const GATEWAY = 'a Gateway is accepted and programmed';
const ROUTE = 'an HTTPRoute with weighted backends and a header match is accepted';

describe('ai_inference', () => {
  it('passes with Gateway API CRDs and a controller: class accepted, Gateway programmed, weighted route accepted', async () => {
    // cloud-provider-kind's Gateway API controller (addons/gateway-api.yaml).
    const run = await runProbeOnScenario(aiInferenceProbe, scenarioPath('gpu-nvidia-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(reasonOf(run, CRDS)).toContain(
      'gatewayclasses (v1/v1beta1), gateways (v1/v1beta1), httproutes (v1/v1beta1), grpcroutes (v1), referencegrants (v1beta1)',
    );
    expect(reasonOf(run, CLASS)).toContain('GatewayClass cloud-provider-kind accepted by kind.sigs.k8s.io/gateway-controller');
    expect(reasonOf(run, GATEWAY)).toMatch(/Accepted and Programmed in [\d.]+s, address 172\.18\.255\.\d+/);
    expect(reasonOf(run, ROUTE)).toContain('weights ai-inference-model-a=80/ai-inference-model-b=20');
    expectClean(run);
  });

  it('passes on the kind cluster with Envoy Gateway v1.9.0: the ClusterIP proxy Service gives the Gateway its address', async () => {
    const run = await runProbeOnScenario(aiInferenceProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(reasonOf(run, CLASS)).toContain('GatewayClass ai-conformance accepted by gateway.envoyproxy.io/gatewayclass-controller');
    expect(reasonOf(run, GATEWAY)).toMatch(/Accepted and Programmed in [\d.]+s, address 10\.96\.\d+\.\d+/);
    expectClean(run);
  });

  it('passes on a 1.33 cluster too', async () => {
    const run = await runProbeOnScenario(aiInferenceProbe, scenarioPath('kind-example-dra-1.33'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expectClean(run);
  });

  it('fails when no controller accepts any GatewayClass, naming the class and its state', async () => {
    const run = await runProbeOnScenario(aiInferenceProbe, scenarioPath('fail-ai-inference-no-controller-1.35'));
    expect(run.result.verdict).toBe('failed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'failed']);
    expect(run.result.reason).toContain(
      'no GatewayClass is accepted by a controller: cloud-provider-kind (controllerName kind.sigs.k8s.io/gateway-controller): no controller has acted on it',
    );
    expectClean(run);
  });

  it('fails when the Gateway API CRDs are not installed', async () => {
    const run = await runProbeOnScenario(aiInferenceProbe, scenarioPath('bare-1.35'), { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.reason).toContain('gatewayclasses missing; gateways missing; httproutes missing');
    expectClean(run);
  });

  it('fails when the installed controller rejects its GatewayClass', async () => {
    const file = derivedScenario('ai-inference-class-rejected', '1.35', ['kind-example-dra-1.35'], {
      behaviours: { gateway: { acceptClasses: false } },
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.reason).toContain('Accepted=False (InvalidParameters');
    expectClean(run);
  });

  it('ends in error, never passed, when creating the Gateway answers 500', async () => {
    const file = derivedScenario('ai-inference-create-500', '1.35', ['kind-example-dra-1.35'], {
      faults: [
        {
          verb: 'create',
          resource: 'gateways.gateway.networking.k8s.io',
          errorRate: 1,
          status: 500,
          message: 'etcdserver: leader changed',
        },
      ],
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('error');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'error']);
    expect(reasonOf(run, GATEWAY)).toContain('leader changed');
    expectClean(run);
  });

  it('survives watches that keep dropping while waiting for the Gateway', async () => {
    const file = derivedScenario('ai-inference-watch-drops', '1.35', ['kind-example-dra-1.35'], {
      faults: [{ verb: 'watch', resource: 'gateways.gateway.networking.k8s.io', dropWatchAfterMs: 10 }],
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expectClean(run);
  });
  it("does not pass when the Gateway never gets an address (Envoy Gateway's LoadBalancer proxy on kind), within the programmed-ms option", async () => {
    const file = derivedScenario('ai-inference-envoy-lb', '1.35', ['kind-example-dra-1.35'], {
      objects: [
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'GatewayClass',
          metadata: { name: 'eg' },
          spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
        },
      ],
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, {
      probeOptions: { extra: { 'gateway-class': 'eg', 'ai-inference.programmed-ms': '500' } },
    });
    expect(run.result.verdict).not.toBe('passed');
    expect(run.result.checks.find((c) => c.name === GATEWAY)?.verdict).not.toBe('passed');
    expectClean(run);
  });
});
