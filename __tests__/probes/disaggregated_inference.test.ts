import { describe, expect, it } from 'vitest';
import { disaggregatedInferenceProbe } from '../../src/probes/disaggregated_inference.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain, failedCheck } from './addonRuns.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

const withLlmd = (name: string, extra: Record<string, unknown> = {}) => derivedScenario(name, '1.36', ['kind-example-dra-1.36', 'addons/llm-d-pd'], extra);

describe('disaggregated_inference', () => {
  it('passes with llm-d P/D: separate prefill and decode Deployments, both with ready replicas', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, withLlmd('kind-llm-d-1.36'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks[1]!.reason).toBe(
      'llm-d model random-model (namespace llm-d-pd): decode Deployment llm-d-pd/ms-pd-llm-d-modelservice-decode (2 replica(s)), prefill Deployment llm-d-pd/ms-pd-llm-d-modelservice-prefill (1 replica(s))',
    );
    expect(run.result.checks[2]!.reason).toContain('decode Deployment llm-d-pd/ms-pd-llm-d-modelservice-decode 2/2 ready');
    expectClean(run);
  });

  it('fails when the decode component is not running', async () => {
    const run = await runProbeOnScenario(
      disaggregatedInferenceProbe,
      withLlmd('kind-llm-d-decode-down-1.36', { behaviours: { kubelet: { containers: [{ match: { labels: { 'llm-d.ai/role': 'decode' } }, exitCode: 1 }] } } }),
      { probeOptions: { extra: { 'disaggregated-inference.ready-ms': '500' } } },
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('the prefill and decode components are running');
    expect(run.result.reason).toContain('decode Deployment llm-d-pd/ms-pd-llm-d-modelservice-decode has no ready replica (0/2)');
    expectClean(run);
  });

  it('fails when only one phase is deployed', async () => {
    const only = derivedScenario('kind-llm-d-one-phase-1.36', '1.36', ['kind-example-dra-1.36'], {
      objects: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'vllm-decode', namespace: 'default', labels: { 'llm-d.ai/role': 'decode', 'llm-d.ai/model': 'm' } },
          spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0' }] } } },
        },
      ],
    });
    const one = await runProbeOnScenario(disaggregatedInferenceProbe, only);
    expect(one.result.verdict, explain(one)).toBe('failed');
    expect(one.result.reason).toContain('no instance has both a prefill and a decode component: llm-d model m (namespace default) has decode');
    expectClean(one);
  });

  it('asks for manual evidence where no disaggregated solution is deployed', async () => {
    const run = await runProbeOnScenario(disaggregatedInferenceProbe, scenarioPath('kind-example-dra-1.36'));
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain("attach kubectl get deploy,lws -A -l 'llm-d.ai/role' -o wide");
    expectClean(run);
  });
});
