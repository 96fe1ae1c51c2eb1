import { describe, expect, it } from 'vitest';
import { advancedInferenceIngressProbe } from '../../src/probes/advanced_inference_ingress.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain } from './addonRuns.js';
import { kindWithoutShouldAddons } from './scenarioFile.js';

// Each test states the inference support it models, on kind without the PR path's own (tested in should-suite).
const withGaie = (name: string, extra: Record<string, unknown> = {}) =>
  kindWithoutShouldAddons(name, '1.36', ['addons/inference-extension'], extra);
const FAST = { probeOptions: { extra: { 'advanced-inference-ingress.wait-ms': '1500' } } };

describe('advanced_inference_ingress', () => {
  it('passes with an InferencePool implementation: pool and picker ready, route resolved, a request reaches a pool member', async () => {
    const run = await runProbeOnScenario(advancedInferenceIngressProbe, withGaie('kind-gaie-1.36'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks.map((c) => c.name)).toEqual([
      'the InferencePool API is served',
      'a GatewayClass is accepted by its controller',
      'an InferencePool with its endpoint picker becomes ready',
      'an HTTPRoute to the pool is accepted and resolved by the Gateway',
      'requests through the Gateway reach the pool member its endpoint picker selects',
    ]);
    expect(run.result.checks[1].reason).toBe('GatewayClass ai-conformance accepted by gateway.envoyproxy.io/gatewayclass-controller');
    expect(run.result.checks[2].reason).toMatch(
      /^pool aii-pool over 2 model server\(s\); endpoint picker aii-endpoint-picker available; ResolvedRefs=True/,
    );
    expect(run.result.checks[4].reason).toMatch(
      /^GET http:\/\/[\d.]+\/ai-conformance-inference from pod aii-client: 6 requests with test-epp-endpoint-selection naming aii-model-server-\S+ and aii-model-server-\S+ in turn were each answered by the member named$/,
    );
    expectClean(run);
  });

  // Models Envoy Gateway v1.9.0 + GAIE v1.6.0 where the Gateway does not consult the picker
  // (GAIE's failureMode FailOpen path): requests round-robin over the pool's pods, whichever the
  // picker would have chosen. Every pool condition is still True; only the routing tells.
  it('fails when the Gateway spreads requests over the pool without its endpoint picker', async () => {
    const run = await runProbeOnScenario(
      advancedInferenceIngressProbe,
      withGaie('kind-gaie-bypass-picker-1.36', {
        behaviours: { 'inference-extension': { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller', bypassPicker: true } },
      }),
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.checks.slice(0, 4).map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(run.result.reason).toMatch(
      /the Gateway does not route through the endpoint picker: of 6 requests each naming one member with test-epp-endpoint-selection, 2 were answered by another pod \(aii-model-server-\S+ \([\d.]+\) asked for, aii-model-server-\S+ answered/,
    );
    expectClean(run);
  });

  // Models Envoy Gateway v1.9.0 on kind with its default EnvoyProxy (a LoadBalancer proxy
  // Service, and kind has no load balancer): the Gateway never gets an address.
  it('ends in manual, naming the evidence to attach, when the Gateway has no address to send a request to', async () => {
    const run = await runProbeOnScenario(
      advancedInferenceIngressProbe,
      withGaie('kind-gaie-no-address-1.36', {
        objects: [
          {
            apiVersion: 'gateway.networking.k8s.io/v1',
            kind: 'GatewayClass',
            metadata: { name: 'envoy-default' },
            spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
          },
        ],
      }),
      { probeOptions: { extra: { 'gateway-class': 'envoy-default' } } },
    );
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toBe(
      "Gateway aii-gateway (class envoy-default) reports no address, so no request could be sent through it. Attach, from a client that reaches the Gateway, the answers to requests for /ai-conformance-inference sent with the header 'test-epp-endpoint-selection: <pod IP>' naming each pool member in turn, each answered by the pod named (the echo server's \"pod\" field), with the Gateway, HTTPRoute and InferencePool status",
    );
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expectClean(run);
  });

  it('fails when the Gateway implementation does not support InferencePool backends', async () => {
    const file = kindWithoutShouldAddons('kind-gaie-crd-only-1.36', '1.36', [], {
      objects: [
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'inferencepools.inference.networking.k8s.io' },
          spec: {
            group: 'inference.networking.k8s.io',
            scope: 'Namespaced',
            names: { plural: 'inferencepools', singular: 'inferencepool', kind: 'InferencePool' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                subresources: { status: {} },
              },
            ],
          },
        },
      ],
    });
    const run = await runProbeOnScenario(advancedInferenceIngressProbe, file, FAST);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('no controller of class ai-conformance manages InferencePools');
    expect(run.result.checks.find((c) => c.name.startsWith('an HTTPRoute'))?.reason).toContain(
      'ResolvedRefs=False (InvalidKind: unsupported backend kind InferencePool',
    );
    expectClean(run);
  });

  it('ends in error, saying why, when the endpoint picker cannot start (its image cannot be pulled)', async () => {
    const run = await runProbeOnScenario(
      advancedInferenceIngressProbe,
      withGaie('kind-gaie-epp-pull-1.36', {
        behaviours: { kubelet: { imagePullFailures: ['registry.k8s.io/gateway-api-inference-extension/lwepp'] } },
      }),
      FAST,
    );
    // Our own picker not starting says nothing about the platform's ingress: not a failure.
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(run.result.reason).toMatch(
      /^an InferencePool with its endpoint picker becomes ready: .*Deployment aii-endpoint-picker available.*; pod aii-endpoint-picker-\S+: ErrImagePull failed to pull and unpack image "registry\.k8s\.io\/gateway-api-inference-extension\/lwepp:v1\.6\.0"/,
    );
    expectClean(run);
  });

  it('fails where the Gateway API Inference Extension is not installed', async () => {
    const run = await runProbeOnScenario(advancedInferenceIngressProbe, kindWithoutShouldAddons('kind-no-gaie-1.36', '1.36'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain(
      'inference.networking.k8s.io/v1 inferencepools is not served: the Gateway API Inference Extension (v1.0 or later) is not installed',
    );
    expectClean(run);
  });
});
