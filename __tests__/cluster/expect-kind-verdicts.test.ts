// The e2e workflow's verdict check: what it expects of each MUST on kind, and that it names the
// add-on behind a requirement that did not reach its verdict.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
// @ts-expect-error -- a plain .mjs script run by the workflow; its exports are untyped.
import { KIND_EXPECTATIONS, unexpectedVerdicts } from '../../scripts/expect-kind-verdicts.mjs';
import { KUBERNETES_VERSIONS, requirementsFor } from '../../src/requirements/catalog.js';

interface Result {
  id: string;
  level: string;
  verdict: string;
  reason?: string;
}
const check = unexpectedVerdicts as (r: { kubernetesVersion: string; requirements: Result[]; leaked: number }) => string[];

describe('expect-kind-verdicts', () => {
  it('has an expectation for every MUST of every version we provision', () => {
    for (const version of KUBERNETES_VERSIONS) {
      for (const r of requirementsFor(version).filter((x) => x.level === 'MUST'))
        expect(Object.keys(KIND_EXPECTATIONS as object), `${version} ${r.id}`).toContain(r.id);
    }
  });

  it('accepts the expected verdicts and names the add-on of one that differs', () => {
    const results = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'results', 'all-pass-1.35.json'), 'utf8')) as {
      kubernetesVersion: string;
      requirements: Result[];
      leaked: number;
    };
    const asOnKind = {
      ...results,
      requirements: results.requirements.map((r) => (r.id === 'cluster_autoscaling' ? { ...r, verdict: 'not-applicable' } : r)),
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
  });
});
