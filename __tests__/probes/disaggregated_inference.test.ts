import { describe, expect, it } from 'vitest';
import { disaggregatedInferenceProbe } from '../../src/probes/disaggregated_inference.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain, failedCheck } from './addonRuns.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

const withLlmd = (name: string, extra: Record<string, unknown> = {}) =>
  derivedScenario(name, '1.36', ['kind-example-dra-1.36', 'addons/llm-d-pd'], extra);

describe('disaggregated_inference', () => {
  it('passes with llm-d P/D: separate prefill and decode Deployments, both with ready replicas', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, withLlmd('kind-llm-d-1.36'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks[1].reason).toBe(
      'llm-d model random-model (namespace llm-d-pd): decode Deployment llm-d-pd/ms-pd-llm-d-modelservice-decode (2 replica(s), scales by deployments/scale), prefill Deployment llm-d-pd/ms-pd-llm-d-modelservice-prefill (1 replica(s), scales by deployments/scale); observed, not exercised (nothing was scaled)',
    );
    expect(run.result.checks[2].reason).toContain('decode Deployment llm-d-pd/ms-pd-llm-d-modelservice-decode 2/2 ready');
    expectClean(run);
  });

  it('fails when the decode component is not running', async () => {
    const run = await runProbeOnScenario(
      disaggregatedInferenceProbe,
      withLlmd('kind-llm-d-decode-down-1.36', {
        behaviours: { kubelet: { containers: [{ match: { labels: { 'llm-d.ai/role': 'decode' } }, exitCode: 1 }] } },
      }),
      { probeOptions: { extra: { 'disaggregated-inference.ready-ms': '500' } } },
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('the prefill and decode components are running');
    expect(run.result.reason).toContain('decode Deployment llm-d-pd/ms-pd-llm-d-modelservice-decode has no ready replica (0/2)');
    expectClean(run);
  });

  // Models llm-d's intelligent-inference guide (no P/D split): vLLM pods labelled only as decode.
  it('asks for manual evidence, naming the missing phase, when only decode is deployed', async () => {
    const only = derivedScenario('kind-llm-d-one-phase-1.36', '1.36', ['kind-example-dra-1.36'], {
      objects: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'vllm-decode', namespace: 'default', labels: { 'llm-d.ai/role': 'decode', 'llm-d.ai/model': 'm' } },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'd' } },
            template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0' }] } },
          },
        },
      ],
    });
    const one = await runProbeOnScenario(disaggregatedInferenceProbe, only);
    expect(one.result.verdict, explain(one)).toBe('manual');
    expect(one.result.reason).toContain(
      'no instance has both a prefill and a decode component: llm-d model m (namespace default) runs decode (Deployment default/vllm-decode) with no prefill component',
    );
    expectClean(one);
  });

  it('passes with a Dynamo graph whose prefill and decode services report their own ready replicas', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, withDynamo('dynamo-disagg-1.36', { prefill: 1, decode: 2 }));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1].reason).toBe(
      'DynamoGraphDeployment dynamo/vllm-disagg: decode service VllmDecodeWorker (2 replica(s), scales by spec.services.VllmDecodeWorker.replicas), prefill service VllmPrefillWorker (1 replica(s), scales by spec.services.VllmPrefillWorker.replicas); observed, not exercised (nothing was scaled)',
    );
    expect(run.result.checks[2].reason).toBe(
      'DynamoGraphDeployment dynamo/vllm-disagg: decode service VllmDecodeWorker 2/2 ready, prefill service VllmPrefillWorker 1/1 ready',
    );
    expectClean(run);
  });

  it('fails when a Dynamo prefill service has no ready replica, whatever the graph says overall', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, withDynamo('dynamo-prefill-down-1.36', { prefill: 0, decode: 2 }));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('prefill service VllmPrefillWorker has no ready replica (0/1)');
    expectClean(run);
  });

  it('asks for manual evidence when a Dynamo graph reports no per-service status', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, withDynamo('dynamo-no-service-status-1.36', undefined));
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain(
      'DynamoGraphDeployment dynamo/vllm-disagg reports no status of its own for decode service VllmDecodeWorker, prefill service VllmPrefillWorker',
    );
    expectClean(run);
  });

  // Dynamo's storage version since v1beta1 (ai-dynamo/dynamo deploy/operator/api/v1beta1): a list of components with a type.
  it('passes with a v1beta1 Dynamo graph: components typed prefill and decode, each with its own status', async () => {
    const file = derivedScenario('dynamo-v1beta1-1.36', '1.36', ['kind-example-dra-1.36'], {
      objects: [
        crd('nvidia.com', 'v1beta1', 'dynamographdeployments', 'DynamoGraphDeployment'),
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dynamo' } },
        {
          apiVersion: 'nvidia.com/v1beta1',
          kind: 'DynamoGraphDeployment',
          metadata: { name: 'qwen', namespace: 'dynamo' },
          spec: {
            backendFramework: 'vllm',
            components: [
              { name: 'frontend', type: 'frontend', replicas: 1 },
              { name: 'prefill', type: 'prefill', replicas: 2 },
              { name: 'decode', type: 'decode', replicas: 1 },
            ],
          },
          status: {
            state: 'successful',
            conditions: [{ type: 'Ready', status: 'True', reason: 'all_resources_are_ready', message: 'All resources are ready' }],
            components: {
              frontend: { componentKind: 'Deployment', componentName: 'qwen-frontend', replicas: 1, updatedReplicas: 1, readyReplicas: 1 },
              prefill: { componentKind: 'Deployment', componentName: 'qwen-prefill', replicas: 2, updatedReplicas: 2, readyReplicas: 2 },
              decode: { componentKind: 'Deployment', componentName: 'qwen-decode', replicas: 1, updatedReplicas: 1, readyReplicas: 0 },
            },
          },
        },
      ],
    });
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, file);
    expect(run.result.checks[1]?.reason).toBe(
      'DynamoGraphDeployment dynamo/qwen: prefill component prefill (2 replica(s), scales by spec.components[name=prefill].replicas), decode component decode (1 replica(s), scales by spec.components[name=decode].replicas); observed, not exercised (nothing was scaled)',
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('decode component decode has no ready replica (0/1)');
    expectClean(run);
  });

  // llm-d-router's roles: prefill-decode (and the deprecated `both`) run both phases in one workload.
  it('asks for manual evidence when llm-d runs prefill and decode in one workload (llm-d.ai/role=prefill-decode)', async () => {
    const file = derivedScenario('kind-llm-d-aggregated-1.36', '1.36', ['kind-example-dra-1.36'], {
      objects: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'ms-both', namespace: 'default' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { 'llm-d.ai/role': 'both', 'llm-d.ai/model': 'm' } },
            template: {
              metadata: { labels: { 'llm-d.ai/role': 'both', 'llm-d.ai/model': 'm' } },
              spec: { containers: [{ name: 'vllm', image: 'ghcr.io/llm-d/llm-d-inference-sim:v0.5.1' }] },
            },
          },
        },
      ],
    });
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, file);
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain(
      'llm-d model m (namespace default) runs prefill-decode (Deployment default/ms-both (llm-d.ai/role=both)) with no prefill or decode component',
    );
    expectClean(run);
  });

  it('passes with a KServe LLMInferenceService whose prefill and main workloads are each ready', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, withKserve('kserve-pd-1.36', 'True'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1].reason).toBe(
      'LLMInferenceService kserve/llama-pd: prefill spec.prefill (1 replica(s), scales by spec.prefill.replicas), decode spec (decode) (2 replica(s), scales by spec.replicas); observed, not exercised (nothing was scaled)',
    );
    expect(run.result.checks[2].reason).toBe(
      'LLMInferenceService kserve/llama-pd: prefill spec.prefill PrefillWorkloadReady=True, decode spec (decode) MainWorkloadReady=True',
    );
    expectClean(run);
  });

  it('fails when the KServe prefill workload is not ready', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, withKserve('kserve-pd-prefill-down-1.36', 'False'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('LLMInferenceService kserve/llama-pd is not ready');
    expectClean(run);
  });

  it('asks for manual evidence where no disaggregated solution is deployed', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, scenarioPath('kind-example-dra-1.36'));
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain("attach kubectl get deploy,lws -A -l 'llm-d.ai/role' -o wide");
    expectClean(run);
  });
});

/** A CRD as the operator's chart installs it, trimmed to a permissive schema with a status subresource. */
function crd(group: string, version: string, plural: string, kind: string): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          subresources: { status: {} },
        },
      ],
    },
  };
}

/**
 * NVIDIA Dynamo v0.7's disaggregated vLLM example (disagg.yaml): a DynamoGraphDeployment with a
 * Frontend and prefill and decode workers, as its operator reports it (status.services per service,
 * with ready replicas; `ready` undefined: an operator that reports none).
 */
function withDynamo(name: string, ready: { prefill: number; decode: number } | undefined): string {
  const services = ready
    ? {
        Frontend: { componentKind: 'Deployment', componentName: 'vllm-disagg-frontend', replicas: 1, readyReplicas: 1 },
        VllmDecodeWorker: {
          componentKind: 'Deployment',
          componentName: 'vllm-disagg-vllmdecodeworker',
          replicas: 2,
          readyReplicas: ready.decode,
        },
        VllmPrefillWorker: {
          componentKind: 'Deployment',
          componentName: 'vllm-disagg-vllmprefillworker',
          replicas: 1,
          readyReplicas: ready.prefill,
        },
      }
    : undefined;
  return derivedScenario(name, '1.36', ['kind-example-dra-1.36'], {
    objects: [
      crd('nvidia.com', 'v1alpha1', 'dynamographdeployments', 'DynamoGraphDeployment'),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dynamo' } },
      {
        apiVersion: 'nvidia.com/v1alpha1',
        kind: 'DynamoGraphDeployment',
        metadata: { name: 'vllm-disagg', namespace: 'dynamo' },
        spec: {
          backendFramework: 'vllm',
          services: {
            Frontend: { componentType: 'frontend', replicas: 1 },
            VllmDecodeWorker: { componentType: 'worker', subComponentType: 'decode', replicas: 2 },
            VllmPrefillWorker: { componentType: 'worker', subComponentType: 'prefill', replicas: 1 },
          },
        },
        status: {
          state: 'successful',
          conditions: [{ type: 'Ready', status: 'True', reason: 'all_resources_are_ready', message: 'All resources are ready' }],
          ...(services ? { services } : {}),
        },
      },
    ],
  });
}

/** KServe v0.16's LLMInferenceService (serving.kserve.io/v1alpha1) with a prefill section, as its controller reports it. */
function withKserve(name: string, prefillReady: 'True' | 'False'): string {
  const condition = (type: string, status: string) => ({
    type,
    status,
    lastTransitionTime: '2026-01-01T00:00:00Z',
    ...(status === 'False' ? { reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' } : {}),
  });
  return derivedScenario(name, '1.36', ['kind-example-dra-1.36'], {
    objects: [
      crd('serving.kserve.io', 'v1alpha1', 'llminferenceservices', 'LLMInferenceService'),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kserve' } },
      {
        apiVersion: 'serving.kserve.io/v1alpha1',
        kind: 'LLMInferenceService',
        metadata: { name: 'llama-pd', namespace: 'kserve' },
        spec: {
          model: { uri: 'hf://meta-llama/Llama-3.2-3B-Instruct', name: 'meta-llama/Llama-3.2-3B-Instruct' },
          replicas: 2,
          prefill: { replicas: 1 },
          router: { scheduler: {}, route: {}, gateway: {} },
        },
        status: {
          conditions: [
            condition('MainWorkloadReady', 'True'),
            condition('PrefillWorkloadReady', prefillReady),
            condition('WorkloadsReady', prefillReady),
            condition('Ready', prefillReady),
          ],
        },
      },
    ],
  });
}
