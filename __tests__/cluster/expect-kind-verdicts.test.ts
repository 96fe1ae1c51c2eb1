// The e2e workflow's verdict check: what it expects of each MUST and SHOULD on kind, per version, and that it
// names the add-on behind a requirement that did not reach its verdict; and that the workflow runs
// it for every version we provision.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  KIND_EXPECTATIONS,
  KIND_MUSTS_BY_VERSION,
  KIND_SHOULDS_BY_VERSION,
  unexpectedVerdicts,
  // @ts-expect-error -- a plain .mjs script run by the workflow; its exports are untyped.
} from '../../scripts/expect-kind-verdicts.mjs';
import { parse } from 'yaml';
import { KUBERNETES_VERSIONS, requirementsFor } from '../../src/requirements/catalog.js';

interface Result {
  id: string;
  level: string;
  verdict: string;
  reason?: string;
}
const check = unexpectedVerdicts as (
  r: { kubernetesVersion: string; requirements: Result[]; leaked: number },
  version?: string,
) => string[];
const mustsByVersion = KIND_MUSTS_BY_VERSION as Record<string, string[]>;
const shouldsByVersion = KIND_SHOULDS_BY_VERSION as Record<string, string[]>;

describe('expect-kind-verdicts', () => {
  it('has an expectation for every MUST of every version we provision', () => {
    for (const version of KUBERNETES_VERSIONS) {
      for (const r of requirementsFor(version).filter((x) => x.level === 'MUST'))
        expect(Object.keys(KIND_EXPECTATIONS as object), `${version} ${r.id}`).toContain(r.id);
    }
  });

  it('has an expectation for every SHOULD too, and lists per version exactly the SHOULDs its checklist lists', () => {
    expect(Object.keys(shouldsByVersion)).toEqual([...KUBERNETES_VERSIONS]);
    for (const version of KUBERNETES_VERSIONS) {
      const shoulds = requirementsFor(version)
        .filter((x) => x.level === 'SHOULD')
        .map((x) => x.id);
      for (const id of shoulds) expect(Object.keys(KIND_EXPECTATIONS as object), `${version} ${id}`).toContain(id);
      expect([...(shouldsByVersion[version] ?? [])].sort(), version).toEqual(shoulds.sort());
    }
  });

  it('expects on kind what the fake kind scenario with the PR-mode add-ons gives (should-suite.test.ts)', () => {
    const expected = KIND_EXPECTATIONS as Partial<Record<string, { verdict: string }>>;
    expect(Object.fromEntries((shouldsByVersion['1.37'] ?? []).map((id) => [id, expected[id]?.verdict]))).toEqual({
      driver_runtime_management: 'passed',
      gpu_sharing: 'passed',
      virtualized_accelerator: 'not-applicable',
      advanced_inference_ingress: 'passed',
      high_performance_networking: 'not-applicable',
      disaggregated_inference: 'manual',
      workload_sandboxing: 'passed',
    });
  });

  it("lists, per version, exactly the MUSTs that version's checklist lists", () => {
    expect(Object.keys(mustsByVersion)).toEqual([...KUBERNETES_VERSIONS]);
    for (const version of KUBERNETES_VERSIONS) {
      const musts = requirementsFor(version)
        .filter((x) => x.level === 'MUST')
        .map((x) => x.id);
      expect([...(mustsByVersion[version] ?? [])].sort(), version).toEqual(musts.sort());
    }
  });

  it('runs on kind for every version we provision, checking the verdicts against the matrix version', () => {
    const workflow = parse(readFileSync(path.join(__dirname, '..', '..', '.github', 'workflows', 'e2e.yml'), 'utf8')) as {
      jobs: { kind: { strategy: { matrix: { 'kubernetes-version': string[] } }; steps: { env?: Record<string, string>; run?: string }[] } };
    };
    const job = workflow.jobs.kind;
    expect(job.strategy.matrix['kubernetes-version']).toEqual([...KUBERNETES_VERSIONS]);
    const verdictStep = job.steps.find((step) => step.run?.includes('scripts/expect-kind-verdicts.mjs'));
    expect(verdictStep?.env?.KUBERNETES_VERSION).toBe('${{ matrix.kubernetes-version }}');
    expect(verdictStep?.run).toContain('node scripts/expect-kind-verdicts.mjs "$RESULTS" "$KUBERNETES_VERSION"');
  });

  it('fails a run that dropped a MUST, lists one the version does not have, or is of another version', () => {
    // A complete kind run of the version: its MUSTs and its SHOULDs, each with kind's verdict.
    const requirements = (version: string): Result[] =>
      [
        ...(mustsByVersion[version] ?? []).map((id) => ({ id, level: 'MUST' })),
        ...(shouldsByVersion[version] ?? []).map((id) => ({ id, level: 'SHOULD' })),
      ].map((r) => ({ ...r, verdict: (KIND_EXPECTATIONS as Partial<Record<string, { verdict: string }>>)[r.id]?.verdict ?? '?' }));
    const on137 = { kubernetesVersion: '1.37', requirements: requirements('1.37'), leaked: 0 };
    expect(check(on137, '1.37')).toEqual([]);
    expect(check({ ...on137, requirements: on137.requirements.filter((r) => r.id !== 'gang_scheduling') }, '1.37')).toEqual([
      'gang_scheduling is missing from the results, expected passed (add-on: kueue)',
    ]);
    expect(
      check({ ...on137, requirements: [...on137.requirements, { id: 'dra_support', level: 'MUST', verdict: 'passed' }] }, '1.37'),
    ).toEqual(['dra_support: a MUST that Kubernetes 1.37 does not list on kind (update scripts/expect-kind-verdicts.mjs)']);
    expect(check(on137, '1.35')).toEqual([
      'the results are for Kubernetes 1.37, the run was for 1.35',
      'dra_support is missing from the results, expected passed (add-on: dra-example-driver)',
    ]);
    expect(check(on137, '1.38')).toEqual(['no expectations for Kubernetes 1.38 (add them to scripts/expect-kind-verdicts.mjs)']);
    expect(check({ ...on137, requirements: on137.requirements.filter((r) => r.id !== 'workload_sandboxing') }, '1.37')).toEqual([
      'workload_sandboxing (SHOULD) is missing from the results, expected passed (add-on: gvisor (runsc in every node, RuntimeClass gvisor))',
    ]);
    // A run with --level must leaves the SHOULDs out: they are not judged then.
    const mustOnly = { ...on137, requirements: on137.requirements.map((r) => (r.level === 'SHOULD' ? { ...r, verdict: 'skipped' } : r)) };
    expect(check(mustOnly, '1.37')).toEqual([]);
  });

  it('accepts the expected verdicts and names the add-on of one that differs', () => {
    const results = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'results', 'all-pass-1.35.json'), 'utf8')) as {
      kubernetesVersion: string;
      requirements: Result[];
      leaked: number;
    };
    const asOnKind = {
      ...results,
      requirements: results.requirements.map((r) =>
        r.id === 'cluster_autoscaling' || r.id === 'virtualized_accelerator' ? { ...r, verdict: 'not-applicable' } : r,
      ),
    };
    expect(check(asOnKind)).toEqual([]);
    const broken = {
      ...asOnKind,
      requirements: asOnKind.requirements.map((r) =>
        r.id === 'ai_inference' ? { ...r, verdict: 'error', reason: 'Gateway not Programmed: AddressNotAssigned' } : r,
      ),
    };
    expect(check(broken)).toEqual([
      'ai_inference is error, expected passed (add-on: envoy-gateway (GatewayClass ai-conformance, ClusterIP EnvoyProxy)): Gateway not Programmed: AddressNotAssigned',
    ]);
    expect(check({ ...asOnKind, leaked: 2 })).toEqual(['leaked objects: 2']);
    const sharingBroken = {
      ...asOnKind,
      requirements: asOnKind.requirements.map((r) =>
        r.id === 'gpu_sharing' ? { ...r, verdict: 'failed', reason: 'two pods of one shared claim see different devices' } : r,
      ),
    };
    expect(check(sharingBroken)).toEqual([
      'gpu_sharing (SHOULD) is failed, expected passed (add-on: dra-example-driver (one claim shared by two pods, TimeSlicing GpuConfig)): two pods of one shared claim see different devices',
    ]);
  });
});
