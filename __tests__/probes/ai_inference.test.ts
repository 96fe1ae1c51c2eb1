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
const TRAFFIC = 'requests through the Gateway follow the weights and the header match';

function observed(run: ProbeRun, text: string): string[] {
  return run.result.observations.map((o) => o.message).filter((message) => message.includes(text));
}

/** A GatewayClass some controller accepted once (its status as that controller wrote it). */
function acceptedClass(name: string, controllerName: string, generation = 1, observedGeneration = generation): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name, generation },
    spec: { controllerName },
    status: {
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: 'accepted',
          observedGeneration,
          lastTransitionTime: '2026-01-05T10:00:00Z',
        },
      ],
    },
  };
}

describe('ai_inference', () => {
  it('passes with Gateway API CRDs and a controller: class accepted, Gateway programmed, weighted route accepted', async () => {
    // cloud-provider-kind's Gateway API controller (addons/gateway-api.yaml).
    const run = await runProbeOnScenario(aiInferenceProbe, scenarioPath('gpu-nvidia-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    expect(reasonOf(run, CRDS)).toContain(
      'gatewayclasses (v1/v1beta1), gateways (v1/v1beta1), httproutes (v1/v1beta1), grpcroutes (v1), referencegrants (v1beta1)',
    );
    expect(reasonOf(run, CLASS)).toContain('GatewayClass cloud-provider-kind accepted by kind.sigs.k8s.io/gateway-controller');
    expect(reasonOf(run, GATEWAY)).toMatch(/Accepted and Programmed in [\d.]+s, address 172\.18\.255\.\d+/);
    expect(reasonOf(run, ROUTE)).toContain('weights ai-inference-model-a=80/ai-inference-model-b=20');
    // cloud-provider-kind's Envoy routes the probe pod's requests by the route's rules.
    expect(reasonOf(run, TRAFFIC)).toMatch(
      /20 requests with x-gateway-model-name: ai-inference-model-b all reached ai-inference-model-b; 200 without it split ai-inference-model-a (\d+), ai-inference-model-b (\d+) \(weights 80\/20: ai-inference-model-a expected 160 ± 23, 4 standard deviations of the binomial for 200 requests\)/,
    );
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

  it('skips classes left Accepted by an uninstalled implementation (kgateway v2.1, no controller pod) and uses the live Envoy Gateway v1.9.0 class', async () => {
    // kind-example-dra-1.35 (Envoy Gateway v1.9.0) after `helm uninstall kgateway`: its GatewayClass stays, status as it was.
    const file = derivedScenario('ai-inference-stale-kgateway', '1.35', ['kind-example-dra-1.35'], {
      objects: [acceptedClass('agentgateway', 'kgateway.dev/kgateway'), acceptedClass('kgateway', 'kgateway.dev/kgateway')],
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(reasonOf(run, CLASS)).toContain(
      'GatewayClass ai-conformance accepted by gateway.envoyproxy.io/gatewayclass-controller (Envoy Gateway pod envoy-gateway-system/envoy-gateway-',
    );
    expect(reasonOf(run, CLASS)).toContain(
      'skipped agentgateway (controllerName kgateway.dev/kgateway): Accepted=True but no running kgateway pod (app.kubernetes.io/name=kgateway): left by an uninstalled implementation',
    );
    expect(observed(run, 'GatewayClass skipped: kgateway (controllerName kgateway.dev/kgateway)')).toHaveLength(1);
    expect(reasonOf(run, GATEWAY)).toMatch(/^Gateway ai-inference-gateway \(class ai-conformance\) Accepted and Programmed/);
    expect(run.result.checks.find((c) => c.name === TRAFFIC)?.verdict).toBe('passed');
    expectClean(run);
  });

  it('fails when the only accepted class is left by an uninstalled implementation (kgateway v2.1 on kind, Envoy Gateway not running)', async () => {
    const file = derivedScenario('ai-inference-only-stale', '1.35', ['kind-example-dra-1.35'], {
      objects: [acceptedClass('kgateway', 'kgateway.dev/kgateway')],
      behaviours: { gateway: false },
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'failed']);
    expect(reasonOf(run, CLASS)).toContain(
      'ai-conformance (controllerName gateway.envoyproxy.io/gatewayclass-controller): no controller has acted on it',
    );
    expect(reasonOf(run, CLASS)).toContain('kgateway (controllerName kgateway.dev/kgateway): Accepted=True but no running kgateway pod');
    expectClean(run);
  });

  it('tries a stale class of an implementation it cannot see, then passes on the next that works (cloud-provider-kind), reporting the first', async () => {
    // gpu-nvidia-1.35 runs cloud-provider-kind's controller (outside the cluster, so not visible);
    // the AWS Gateway API controller was uninstalled and left amazon-vpc-lattice Accepted=True.
    const file = derivedScenario('ai-inference-stale-first', '1.35', ['gpu-nvidia-1.35'], {
      objects: [acceptedClass('amazon-vpc-lattice', 'application-networking.k8s.aws/gateway-api-controller')],
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { probeOptions: { extra: { 'ai-inference.accepted-ms': '300' } } });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(reasonOf(run, CLASS)).toContain(
      'GatewayClass amazon-vpc-lattice accepted by application-networking.k8s.aws/gateway-api-controller',
    );
    expect(reasonOf(run, CLASS)).toContain('then cloud-provider-kind');
    expect(reasonOf(run, GATEWAY)).toMatch(/^Gateway ai-inference-gateway-2 \(class cloud-provider-kind\) Accepted and Programmed/);
    expect(reasonOf(run, GATEWAY)).toContain(
      'tried before: amazon-vpc-lattice: no controller acted on Gateway ai-inference-gateway within 0.3s (Gateway ai-inference-gateway: Accepted not reported, Programmed not reported): class amazon-vpc-lattice has no live controller',
    );
    expect(observed(run, 'GatewayClass tried and failed: amazon-vpc-lattice')).toHaveLength(1);
    expect(run.result.checks.find((c) => c.name === TRAFFIC)?.verdict).toBe('passed');
    expectClean(run);
  });

  it('restricts to the class --probe-option gateway-class names, and fails when that one does not work', async () => {
    const file = derivedScenario('ai-inference-stale-named', '1.35', ['gpu-nvidia-1.35'], {
      objects: [acceptedClass('amazon-vpc-lattice', 'application-networking.k8s.aws/gateway-api-controller')],
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, {
      probeOptions: { extra: { 'gateway-class': 'amazon-vpc-lattice', 'ai-inference.accepted-ms': '300' } },
    });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'failed']);
    expect(reasonOf(run, CLASS)).not.toContain('cloud-provider-kind');
    expect(reasonOf(run, GATEWAY)).toContain(
      'no live GatewayClass programs a Gateway with the weighted, header-matched HTTPRoute: amazon-vpc-lattice: no controller acted on Gateway ai-inference-gateway within 0.3s',
    );
    expectClean(run);
  });

  it('skips a class whose Accepted condition is for an older generation than its spec', async () => {
    const file = derivedScenario('ai-inference-old-generation', '1.35', ['gpu-nvidia-1.35'], {
      objects: [acceptedClass('amazon-vpc-lattice', 'application-networking.k8s.aws/gateway-api-controller', 2, 1)],
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file);
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(reasonOf(run, CLASS)).toContain(
      'skipped amazon-vpc-lattice (controllerName application-networking.k8s.aws/gateway-api-controller): Accepted=True is for generation 1 but the class is at generation 2',
    );
    expect(reasonOf(run, GATEWAY)).toMatch(/^Gateway ai-inference-gateway \(class cloud-provider-kind\)/);
    expectClean(run);
  });

  it('fails on Envoy Gateway v1.9.0 on kind when the data plane ignores the weights (backends chosen evenly)', async () => {
    const file = derivedScenario('ai-inference-no-weights', '1.35', ['kind-example-dra-1.35'], {
      behaviours: { gateway: { weights: false } },
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed', 'failed']);
    expect(reasonOf(run, TRAFFIC)).toMatch(
      /requests without the header do not split as weighted: ai-inference-model-a \d+, ai-inference-model-b \d+ \(weights 80\/20: ai-inference-model-a expected 160 ± 23/,
    );
    expectClean(run);
  });

  it('fails on Envoy Gateway v1.9.0 on kind when the data plane ignores the header match', async () => {
    const file = derivedScenario('ai-inference-no-headers', '1.35', ['kind-example-dra-1.35'], {
      behaviours: { gateway: { headerMatches: false } },
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(reasonOf(run, TRAFFIC)).toMatch(
      /the header match is not honoured: of 20 requests with x-gateway-model-name: ai-inference-model-b, \d+ did not reach ai-inference-model-b/,
    );
    expectClean(run);
  });

  it('passes on the API checks, with the traffic check reported as not checked, when pods cannot reach the Gateway address', async () => {
    // Envoy Gateway v1.9.0 on kind whose Gateway address pods cannot reach (a load balancer IP not routed inside the cluster).
    const file = derivedScenario('ai-inference-unreachable', '1.35', ['kind-example-dra-1.35'], {
      behaviours: { gateway: { reachable: false } },
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks.map((c) => c.name)).toEqual([CRDS, CLASS, GATEWAY, ROUTE]);
    expect(observed(run, 'traffic through the Gateway not checked: no request from pod ai-inference-reach to http://10.96.')).toHaveLength(
      1,
    );
    expect(observed(run, 'Connection refused): the address is not reachable from pods')).toHaveLength(1);
    expectClean(run);
  });

  it('reports the traffic check as not checked when the Gateway reports no address', async () => {
    // cloud-provider-kind's controller programming a Gateway whose status lists no address.
    const file = derivedScenario('ai-inference-no-address', '1.35', ['gpu-nvidia-1.35'], { behaviours: { gateway: { addresses: false } } });
    const run = await runProbeOnScenario(aiInferenceProbe, file);
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks.map((c) => c.name)).not.toContain(TRAFFIC);
    expect(
      observed(run, 'traffic through the Gateway not checked: Gateway ai-inference-gateway reports no address in status.addresses'),
    ).toHaveLength(1);
    expectClean(run);
  });

  it('fails when the Gateway answers but its proxy never got the route (Envoy Gateway v1.9.0 on kind, every request 404)', async () => {
    const file = derivedScenario('ai-inference-not-routed', '1.35', ['kind-example-dra-1.35'], {
      behaviours: { gateway: { programRoutes: false } },
    });
    const run = await runProbeOnScenario(aiInferenceProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed', 'failed']);
    expect(reasonOf(run, TRAFFIC)).toMatch(
      /^the Gateway at http:\/\/10\.96\.\d+\.\d+\/v1\/chat\/completions answers but does not route to the HTTPRoute's backends: the last 3 of 10 answers were wget: server returned error: HTTP\/1\.1 404 Not Found/,
    );
    expectClean(run);
  });
});
