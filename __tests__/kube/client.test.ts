import { afterEach, describe, expect, it } from 'vitest';
import type { V1ConfigMap, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { startFakeCluster, type FakeCluster, type Scenario } from '../harness/index.js';
import { KubeSession } from '../../src/kube/client.js';
import { cleanupRun } from '../../src/kube/cleanup.js';
import { KubeApiError } from '../../src/kube/http.js';
import type { ApiClientOptions } from '../../src/kube/api.js';
import { ALL_NAMESPACES, ConditionFailed, PROBE_LABEL, RUN_LABEL, WaitTimeout } from '../../src/kube/types.js';

const RUN = 'rtest-abc123';
let cluster: FakeCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function scenario(extra: Partial<Scenario> = {}): Scenario {
  return { name: 'kube-layer', kubernetesVersion: '1.35', nodes: [{ name: 'n1' }], ...extra };
}

async function session(extra: Partial<Scenario> = {}, tls = false, apiOptions: ApiClientOptions = {}) {
  cluster = await startFakeCluster({ scenario: scenario(extra), tls });
  const s = new KubeSession(cluster.kubeConfig(), RUN, apiOptions);
  return { s, kube: s.forProbe({ probeId: 'dra_support', namespace: 'aic-test' }) };
}

const configMap = (name: string, data: Record<string, string> = {}): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('kube layer CRUD', () => {
  it('labels and registers what it creates, defaulting to the probe namespace', async () => {
    const { s, kube } = await session({}, true);
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    const created = await kube.create(configMap('a'));
    expect(created.metadata?.namespace).toBe('aic-test');
    expect(created.metadata?.labels).toMatchObject({ [RUN_LABEL]: RUN, [PROBE_LABEL]: 'dra_support' });
    expect(s.created.map((o) => `${o.kind}/${o.namespace ?? ''}/${o.name}/${o.namespaced}`)).toEqual([
      'Namespace//aic-test/false',
      'ConfigMap/aic-test/a/true',
    ]);
    const got = await kube.get<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'aic-test', name: 'a' });
    expect(got?.metadata?.name).toBe('a');
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'aic-test', name: 'nope' })).toBeUndefined();
  });

  it('reads a namespace left out as the probe namespace in every method, and ALL_NAMESPACES as all', async () => {
    const { kube } = await session();
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-other' } });
    await kube.create(configMap('mine'));
    await kube.create({ ...configMap('theirs'), metadata: { name: 'theirs', namespace: 'aic-other' } });
    const names = (list: V1ConfigMap[]) =>
      list
        .map((cm) => `${cm.metadata?.namespace}/${cm.metadata?.name}`)
        .filter((name) => name.startsWith('aic-'))
        .sort();
    const kind = { apiVersion: 'v1', kind: 'ConfigMap' };
    expect(names(await kube.list<V1ConfigMap>(kind))).toEqual(['aic-test/mine']);
    expect(names((await kube.listPage<V1ConfigMap>(kind, { limit: 50 })).items)).toEqual(['aic-test/mine']);
    expect(names(await kube.list<V1ConfigMap>({ ...kind, namespace: ALL_NAMESPACES }))).toEqual(['aic-other/theirs', 'aic-test/mine']);
    expect((await kube.get<V1ConfigMap>({ ...kind, name: 'mine' }))?.metadata?.namespace).toBe('aic-test');
    expect(await kube.get({ ...kind, name: 'theirs' })).toBeUndefined();
    const seen = await kube.waitFor<V1ConfigMap>(kind, () => true, { description: 'a configmap', timeoutMs: 2_000 });
    expect(seen.metadata?.namespace).toBe('aic-test');
    await expect(kube.get({ ...kind, namespace: ALL_NAMESPACES, name: 'mine' })).rejects.toThrow('one object is in one namespace');
  });

  it('dry-run creates nothing and registers nothing', async () => {
    const { s, kube } = await session();
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create(configMap('dry'), { dryRun: true });
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'aic-test', name: 'dry' })).toBeUndefined();
    expect(s.created).toHaveLength(1);
  });

  it('pages through lists and answers discovery from one cached fetch', async () => {
    const { kube } = await session({ generate: { nodes: { count: 25 } } });
    const nodes = await kube.list({ apiVersion: 'v1', kind: 'Node' });
    expect(nodes.length).toBe(26);
    // One explicit page costs one request, says whether more are left, and where they start.
    const first = await kube.listPage({ apiVersion: 'v1', kind: 'Node' }, { limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.more).toBe(true);
    const rest: string[] = [];
    let page = first;
    while (page.more) {
      page = await kube.listPage({ apiVersion: 'v1', kind: 'Node' }, { limit: 10, continue: page.continue });
      rest.push(...page.items.map((node) => node.metadata?.name ?? ''));
    }
    expect(rest).toHaveLength(16);
    expect(page.continue).toBeUndefined();
    expect(await kube.isServed('resource.k8s.io/v1')).toBe(true);
    expect(await kube.isServed('example.com/v1')).toBe(false);
    const before = cluster!.stats().requests;
    await kube.groupVersions('resource.k8s.io');
    await kube.resources('v1');
    expect(cluster!.stats().requests).toBe(before);
  });

  it('surfaces API errors with their HTTP code', async () => {
    const { kube } = await session();
    const error = await kube.create(configMap('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).code).toBe(404);
  });
});

describe('waitFor', () => {
  it('notices a change within 100 ms of the store changing, by watch', async () => {
    const { kube } = await session();
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create(configMap('w', { state: 'old' }));
    const listsBefore = cluster!.stats().byVerb.list ?? 0;
    const waiting = kube.waitFor<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'aic-test', name: 'w' },
      (cm) => cm.data?.state === 'new',
      { description: 'configmap w new', timeoutMs: 5_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const changedAt = performance.now();
    cluster!.store.mutate('configmaps', 'aic-test', 'w', (obj) => ({ ...obj, data: { state: 'new' } }));
    const found = await waiting;
    const latency = performance.now() - changedAt;
    expect(found.data?.state).toBe('new');
    expect(latency).toBeLessThan(100);
    expect((cluster!.stats().byVerb.list ?? 0) - listsBefore).toBe(1);
  });

  it('stops with ConditionFailed when the predicate says the condition can never be met', async () => {
    const { kube } = await session();
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create(configMap('c', { state: 'broken' }));
    await expect(
      kube.waitFor<V1ConfigMap>(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'aic-test', name: 'c' },
        (cm) => (cm.data?.state === 'broken' ? 'it broke' : false),
        {
          description: 'configmap c ok',
          timeoutMs: 5_000,
        },
      ),
    ).rejects.toThrow(new ConditionFailed('configmap c ok: it broke'));
  });

  it('times out naming what it waited for and what it last saw', async () => {
    const { kube } = await session();
    const error = await kube
      .waitFor<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'never' }, () => false, {
        description: 'pod never Running',
        timeoutMs: 150,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeout);
    expect((error as Error).message).toBe('timed out after 0.2s waiting for pod never Running; last seen: nothing matching');
  });

  it('rejects with the abort reason when the probe is aborted', async () => {
    cluster = await startFakeCluster({ scenario: scenario(), tls: false });
    const controller = new AbortController();
    const kube = new KubeSession(cluster.kubeConfig(), RUN).forProbe({ probeId: 'p', namespace: 'default', signal: controller.signal });
    const waiting = kube.waitFor({ apiVersion: 'v1', kind: 'Pod', namespace: 'default' }, () => false, {
      description: 'x',
      timeoutMs: 10_000,
    });
    setTimeout(() => controller.abort(new Error('cancelled by SIGTERM')), 50);
    await expect(waiting).rejects.toThrow('cancelled by SIGTERM');
  });

  it('survives dropped watches by listing again', async () => {
    const { kube } = await session({ faults: [{ verb: 'watch', dropWatchAfterMs: 40 }] });
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create(configMap('d', { state: 'old' }));
    const waiting = kube.waitFor<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'aic-test', name: 'd' },
      (cm) => cm.data?.state === 'new',
      {
        description: 'd new',
        timeoutMs: 5_000,
      },
    );
    // Several drops happen before the change.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const watchesSoFar = cluster!.stats().byVerb.watch ?? 0;
    cluster!.store.mutate('configmaps', 'aic-test', 'd', (obj) => ({ ...obj, data: { state: 'new' } }));
    expect((await waiting).data?.state).toBe('new');
    expect(watchesSoFar).toBeGreaterThanOrEqual(2);
  });

  it('lists again after 410 Gone', async () => {
    const { kube } = await session({ watch: { historySize: 2 } });
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    // Churn between the list and the watch: the list's resourceVersion falls out of a 2-event history.
    const pods = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'aic-test' } as const;
    let listed = 0;
    const store = cluster!.store;
    const origList = store.listPage.bind(store);
    store.listPage = (key, query, limit, after) => {
      const page = origList(key, query, limit, after);
      if (key === 'configmaps' && listed++ === 0) {
        for (let i = 0; i < 5; i++)
          store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `churn-${i}`, namespace: 'aic-test' } });
      }
      return page;
    };
    const found = await kube.waitFor(pods, (cm) => cm.metadata?.name === 'churn-4', { description: 'churn-4', timeoutMs: 5_000 });
    expect(found.metadata?.name).toBe('churn-4');
    expect(listed).toBeGreaterThanOrEqual(2);
  });
});

describe('registry and heartbeats', () => {
  it('does not register an object the server refused (so cleanup never deletes what is not ours)', async () => {
    const { s, kube } = await session();
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create(configMap('once'));
    await expect(kube.create(configMap('once'))).rejects.toMatchObject({ code: 409 });
    expect(s.created.filter((o) => o.name === 'once')).toHaveLength(1);
  });

  it('keeps an object registered after a 5xx, which may have created it anyway', async () => {
    // Retried (a named create is safe to repeat) until the attempts run out: keep those few and quick.
    const { s, kube } = await session(
      { faults: [{ verb: 'create', resource: 'configmaps', errorRate: 1, status: 503, message: 'etcd timeout' }] },
      false,
      { retry: { maxAttempts: 3, baseDelayMs: 10 } },
    );
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await expect(kube.create(configMap('maybe'))).rejects.toMatchObject({ code: 503 });
    expect(s.created.filter((o) => o.name === 'maybe')).toHaveLength(1);
  });

  it('prints a heartbeat while a wait goes on', async () => {
    cluster = await startFakeCluster({ scenario: scenario(), tls: false });
    const beats: string[] = [];
    const kube = new KubeSession(cluster.kubeConfig(), RUN).forProbe({
      probeId: 'dra_support',
      namespace: 'default',
      onHeartbeat: (line) => beats.push(line),
      heartbeatMs: 40,
    });
    await kube
      .waitFor({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'x' }, () => false, {
        description: 'pod x Running',
        timeoutMs: 150,
      })
      .catch(() => undefined);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats[0]).toMatch(/^dra_support: still waiting for pod x Running \([\d.]+s so far, deadline 0\.2s\)$/);
  });
});

describe('cleanup', () => {
  it('deletes namespaces and cluster-scoped objects and counts nothing left', async () => {
    const { s, kube } = await session();
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create(configMap('in-ns'));
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'aic-role' },
      rules: [],
    } as never);
    const result = await cleanupRun(s, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ deleted: 2, leaked: 0, errors: [] });
    expect(cluster!.store.list('namespaces').filter((n) => n.metadata.labels?.[RUN_LABEL] === RUN)).toEqual([]);
    expect(cluster!.store.list('configmaps').filter((n) => n.metadata.labels?.[RUN_LABEL] === RUN)).toEqual([]);
  });

  it('does not call a cleanup clean when it could not look', async () => {
    const { s, kube } = await session({ rbac: { deny: [{ verbs: ['list', 'watch'], resources: ['configmaps'] }] } });
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-test' } });
    await kube.create(configMap('unseen'));
    const result = await cleanupRun(s, { timeoutMs: 300 });
    expect(result.leaked).toBeGreaterThanOrEqual(1);
    expect(result.leftovers.join('\n')).toMatch(/ConfigMap objects \(not verified: .*403/);
  });

  it('counts what it could not delete as leaked', async () => {
    const { s, kube } = await session({ rbac: { deny: [{ verbs: ['delete'], resources: ['clusterroles.rbac.authorization.k8s.io'] }] } });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'aic-stuck' },
      rules: [],
    } as never);
    const result = await cleanupRun(s, { timeoutMs: 300 });
    expect(result.leaked).toBe(1);
    expect(result.leftovers).toEqual(['ClusterRole aic-stuck']);
    expect(result.errors[0]).toMatch(/^ClusterRole aic-stuck: .*403/);
  });
});
