// The fake API server decides about written fields and admission as a real one does: unknown
// fields dropped with a warning (refused under fieldValidation=Strict), CRD structural schemas
// pruning, defaulting and validating, dry runs refused for webhooks with side effects, and every
// refusal a metav1 Status.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeCluster } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';
import { token } from './helpers.js';

let cluster: FakeCluster;
beforeEach(async () => {
  cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35', tls: false });
});
afterEach(async () => {
  await cluster.stop();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown>; warnings: string | null }> {
  const res = await fetch(`${cluster.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token(cluster)}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, warnings: res.headers.get('warning') };
}

const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' }, bogus: 1 };
const clusterQueue = (spec: Record<string, unknown>) => ({
  apiVersion: 'kueue.x-k8s.io/v1beta2',
  kind: 'ClusterQueue',
  metadata: { name: 'q' },
  spec,
});

describe('unknown fields of built-in kinds', () => {
  it('are dropped with a Warning header by default', async () => {
    const r = await post('/api/v1/namespaces/default/configmaps', {
      ...configMap,
      data: { a: 'b' },
      metadata: { name: 'c', labels: { x: 'y' } },
    });
    expect(r.status).toBe(201);
    expect(r.warnings).toBe('299 - "unknown field \\"bogus\\""');
    expect(cluster.store.get('configmaps', 'default', 'c')).not.toHaveProperty('bogus');
  });

  it('are refused with fieldValidation=Strict, nested paths named, as a 400 Status', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'busybox', imagePullPolicyy: 'Always' }] },
    };
    const r = await post('/api/v1/namespaces/default/pods?fieldValidation=Strict', pod);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    expect(r.json.message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"',
    );
    expect(cluster.store.get('pods', 'default', 'p')).toBeUndefined();
  });

  it('are dropped silently with fieldValidation=Ignore', async () => {
    const r = await post('/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', configMap);
    expect(r.status).toBe(201);
    expect(r.warnings).toBeNull();
  });
});

describe('defaulting of built-in kinds', () => {
  it('gives a Secret without a type the type Opaque, and keeps a given type', async () => {
    const plain = await post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    expect(plain.status).toBe(201);
    expect(plain.json.type).toBe('Opaque');
    const typed = await post('/api/v1/namespaces/default/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 't' },
      type: 'kubernetes.io/basic-auth',
      stringData: { username: 'u', password: 'p' },
    });
    expect(typed.json.type).toBe('kubernetes.io/basic-auth');
  });
});

describe('CRD structural schemas (Kueue v0.19.2 ClusterQueue)', () => {
  it('prune unknown fields with a warning and apply defaults', async () => {
    const r = await post('/apis/kueue.x-k8s.io/v1beta2/clusterqueues', clusterQueue({ namespaceSelector: {}, notAField: true }));
    expect(r.status).toBe(201);
    expect(r.warnings).toContain('unknown field \\"spec.notAField\\"');
    const spec = (r.json.spec ?? {}) as Record<string, unknown>;
    expect(spec).not.toHaveProperty('notAField');
    expect(spec.queueingStrategy).toBe('BestEffortFIFO');
  });

  it('refuse a value outside the schema with 422 Invalid and one cause per error', async () => {
    const r = await post('/apis/kueue.x-k8s.io/v1beta2/clusterqueues', clusterQueue({ queueingStrategy: 'Random', cohortName: 7 }));
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      details: { name: 'q', group: 'kueue.x-k8s.io', kind: 'ClusterQueue' },
    });
    expect(String(r.json.message)).toContain('ClusterQueue.kueue.x-k8s.io "q" is invalid: [');
    expect(String(r.json.message)).toContain(
      'spec.queueingStrategy: Unsupported value: "Random": supported values: "StrictFIFO", "BestEffortFIFO"',
    );
    expect(String(r.json.message)).toContain(
      'spec.cohortName: Invalid value: "integer": spec.cohortName in body must be of type string: "integer"',
    );
    expect(cluster.store.get('clusterqueues.kueue.x-k8s.io', undefined, 'q')).toBeUndefined();
  });

  it('refuse unknown fields under fieldValidation=Strict', async () => {
    const r = await post('/apis/kueue.x-k8s.io/v1beta2/clusterqueues?fieldValidation=Strict', clusterQueue({ notAField: true }));
    expect(r.status).toBe(400);
    expect(r.json.message).toBe(
      'ClusterQueue in version "v1beta2" cannot be handled as a ClusterQueue: strict decoding error: unknown field "spec.notAField"',
    );
  });
});

describe('server-side dry run and webhook side effects', () => {
  const webhookConfiguration = (sideEffects: string) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: `audit-${sideEffects.toLowerCase()}` },
    webhooks: [
      {
        name: `audit-${sideEffects.toLowerCase()}.example.com`,
        admissionReviewVersions: ['v1'],
        sideEffects,
        clientConfig: { service: { namespace: 'default', name: 'audit' } },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'default' } },
      },
    ],
  });

  it('is refused when a webhook it reaches has side effects; NoneOnDryRun and other namespaces are fine', async () => {
    expect(
      (await post('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', webhookConfiguration('NoneOnDryRun'))).status,
    ).toBe(201);
    expect((await post('/api/v1/namespaces/default/configmaps?dryRun=All', configMap)).status).toBe(201);
    expect((await post('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', webhookConfiguration('Some'))).status).toBe(
      201,
    );
    const refused = await post('/api/v1/namespaces/default/configmaps?dryRun=All', configMap);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: 'admission webhook "audit-some.example.com" does not support dry run',
    });
    // Not a dry run, or outside the webhook's namespaceSelector: nothing to refuse.
    expect((await post('/api/v1/namespaces/default/configmaps', configMap)).status).toBe(201);
    expect((await post('/api/v1/namespaces/kube-system/configmaps?dryRun=All', configMap)).status).toBe(201);
  });
});
