// Storage, selectors, pagination, watch, dry-run, RBAC, faults and errors of the fake apiserver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLERS } from '../harness/controllers/index.js';
import { ApiError } from '../harness/errors.js';
import type { FakeCluster, Scenario } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';
import { raw, readWatch, waitForGone, waitForObject } from './helpers.js';

const scenario: Scenario = {
  name: 'storage',
  kubernetesVersion: '1.35',
  nodes: [{ name: 'n1' }, { name: 'n2' }],
  // No kubelet or scheduler: pods stay as written.
  behaviours: { kubelet: false, scheduler: false },
  watch: { bookmarkIntervalMs: 20 },
};

describe('fake apiserver storage semantics', () => {
  let cluster: FakeCluster;
  beforeAll(async () => {
    cluster = await startFakeCluster({ scenario, tls: false });
  });
  afterAll(async () => cluster.stop());

  const cm = (name: string, labels: Record<string, string> = {}): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels },
    data: { a: '1' },
  });

  it('rejects requests without the bearer token with a 401 Status', async () => {
    const res = await fetch(`${cluster.url}/api/v1/namespaces`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { kind: string }).kind).toBe('Status');
  });

  it('creates with generateName, uid, creationTimestamp and resourceVersion; 409 AlreadyExists; 404 NotFound', async () => {
    const created = await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'gen-' },
    });
    expect(created.status).toBe(201);
    const meta = created.json.metadata as Record<string, string>;
    expect(meta.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(meta.resourceVersion)).toBeGreaterThan(0);

    expect((await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('dup'))).status).toBe(201);
    const again = await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('dup'));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      code: 409,
      message: 'configmaps "dup" already exists',
    });

    const missing = await raw(cluster, 'GET', '/api/v1/namespaces/default/configmaps/nope');
    expect(missing.json).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, message: 'configmaps "nope" not found' });
    const badName = await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'));
    expect(badName.json).toMatchObject({ reason: 'Invalid', code: 422 });
    const noNs = await raw(cluster, 'POST', '/api/v1/namespaces/ghost/configmaps', cm('x'));
    expect(noNs.json).toMatchObject({ reason: 'NotFound', code: 404, message: 'namespaces "ghost" not found' });
  });

  it('answers a stale resourceVersion on update with 409 Conflict', async () => {
    const created = (await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('conflict'))).json;
    const first = await raw(cluster, 'PUT', '/api/v1/namespaces/default/configmaps/conflict', { ...created, data: { a: '2' } });
    expect(first.status).toBe(200);
    const stale = await raw(cluster, 'PUT', '/api/v1/namespaces/default/configmaps/conflict', { ...created, data: { a: '3' } });
    expect(stale.json).toMatchObject({ reason: 'Conflict', code: 409 });
    expect(String(stale.json.message)).toContain('the object has been modified');
  });

  it('filters by label and field selectors and rejects unknown field selectors', async () => {
    for (const [name, tier] of [
      ['sel-a', 'web'],
      ['sel-b', 'db'],
      ['sel-c', 'web'],
    ] as const) {
      await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm(name, { tier, group: 'sel' }));
    }
    const names = async (q: string): Promise<string[]> =>
      ((await raw(cluster, 'GET', `/api/v1/namespaces/default/configmaps?${q}`)).json.items as { metadata: { name: string } }[]).map(
        (i) => i.metadata.name,
      );
    expect(await names('labelSelector=tier%3Dweb')).toEqual(['sel-a', 'sel-c']);
    expect(await names('labelSelector=group%3Dsel,tier!%3Dweb')).toEqual(['sel-b']);
    expect(await names('labelSelector=tier%20in%20(db,cache)')).toEqual(['sel-b']);
    expect(await names('labelSelector=group%3Dsel,!nothing')).toEqual(['sel-a', 'sel-b', 'sel-c']);
    expect(await names('fieldSelector=metadata.name%3Dsel-b')).toEqual(['sel-b']);
    const bad = await raw(cluster, 'GET', '/api/v1/namespaces/default/configmaps?fieldSelector=spec.nodeName%3Dx');
    expect(bad.json).toMatchObject({ kind: 'Status', code: 400 });

    await raw(cluster, 'POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fs-pod' },
      spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'x' }] },
    });
    expect(((await raw(cluster, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2')).json.items as unknown[]).length).toBe(1);
    expect(((await raw(cluster, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1')).json.items as unknown[]).length).toBe(0);
    expect(
      (
        (await raw(cluster, 'GET', '/api/v1/pods?fieldSelector=status.phase%3DPending,metadata.namespace%3Ddefault')).json
          .items as unknown[]
      ).length,
    ).toBe(1);
  });

  it('pages with limit/continue and counts the remainder; a list carries its kind and resourceVersion', async () => {
    await raw(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
    for (let i = 0; i < 25; i++) await raw(cluster, 'POST', '/api/v1/namespaces/paging/configmaps', cm(`p-${String(i).padStart(2, '0')}`));
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = (
        await raw(cluster, 'GET', `/api/v1/namespaces/paging/configmaps?limit=10${token ? `&continue=${encodeURIComponent(token)}` : ''}`)
      ).json;
      expect(page.kind).toBe('ConfigMapList');
      const meta = page.metadata as { continue?: string; remainingItemCount?: number; resourceVersion: string };
      if (pages === 0) expect(meta.remainingItemCount).toBe(15);
      seen.push(...(page.items as { metadata: { name: string }; kind?: string }[]).map((i) => i.metadata.name));
      token = meta.continue ?? '';
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('watches from a resourceVersion, sends bookmarks, filters by selector, and answers a compacted version with 410 Gone in the stream', async () => {
    const list = (await raw(cluster, 'GET', '/api/v1/namespaces/default/configmaps')).json;
    const rv = (list.metadata as { resourceVersion: string }).resourceVersion;
    await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('w-1', { watch: 'yes' }));
    await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('w-other'));
    await raw(cluster, 'DELETE', '/api/v1/namespaces/default/configmaps/w-1');
    const events = await readWatch(
      cluster,
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&labelSelector=watch%3Dyes&allowWatchBookmarks=true`,
      (ev) => ev.some((e) => e.type === 'BOOKMARK'),
    );
    expect(events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${(e.object.metadata as { name: string }).name}`)).toEqual([
      'ADDED w-1',
      'DELETED w-1',
    ]);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });

    cluster.store.compact();
    const gone = await readWatch(cluster, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, (ev) => ev.length > 0);
    expect(gone[0]?.type).toBe('ERROR');
    expect(gone[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('keeps status out of main-resource writes and everything but status out of status writes', async () => {
    await raw(cluster, 'POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'st' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    const pod = (await raw(cluster, 'GET', '/api/v1/namespaces/default/pods/st')).json;
    const main = await raw(cluster, 'PUT', '/api/v1/namespaces/default/pods/st', {
      ...pod,
      metadata: { ...(pod.metadata as object), labels: { a: 'b' } },
      status: { phase: 'Failed' },
    });
    expect(main.json.status).toMatchObject({ phase: 'Pending' });
    expect((main.json.metadata as { labels: Record<string, string> }).labels).toEqual({ a: 'b' });
    const status = await raw(cluster, 'PUT', '/api/v1/namespaces/default/pods/st/status', {
      ...main.json,
      metadata: { ...(main.json.metadata as object), labels: { c: 'd' } },
      status: { phase: 'Running' },
    });
    expect(status.json.status).toMatchObject({ phase: 'Running' });
    expect((status.json.metadata as { labels: Record<string, string> }).labels).toEqual({ a: 'b' });
  });

  it('applies merge, strategic-merge and JSON patches', async () => {
    await raw(cluster, 'POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pt', labels: { keep: '1', drop: '1' } },
      spec: {
        containers: [
          { name: 'a', image: 'one' },
          { name: 'b', image: 'two' },
        ],
      },
    });
    const merge = await raw(
      cluster,
      'PATCH',
      '/api/v1/namespaces/default/pods/pt',
      { metadata: { labels: { drop: null, added: 'y' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect((merge.json.metadata as { labels: Record<string, string> }).labels).toEqual({ keep: '1', added: 'y' });
    const smp = await raw(
      cluster,
      'PATCH',
      '/api/v1/namespaces/default/pods/pt',
      { spec: { containers: [{ name: 'b', image: 'three' }] } },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    expect((smp.json.spec as { containers: { name: string; image: string }[] }).containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'a=one',
      'b=three',
    ]);
    const jp = await raw(
      cluster,
      'PATCH',
      '/api/v1/namespaces/default/pods/pt',
      [
        { op: 'replace', path: '/metadata/labels/keep', value: '2' },
        { op: 'add', path: '/metadata/annotations', value: { x: 'y' } },
      ],
      { 'Content-Type': 'application/json-patch+json' },
    );
    expect(jp.json.metadata).toMatchObject({ labels: { keep: '2', added: 'y' }, annotations: { x: 'y' } });
    const badJp = await raw(
      cluster,
      'PATCH',
      '/api/v1/namespaces/default/pods/pt',
      [{ op: 'test', path: '/metadata/name', value: 'other' }],
      { 'Content-Type': 'application/json-patch+json' },
    );
    expect(badJp.json).toMatchObject({ kind: 'Status', code: 422 });
  });

  it('stores nothing on dryRun=All but runs validation', async () => {
    const dry = await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    expect(dry.status).toBe(201);
    expect((dry.json.metadata as { name: string }).name).toBe('dry');
    expect((await raw(cluster, 'GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
    expect((await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('BAD'))).status).toBe(422);
    await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('dry-del'));
    expect((await raw(cluster, 'DELETE', '/api/v1/namespaces/default/configmaps/dry-del?dryRun=All')).status).toBe(200);
    expect((await raw(cluster, 'GET', '/api/v1/namespaces/default/configmaps/dry-del')).status).toBe(200);
  });

  it('holds objects with finalizers until the finalizers are removed', async () => {
    await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('fin'),
      metadata: { name: 'fin', finalizers: ['example.com/hold'] },
    });
    const del = await raw(cluster, 'DELETE', '/api/v1/namespaces/default/configmaps/fin');
    expect(del.status).toBe(200);
    const held = (await raw(cluster, 'GET', '/api/v1/namespaces/default/configmaps/fin')).json;
    expect((held.metadata as { deletionTimestamp?: string }).deletionTimestamp).toBeTruthy();
    await raw(
      cluster,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/fin',
      { metadata: { finalizers: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect((await raw(cluster, 'GET', '/api/v1/namespaces/default/configmaps/fin')).status).toBe(404);
  });

  it('garbage-collects dependents of a deleted owner', async () => {
    const owner = (await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', cm('owner'))).json;
    const meta = owner.metadata as { name: string; uid: string };
    await raw(cluster, 'POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('dependent'),
      metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: meta.name, uid: meta.uid }] },
    });
    const gone = waitForGone(cluster, 'configmaps', 'default', 'dependent');
    await raw(cluster, 'DELETE', '/api/v1/namespaces/default/configmaps/owner');
    await gone;
    expect(cluster.store.get('configmaps', 'default', 'dependent')).toBeUndefined();
  });

  it('terminates a namespace: Terminating, contents deleted, then gone; no new content meanwhile', async () => {
    await raw(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await raw(cluster, 'POST', '/api/v1/namespaces/doomed/configmaps', {
      ...cm('slow'),
      metadata: { name: 'slow', finalizers: ['example.com/hold'] },
    });
    const del = await raw(cluster, 'DELETE', '/api/v1/namespaces/doomed');
    expect(del.json.status).toMatchObject({ phase: 'Terminating' });
    const refused = await raw(cluster, 'POST', '/api/v1/namespaces/doomed/configmaps', cm('late'));
    expect(refused.json).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(String(refused.json.message)).toContain('because it is being terminated');
    const gone = waitForGone(cluster, 'namespaces', undefined, 'doomed');
    await raw(
      cluster,
      'PATCH',
      '/api/v1/namespaces/doomed/configmaps/slow',
      { metadata: { finalizers: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await gone;
  });

  it('serves /version and both discovery forms', async () => {
    expect((await raw(cluster, 'GET', '/version')).json).toMatchObject({ major: '1', minor: '35', gitVersion: 'v1.35.0' });
    const legacy = (await raw(cluster, 'GET', '/apis')).json as {
      kind: string;
      groups: { name: string; preferredVersion: { version: string } }[];
    };
    expect(legacy.kind).toBe('APIGroupList');
    expect(legacy.groups.find((g) => g.name === 'resource.k8s.io')?.preferredVersion.version).toBe('v1');
    const agg = await raw(cluster, 'GET', '/apis', undefined, {
      Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    expect(agg.contentType).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(agg.json.kind).toBe('APIGroupDiscoveryList');
    const res = (await raw(cluster, 'GET', '/apis/resource.k8s.io/v1')).json as { resources: { name: string }[] };
    expect(res.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['deviceclasses', 'resourceclaims', 'resourceclaims/status', 'resourceclaimtemplates', 'resourceslices']),
    );
  });

  it('makes a new CRD discoverable and Established, and serves its objects', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } }, subresources: { status: {} } },
        ],
      },
    };
    expect((await raw(cluster, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const established = await waitForObject(cluster, 'customresourcedefinitions.apiextensions.k8s.io', (o) =>
      JSON.stringify(o.status ?? {}).includes('"Established"'),
    );
    expect(established.status).toMatchObject({
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers as any
      conditions: expect.arrayContaining([
        expect.objectContaining({ type: 'NamesAccepted', status: 'True' }),
        expect.objectContaining({ type: 'Established', status: 'True' }),
      ]),
    });
    const agg = (
      await raw(cluster, 'GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' })
    ).json as { items: { metadata: { name: string } }[] };
    expect(agg.items.map((i) => i.metadata.name)).toContain('example.com');
    const w = await raw(cluster, 'POST', '/apis/example.com/v1/namespaces/default/widgets', {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 1 },
    });
    expect(w.status).toBe(201);
    const list = (await raw(cluster, 'GET', '/apis/example.com/v1/widgets')).json as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('WidgetList');
    expect(list.items[0]?.kind).toBe('Widget');
  });
});

describe('version-dependent discovery', () => {
  it('serves resource.k8s.io v1beta2/v1beta1 on 1.33 and v1 from 1.34', async () => {
    for (const [version, expected] of [
      ['1.33', ['v1beta2', 'v1beta1']],
      ['1.34', ['v1', 'v1beta2', 'v1beta1']],
    ] as const) {
      const c = await startFakeCluster({ scenario: { name: `v${version}`, kubernetesVersion: version }, tls: false });
      try {
        const group = (await raw(c, 'GET', '/apis/resource.k8s.io')).json as { versions: { version: string }[] };
        expect(group.versions.map((v) => v.version)).toEqual(expected);
        expect((await raw(c, 'GET', '/version')).json.minor).toBe(version.split('.')[1]);
      } finally {
        await c.stop();
      }
    }
  });

  it('converts v1beta1 device requests to and from the stored v1 shape', async () => {
    const c = await startFakeCluster({ scenario: { name: 'conv', kubernetesVersion: '1.34' }, tls: false });
    try {
      await raw(c, 'POST', '/apis/resource.k8s.io/v1beta1/namespaces/default/resourceclaims', {
        apiVersion: 'resource.k8s.io/v1beta1',
        kind: 'ResourceClaim',
        metadata: { name: 'c' },
        spec: { devices: { requests: [{ name: 'gpu', deviceClassName: 'gpu.example.com' }] } },
      });
      const v1 = (await raw(c, 'GET', '/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/c')).json;
      expect(v1).toMatchObject({
        apiVersion: 'resource.k8s.io/v1',
        spec: { devices: { requests: [{ name: 'gpu', exactly: { deviceClassName: 'gpu.example.com' } }] } },
      });
      const beta = (await raw(c, 'GET', '/apis/resource.k8s.io/v1beta1/namespaces/default/resourceclaims/c')).json;
      expect(beta).toMatchObject({
        apiVersion: 'resource.k8s.io/v1beta1',
        spec: { devices: { requests: [{ name: 'gpu', deviceClassName: 'gpu.example.com' }] } },
      });
    } finally {
      await c.stop();
    }
  });
});

describe('RBAC, faults and admission', () => {
  it('answers denied requests with 403 and SelfSubjectAccessReview agrees', async () => {
    const c = await startFakeCluster({
      scenario: {
        name: 'rbac',
        kubernetesVersion: '1.35',
        rbac: { user: 'ci', deny: [{ verbs: ['list', 'create'], resources: ['nodes', 'deployments.apps'] }] },
      },
      tls: false,
    });
    try {
      const nodes = await raw(c, 'GET', '/api/v1/nodes');
      expect(nodes.json).toMatchObject({
        kind: 'Status',
        code: 403,
        reason: 'Forbidden',
        message: 'nodes is forbidden: User "ci" cannot list resource "nodes" in API group "" at the cluster scope',
      });
      expect((await raw(c, 'GET', '/api/v1/namespaces')).status).toBe(200);
      const dep = await raw(c, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
      });
      expect(String(dep.json.message)).toContain('cannot create resource "deployments" in API group "apps" in the namespace "default"');
      const review = await raw(c, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'list', resource: 'nodes' } },
      });
      expect(review.json.status).toMatchObject({ allowed: false });
    } finally {
      await c.stop();
    }
  });

  it('injects errors, latency and dropped watches per verb and resource', async () => {
    const c = await startFakeCluster({
      scenario: {
        name: 'faults',
        kubernetesVersion: '1.35',
        faults: [
          { verb: 'list', resource: 'pods', errorRate: 1, status: 503, message: 'etcd is sad' },
          { verb: 'get', resource: 'configmaps', latencyMs: 150 },
          { verb: 'watch', resource: 'secrets', dropWatchAfterMs: 50 },
        ],
      },
      tls: false,
    });
    try {
      expect((await raw(c, 'GET', '/api/v1/pods')).json).toMatchObject({
        kind: 'Status',
        code: 503,
        reason: 'ServiceUnavailable',
        message: 'etcd is sad',
      });
      expect((await raw(c, 'GET', '/api/v1/nodes')).status).toBe(200);
      await raw(c, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'slow' } });
      const t0 = performance.now();
      expect((await raw(c, 'GET', '/api/v1/namespaces/default/configmaps/slow')).status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
      const events = await readWatch(c, '/api/v1/namespaces/default/secrets?watch=true', () => false);
      expect(events).toEqual([]); // the stream ended by itself
    } finally {
      await c.stop();
    }
  });

  it('runs validating admission hooks on API writes, dry-run included', async () => {
    const seen: string[] = [];
    CONTROLLERS['test-admission'] = (ctx) => ({
      start() {
        ctx.registerAdmission((req) => {
          if (req.resource !== 'configmaps') return;
          seen.push(`${req.operation} ${req.name ?? ''} dryRun=${String(req.dryRun)}`);
          if (req.object?.metadata.labels?.reject === 'yes') {
            throw new ApiError(400, 'BadRequest', 'admission webhook "test.example.com" denied the request: reject=yes');
          }
        });
      },
    });
    const c = await startFakeCluster({
      scenario: { name: 'adm', kubernetesVersion: '1.35', behaviours: { 'test-admission': {} } },
      tls: false,
    });
    try {
      const bad = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad', labels: { reject: 'yes' } } };
      const dry = await raw(c, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', bad);
      expect(dry.json).toMatchObject({
        kind: 'Status',
        code: 400,
        message: 'admission webhook "test.example.com" denied the request: reject=yes',
      });
      expect((await raw(c, 'POST', '/api/v1/namespaces/default/configmaps', bad)).status).toBe(400);
      expect((await raw(c, 'POST', '/api/v1/namespaces/default/configmaps', { ...bad, metadata: { name: 'good' } })).status).toBe(201);
      const update = await raw(
        c,
        'PATCH',
        '/api/v1/namespaces/default/configmaps/good',
        { metadata: { labels: { reject: 'yes' } } },
        { 'Content-Type': 'application/merge-patch+json' },
      );
      expect(update.status).toBe(400);
      expect(seen).toEqual(['CREATE bad dryRun=true', 'CREATE bad dryRun=false', 'CREATE good dryRun=false', 'UPDATE good dryRun=false']);
    } finally {
      delete CONTROLLERS['test-admission'];
      await c.stop();
    }
  });
});
