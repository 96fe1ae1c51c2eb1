// End to end through `run`, the way a user runs it: the whole MUST suite on the reference fake
// scenarios, and each failing scenario naming its requirement and why.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCENARIOS_DIR, startFakeCluster, type FakeCluster } from '../harness/index.js';
import { labelledInStore } from '../helpers/probe-harness.js';
import { main } from '../../src/main.js';
import type { RunResults } from '../../src/model/results.js';
import { KUBERNETES_VERSIONS } from '../../src/requirements/catalog.js';
// @ts-expect-error -- a plain .mjs script run by the e2e workflow; its exports are untyped.
import { unexpectedVerdicts } from '../../scripts/expect-kind-verdicts.mjs';

// gang_scheduling watches 30 s for a pod that must not start; 1 s shows the same on the fake.
const FAST = ['--probe-option', 'gang-scheduling.window-ms=1000', '--offline'];

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function runOn(scenario: string, flags: string[]): Promise<{ code: number; results: RunResults }> {
  cluster = await startFakeCluster({ scenario: path.join(SCENARIOS_DIR, `${scenario}.yaml`), tls: false });
  const out = mkdtempSync(path.join(tmpdir(), 'aic-suite-'));
  const code = await main(['run', '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--level', 'must', ...FAST, ...flags]);
  const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
  expect(results.leaked).toBe(0);
  expect(labelledInStore(cluster, results.runId)).toEqual([]);
  return { code, results };
}

function verdicts(results: RunResults): Record<string, string> {
  return Object.fromEntries(results.requirements.filter((r) => r.level === 'MUST').map((r) => [r.id, r.verdict]));
}

const NINE_MUSTS = [
  'accelerator_metrics',
  'ai_inference',
  'ai_service_metrics',
  'cluster_autoscaling',
  'dra_support',
  'gang_scheduling',
  'pod_autoscaling',
  'robust_controller',
  'secure_accelerator_access',
];

describe('the MUST suite through run', () => {
  it('gpu-nvidia-1.35 with --allow-node-scaling: all nine MUSTs pass', { timeout: 60_000 }, async () => {
    const { code, results } = await runOn('gpu-nvidia-1.35', ['--allow-node-scaling']);
    expect(Object.keys(verdicts(results)).sort()).toEqual(NINE_MUSTS);
    expect(verdicts(results)).toEqual(Object.fromEntries(NINE_MUSTS.map((id) => [id, 'passed'])));
    expect(code).toBe(0);
  });

  it(
    'gpu-nvidia-1.35 without --allow-node-scaling: cluster_autoscaling is manual, with the command to run',
    { timeout: 60_000 },
    async () => {
      const { results } = await runOn('gpu-nvidia-1.35', ['--only', 'cluster_autoscaling']);
      const scaling = results.requirements.find((r) => r.id === 'cluster_autoscaling');
      expect(scaling?.verdict).toBe('manual');
      expect(scaling?.reason).toContain('ai-conformance run --only cluster_autoscaling --allow-node-scaling');
    },
  );

  it(
    'kind-example-dra-1.35: eight MUSTs pass; kind has no autoscaler, so cluster_autoscaling is N/A with a note',
    { timeout: 60_000 },
    async () => {
      const { code, results } = await runOn('kind-example-dra-1.35', ['--allow-node-scaling']);
      const expected = Object.fromEntries(NINE_MUSTS.map((id) => [id, id === 'cluster_autoscaling' ? 'not-applicable' : 'passed']));
      expect(verdicts(results)).toEqual(expected);
      expect(results.requirements.find((r) => r.id === 'cluster_autoscaling')?.notes ?? '').toMatch(/no cluster autoscaler/);
      expect(code).toBe(0);
    },
  );

  // What .github/workflows/e2e.yml asserts after each matrix job, on the kind scenario of that version.
  it.each([...KUBERNETES_VERSIONS])(
    'kind-example-dra-%s: every MUST reaches the verdict the e2e workflow expects of kind',
    { timeout: 60_000 },
    async (version) => {
      const { results } = await runOn(`kind-example-dra-${version}`, ['--allow-node-scaling']);
      expect((unexpectedVerdicts as (r: RunResults, v: string) => string[])(results, version)).toEqual([]);
    },
  );

  it('bare-1.35: clear failures within seconds, and an N/A with its note', { timeout: 60_000 }, async () => {
    const { code, results } = await runOn('bare-1.35', []);
    const byId = verdicts(results);
    expect(byId.cluster_autoscaling).toBe('not-applicable');
    for (const id of NINE_MUSTS.filter((id) => id !== 'cluster_autoscaling')) expect(byId[id], id).toBe('failed');
    for (const r of results.requirements.filter((r) => r.level === 'MUST')) {
      expect(r.reason.length, r.id).toBeGreaterThan(20);
      expect(r.durationMs, r.id).toBeLessThan(10_000);
    }
    expect(code).toBe(1);
  });

  const FAILING: Record<string, { id: string; why: RegExp }> = {
    'fail-dra-no-slices-1.35': { id: 'dra_support', why: /ResourceSlice/ },
    'fail-secure-access-isolation-1.35': { id: 'secure_accelerator_access', why: /sees|isolated/ },
    'fail-ai-inference-no-controller-1.35': { id: 'ai_inference', why: /GatewayClass|accepted|controller/i },
    'fail-robust-controller-webhook-1.35': { id: 'robust_controller', why: /webhook|invalid|rejected|admitted/i },
    'fail-gang-partial-1.35': { id: 'gang_scheduling', why: /Running|partial|started/i },
    'fail-gang-no-controller-1.35': {
      id: 'gang_scheduling',
      why: /no gang-scheduling solution is running: Kueue .*CRDs left by an uninstall/,
    },
    'fail-pod-autoscaling-no-custom-metrics-1.35': { id: 'pod_autoscaling', why: /custom metrics API/ },
    'fail-cluster-autoscaling-no-scaleup-1.35': { id: 'cluster_autoscaling', why: /node/ },
    'fail-accelerator-metrics-no-util-1.35': { id: 'accelerator_metrics', why: /utili[sz]ation/i },
    'fail-ai-service-metrics-no-scrape-1.35': { id: 'ai_service_metrics', why: /metric/i },
  };
  for (const [scenario, { id, why }] of Object.entries(FAILING)) {
    it(`${scenario}: ${id} fails and says why`, { timeout: 60_000 }, async () => {
      const { code, results } = await runOn(scenario, [
        '--only',
        id,
        '--allow-node-scaling',
        '--probe-option',
        'cluster-autoscaling.scale-up-ms=2000,ai-service-metrics.scrape-ms=1000',
      ]);
      const result = results.requirements.find((r) => r.id === id);
      expect(result?.verdict, result?.reason).toBe('failed');
      expect(result?.reason).toMatch(why);
      expect(code).toBe(1);
    });
  }
});
