// End to end through `run`: the seven SHOULD probes on the kind scenario with the add-ons that
// give each something to check, and their verdicts carried into results.json, junit, e2e.log and
// PRODUCT.yaml exactly like MUST verdicts; nothing the probes created is left behind.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { labelledInStore } from '../helpers/probe-harness.js';
import { derivedScenario } from '../probes/scenarioFile.js';
import { main } from '../../src/main.js';
import type { RunResults } from '../../src/model/results.js';
import { testNameFor } from '../../src/requirements/catalog.js';
// @ts-expect-error -- a plain .mjs script run by the e2e workflow; its exports are untyped.
import { unexpectedShouldVerdicts } from '../../scripts/expect-kind-verdicts.mjs';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const SHOULDS_137 = [
  'advanced_inference_ingress',
  'disaggregated_inference',
  'driver_runtime_management',
  'gpu_sharing',
  'high_performance_networking',
  'virtualized_accelerator',
  'workload_sandboxing',
];

interface ChecklistEntry {
  id: string;
  level: string;
  status: string;
  evidence: string[];
  notes: string;
}

function entries(product: string): Map<string, ChecklistEntry> {
  const doc = parse(product) as { spec: Record<string, ChecklistEntry[]> };
  return new Map(
    Object.values(doc.spec)
      .flat()
      .map((entry) => [entry.id, entry]),
  );
}

/** The requirement's own testcase element (not its checks'), named by id or by its Test name. */
function testcaseOf(junit: string, id: string): string | undefined {
  const name = testNameFor(id);
  return [...junit.matchAll(/<testcase [^>]*?\sname="([^"]*)"[^>]*?(?:\/>|>[\s\S]*?<\/testcase>)/g)].find(
    (m) => m[1] === name || m[1].endsWith(`${id} [SHOULD]`),
  )?.[0];
}

describe('the SHOULD suite through run', () => {
  it(
    'kind 1.37 with the PR-mode add-ons (gVisor, inference extension) plus DRANET and llm-d: every SHOULD checked, carried into every artifact',
    { timeout: 90_000 },
    async () => {
      const file = derivedScenario('kind-shoulds-1.37', '1.37', ['kind-example-dra-1.37', 'addons/dranet', 'addons/llm-d-pd']);
      cluster = await startFakeCluster({ scenario: file, tls: false });
      const out = mkdtempSync(path.join(tmpdir(), 'aic-shoulds-'));
      await main(['run', '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--level', 'should', '--offline']);
      const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
      const verdicts = Object.fromEntries(results.requirements.filter((r) => r.level === 'SHOULD').map((r) => [r.id, r.verdict]));
      expect(Object.keys(verdicts).sort()).toEqual(SHOULDS_137);
      expect(verdicts).toEqual({
        driver_runtime_management: 'passed',
        gpu_sharing: 'passed',
        virtualized_accelerator: 'not-applicable',
        advanced_inference_ingress: 'passed',
        high_performance_networking: 'passed',
        disaggregated_inference: 'passed',
        workload_sandboxing: 'passed',
      });
      expect(results.leaked).toBe(0);
      expect(labelledInStore(cluster, results.runId)).toEqual([]);

      const checklist = entries(readFileSync(path.join(out, 'PRODUCT.yaml'), 'utf8'));
      expect(checklist.get('gpu_sharing')).toMatchObject({ level: 'SHOULD', status: 'Implemented' });
      expect(checklist.get('workload_sandboxing')).toMatchObject({ level: 'SHOULD', status: 'Implemented' });
      expect(checklist.get('virtualized_accelerator')).toMatchObject({ level: 'SHOULD', status: 'N/A' });
      expect(checklist.get('virtualized_accelerator')?.notes).toContain('no virtual accelerator is advertised');
      expect(checklist.get('workload_sandboxing')?.evidence).toContain('file://junit.xml#TestWorkloadSandboxing');

      const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
      for (const id of SHOULDS_137.filter((id) => id !== 'virtualized_accelerator')) {
        const testcase = testcaseOf(junit, id);
        expect(testcase, id).toBeDefined();
        expect(testcase, id).not.toMatch(/<(failure|error|skipped)/);
      }
      expect(testcaseOf(junit, 'virtualized_accelerator')).toMatch(/<skipped message="[^"]*no virtual accelerator is advertised/);
      const log = readFileSync(path.join(out, 'e2e.log'), 'utf8');
      expect(log).toContain('--- PASS: TestWorkloadSandboxing (');
      expect(log).toContain('--- SKIP: TestVirtualizedAccelerator (');
    },
  );

  it('kind 1.37 with the PR-mode add-ons only: the SHOULDs kind can offer pass, the others say why not', { timeout: 90_000 }, async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.37', tls: false });
    const out = mkdtempSync(path.join(tmpdir(), 'aic-shoulds-'));
    await main(['run', '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--level', 'should', '--offline']);
    const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
    const byId = new Map(results.requirements.filter((r) => r.level === 'SHOULD').map((r) => [r.id, r]));
    expect(Object.fromEntries([...byId].map(([id, r]) => [id, r.verdict]))).toEqual({
      driver_runtime_management: 'passed',
      gpu_sharing: 'passed',
      virtualized_accelerator: 'not-applicable',
      advanced_inference_ingress: 'passed',
      high_performance_networking: 'not-applicable',
      disaggregated_inference: 'manual',
      workload_sandboxing: 'passed',
    });
    expect(
      byId
        .get('workload_sandboxing')
        ?.checks.map((c) => c.reason)
        .join('\n'),
    ).toContain('gvisor');
    // What the e2e workflow asserts on real kind is what the fake's model of it gives.
    expect((unexpectedShouldVerdicts as (r: RunResults, v: string) => string[])(results, '1.37')).toEqual([]);
    for (const result of byId.values()) if (result.verdict !== 'passed') expect(result.reason.length, result.id).toBeGreaterThan(40);
    expect(results.leaked).toBe(0);
    expect(labelledInStore(cluster, results.runId)).toEqual([]);
  });

  it(
    'kind 1.37 without the inference and sandbox add-ons: every SHOULD is checked or says why it cannot be',
    { timeout: 90_000 },
    async () => {
      const file = derivedScenario(
        'kind-no-should-addons-1.37',
        '1.37',
        [
          'addons/dra-example-driver',
          'addons/envoy-gateway-v1.9.0',
          'addons/kueue-v0.19.2',
          'addons/kube-prometheus-stack-88.5.3',
          'addons/fake-gpu-operator-0.2.0',
          'addons/kubeflow-trainer-v2.3.0',
        ],
        {
          nodes: [
            { name: 'ai-conformance-control-plane', role: 'control-plane' },
            { name: 'ai-conformance-worker' },
            { name: 'ai-conformance-worker2' },
          ],
        },
      );
      cluster = await startFakeCluster({ scenario: file, tls: false });
      const out = mkdtempSync(path.join(tmpdir(), 'aic-shoulds-'));
      await main(['run', '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--level', 'should', '--offline']);
      const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
      const byId = new Map(results.requirements.filter((r) => r.level === 'SHOULD').map((r) => [r.id, r]));
      expect([...byId.keys()].sort()).toEqual(SHOULDS_137);
      expect(byId.get('driver_runtime_management')?.verdict).toBe('passed');
      expect(byId.get('gpu_sharing')?.verdict).toBe('passed');
      expect(byId.get('virtualized_accelerator')).toMatchObject({ verdict: 'not-applicable' });
      expect(byId.get('high_performance_networking')).toMatchObject({ verdict: 'not-applicable' });
      expect(byId.get('advanced_inference_ingress')?.reason).toContain(
        'the Gateway API Inference Extension (v1.0 or later) is not installed',
      );
      expect(byId.get('disaggregated_inference')).toMatchObject({ verdict: 'manual' });
      expect(byId.get('workload_sandboxing')?.reason).toContain('no RuntimeClass of a known sandbox');
      for (const result of byId.values()) {
        expect(result.verdict, result.id).not.toBe('error');
        if (result.verdict !== 'passed') expect(result.reason.length, result.id).toBeGreaterThan(40);
      }
      expect(results.leaked).toBe(0);
      expect(labelledInStore(cluster, results.runId)).toEqual([]);
    },
  );

  it('a failed SHOULD is Not Implemented in PRODUCT.yaml and FAIL in the artifacts, with its reason', { timeout: 60_000 }, async () => {
    const file = derivedScenario('kind-bad-sandbox-1.37', '1.37', ['kind-example-dra-1.37'], {
      objects: [{ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'kata' }, handler: 'runc' }],
    });
    cluster = await startFakeCluster({ scenario: file, tls: false });
    const out = mkdtempSync(path.join(tmpdir(), 'aic-shoulds-'));
    await main([
      'run',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--out',
      out,
      '--only',
      'workload_sandboxing',
      '--probe-option',
      'workload-sandboxing.runtime-class=kata',
      '--offline',
    ]);
    const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
    expect(results.requirements.find((r) => r.id === 'workload_sandboxing')?.verdict).toBe('failed');
    const entry = entries(readFileSync(path.join(out, 'PRODUCT.yaml'), 'utf8')).get('workload_sandboxing');
    expect(entry?.status).toMatch(/^(Not|Partially) Implemented$/);
    expect(entry?.notes).toContain('shares the host kernel');
    expect(readFileSync(path.join(out, 'e2e.log'), 'utf8')).toContain('--- FAIL: TestWorkloadSandboxing (');
    expect(testcaseOf(readFileSync(path.join(out, 'junit.xml'), 'utf8'), 'workload_sandboxing')).toMatch(
      /<failure message="[^"]*shares the host kernel/,
    );
    expect(results.leaked).toBe(0);
  });
});
