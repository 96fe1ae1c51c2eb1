// The kube layer under faults (the fake's injected 429s, 5xx, resets and lost answers): what is
// retried, how long it waits, how a create whose answer was lost is resolved, and how a watch
// resumes. Each fault is time-limited (`forFirstMs`) or certain (rate 1), so nothing here
// depends on chance.

import { afterEach, describe, expect, it } from 'vitest';
import type { V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import path from 'node:path';
import { SCENARIOS_DIR, startFakeCluster, type FakeCluster, type Scenario } from '../harness/index.js';
import { normaliseScenario, type Fault } from '../harness/scenario.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { draSupportProbe as draSupport } from '../../src/probes/dra_support.js';
import { KubeSession } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/http.js';
import { TokenBucket } from '../../src/kube/throttle.js';
import { classifyFailure } from '../../src/kube/api.js';

const RUN = 'rtest-faults1';
let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 50 };

async function session(faults: Fault[], retry: Record<string, number> = FAST_RETRY, extra: Partial<Scenario> = {}) {
  cluster = await startFakeCluster({
    scenario: { name: 'faults', kubernetesVersion: '1.35', nodes: [{ name: 'n1' }], ...extra },
    tls: false,
  });
  const s = new KubeSession(cluster.kubeConfig(), RUN, { retry });
  const kube = s.forProbe({ probeId: 'dra_support', namespace: 'default' });
  // Faults start after setup, so discovery is not what they hit.
  await kube.isServed('v1');
  await kube.resources('v1');
  for (const fault of faults) cluster.addFault(fault);
  return { s, kube };
}

const configMap = (name: string): V1ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } });
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name });

describe('retries', () => {
  it('a 429 is retried no sooner than its Retry-After', async () => {
    const { s, kube } = await session([
      { verb: 'get', resource: 'configmaps', errorRate: 1, status: 429, retryAfterSeconds: 0.3, forFirstMs: 200 },
    ]);
    const started = performance.now();
    expect(await kube.get(ref('none'))).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(s.api.stats.retries).toBe(1);
    expect(cluster!.stats().faults).toBe(1);
    // Counted for the probe that waited, by cause, with the time it waited.
    const mine = s.api.stats.byProbe.dra_support;
    expect(mine?.retriesBy).toEqual({ throttled: 1, server: 0, network: 0 });
    expect(mine?.retryWaitMs).toBeGreaterThanOrEqual(300);
  });

  it('500, 502, 503, 504 and a reset on a GET are retried', async () => {
    for (const status of [500, 502, 503, 504]) {
      const { s, kube } = await session([{ verb: 'list', resource: 'configmaps', errorRate: 1, status, forFirstMs: 30 }]);
      expect(await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' })).toEqual([]);
      expect(s.api.stats.retries, String(status)).toBeGreaterThanOrEqual(1);
      await cluster!.stop();
    }
    const { s, kube } = await session([{ verb: 'list', resource: 'configmaps', resetRate: 1, forFirstMs: 30 }]);
    expect(await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' })).toEqual([]);
    expect(s.api.stats.retries).toBeGreaterThanOrEqual(1);
  });

  it('gives up after the last attempt and says how many were made', async () => {
    const { kube } = await session([{ verb: 'get', resource: 'configmaps', errorRate: 1, status: 503 }], { ...FAST_RETRY, maxAttempts: 4 });
    const error = (await kube.get(ref('x')).catch((e: unknown) => e)) as KubeApiError;
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.code).toBe(503);
    expect(error.message).toMatch(/gave up after 4 attempts/);
    expect(cluster!.stats().byVerb.get).toBe(4);
  });

  it("a 503 through the service proxy (the backend's own, usually) gets 3 attempts, not 10; a 429 there is still waited out", async () => {
    const { kube } = await session([{ verb: 'proxy', errorRate: 1, status: 503 }]);
    const error = (await kube.serviceProxyGet('default', 'metrics', 80, '/metrics').catch((e: unknown) => e)) as KubeApiError;
    expect(error.code).toBe(503);
    expect(error.message).toMatch(/gave up after 3 attempts/);
    expect(cluster!.stats().byVerb.proxy).toBe(3);
    await cluster!.stop();
    const throttled = await session([
      { verb: 'proxy', errorRate: 1, status: 429, retryAfterSeconds: 0.01 },
      { verb: 'proxy', errorRate: 1, status: 503 },
    ]);
    const refused = (await throttled.kube.serviceProxyGet('default', 'metrics', 80, '/metrics').catch((e: unknown) => e)) as KubeApiError;
    expect(refused.code).toBe(429);
    expect(refused.message).toMatch(/gave up after 10 attempts/);
  });

  it('a definite refusal (404 on delete aside, 403, 422) is not retried', async () => {
    const { s, kube } = await session([], FAST_RETRY, { rbac: { deny: [{ verbs: ['get'], resources: ['secrets'] }] } });
    const error = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'x' }).catch((e: unknown) => e);
    expect((error as KubeApiError).code).toBe(403);
    expect((error as Error).message).not.toMatch(/attempt/);
    expect(s.api.stats.retries).toBe(0);
  });

  it('a named create whose answer was lost is retried, and the AlreadyExists that follows is resolved as ours', async () => {
    const { s, kube } = await session([{ verb: 'create', resource: 'configmaps', lostAnswerRate: 1, forFirstMs: 30 }]);
    const created = await kube.create(configMap('landed'));
    expect(created.metadata?.name).toBe('landed');
    expect(cluster!.store.list('configmaps').filter((o) => o.metadata.name === 'landed')).toHaveLength(1);
    expect(s.created.filter((o) => o.name === 'landed')).toHaveLength(1);
    expect(s.api.stats.retries).toBeGreaterThanOrEqual(1);
  });

  it('an AlreadyExists for an object that is not ours stays an error', async () => {
    const { kube } = await session([{ verb: 'create', resource: 'configmaps', errorRate: 1, status: 503, forFirstMs: 30 }], FAST_RETRY, {
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'taken', namespace: 'default' } }],
    });
    const error = await kube.create(configMap('taken')).catch((e: unknown) => e);
    expect((error as KubeApiError).code).toBe(409);
  });

  it('a create without a name is not repeated after a 5xx (it could make two)', async () => {
    const { s, kube } = await session([{ verb: 'create', resource: 'configmaps', errorRate: 1, status: 500, forFirstMs: 1000 }]);
    const error = await kube
      .create<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'g-' } })
      .catch((e: unknown) => e);
    expect((error as KubeApiError).code).toBe(500);
    expect(s.api.stats.retries).toBe(0);
    expect(cluster!.stats().byVerb.create).toBe(1);
  });

  it('but is repeated after a 429, which the server refused before doing anything', async () => {
    const { kube } = await session([
      { verb: 'create', resource: 'configmaps', errorRate: 1, status: 429, retryAfterSeconds: 0.05, forFirstMs: 30 },
    ]);
    const created = await kube.create<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'g-' } });
    expect(created.metadata?.name).toMatch(/^g-/);
    expect(cluster!.store.list('configmaps').filter((o) => o.metadata.name?.startsWith('g-'))).toHaveLength(1);
  });

  it('deletes are retried too', async () => {
    const { kube } = await session([{ verb: 'delete', resource: 'namespaces', errorRate: 1, status: 503, forFirstMs: 100 }]);
    await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-gone' } });
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'aic-gone' });
    await kube.waitForDeletion(
      { apiVersion: 'v1', kind: 'Namespace', name: 'aic-gone' },
      { description: 'aic-gone gone', timeoutMs: 5_000 },
    );
    expect(cluster!.store.list('namespaces').some((o) => o.metadata.name === 'aic-gone')).toBe(false);
  });

  it('classifies TLS and unknown socket errors as final', () => {
    const tls = Object.assign(new KubeApiError('self-signed certificate', undefined), { network: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const reset = Object.assign(new KubeApiError('socket hang up', undefined), { network: 'ECONNRESET' });
    const refused = Object.assign(new KubeApiError('connect ECONNREFUSED', undefined), { network: 'ECONNREFUSED' });
    expect(classifyFailure(tls)).toBe('final');
    expect(classifyFailure(reset)).toBe('maybe-applied');
    expect(classifyFailure(refused)).toBe('not-applied');
    expect(classifyFailure(new KubeApiError('x', 429))).toBe('not-applied');
    expect(classifyFailure(new KubeApiError('x', 409))).toBe('final');
  });
});

describe('rate limiting', () => {
  it('lets a burst through at once, then spaces requests at the QPS', () => {
    let now = 0;
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    now = 1_000; // refilled by 10 tokens, capped at the burst, less the two reserved ahead
    expect(bucket.reserve()).toBe(0);
  });

  it('throttles a session: 12 requests at 20 QPS with a burst of 2 take about half a second', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'qps', kubernetesVersion: '1.35' }, tls: false });
    const s = new KubeSession(cluster.kubeConfig(), RUN, { qps: 20, burst: 2 });
    const kube = s.forProbe({ probeId: 'p', namespace: 'default' });
    const started = performance.now();
    await Promise.all(Array.from({ length: 12 }, (_, i) => kube.get(ref(`n${i}`))));
    // Discovery (2 requests) and 12 GETs: 12 of them wait for a token at 50 ms each.
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
    expect(s.api.stats.throttledMs).toBeGreaterThan(0);
  });
});

describe('watches under faults', () => {
  it('a dropped watch resumes from its resourceVersion without listing again', async () => {
    const { s, kube } = await session([{ verb: 'watch', resource: 'configmaps', dropWatchAfterMs: 50 }]);
    await kube.create(configMap('w'));
    const lists = cluster!.stats().byVerb.list ?? 0;
    const waiting = kube.waitFor<V1ConfigMap>(ref('w'), (cm) => cm.data?.a === 'changed', { description: 'w changed', timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 300)); // several drops and resumes
    cluster!.store.mutate('configmaps', 'default', 'w', (o) => ({ ...o, data: { a: 'changed' } }));
    await waiting;
    expect(cluster!.stats().byVerb.watch ?? 0).toBeGreaterThanOrEqual(3);
    expect((cluster!.stats().byVerb.list ?? 0) - lists).toBe(1);
    expect(s.api.stats.byProbe.dra_support?.watchRestarts).toBeGreaterThanOrEqual(2);
  });

  it("a watch answered 429 comes back after the server's Retry-After, not a fixed second", async () => {
    const { s, kube } = await session([
      { verb: 'watch', resource: 'configmaps', errorRate: 1, status: 429, retryAfterSeconds: 0.3, forFirstMs: 100 },
    ]);
    await kube.create(configMap('r'));
    const waiting = kube.waitFor<V1ConfigMap>(ref('r'), (cm) => cm.data?.a === 'changed', { description: 'r changed', timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    cluster!.store.mutate('configmaps', 'default', 'r', (o) => ({ ...o, data: { a: 'changed' } }));
    await waiting;
    const mine = s.api.stats.byProbe.dra_support;
    expect(mine?.watchRestarts).toBe(1);
    expect(mine?.watchWaitMs).toBeGreaterThanOrEqual(300);
    expect(mine?.watchWaitMs).toBeLessThan(1000);
  });

  it('a watch answered 410 Gone lists again', async () => {
    const { kube } = await session([{ verb: 'watch', resource: 'configmaps', errorRate: 1, status: 410, forFirstMs: 100 }]);
    await kube.create(configMap('g'));
    const lists = cluster!.stats().byVerb.list ?? 0;
    const waiting = kube.waitFor<V1ConfigMap>(ref('g'), (cm) => cm.data?.a === 'changed', { description: 'g changed', timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    cluster!.store.mutate('configmaps', 'default', 'g', (o) => ({ ...o, data: { a: 'changed' } }));
    await waiting;
    expect((cluster!.stats().byVerb.list ?? 0) - lists).toBeGreaterThanOrEqual(2);
  });

  it('a watch that cannot reconnect ends in an error that says how many attempts were made, before its deadline', async () => {
    const { kube } = await session([{ verb: 'watch', resource: 'configmaps', errorRate: 1, status: 503 }], {
      ...FAST_RETRY,
      maxAttempts: 3,
    });
    const error = await kube.waitFor(ref('never'), () => false, { description: 'never', timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/503.*gave up after 3 attempts/);
  });
});

describe('a probe facing a fault that never clears', () => {
  it('ends in error only after every attempt, and its reason says how many were made', async () => {
    const base = normaliseScenario(path.join(SCENARIOS_DIR, 'kind-example-dra-1.35.yaml'), SCENARIOS_DIR);
    const run = await runProbeOnScenario(
      draSupport,
      { ...base, faults: [{ verb: 'list', resource: 'resourceslices.resource.k8s.io', errorRate: 1, status: 503 }] },
      { accelerator: 'example' },
    );
    expect(run.result.verdict).toBe('error');
    expect(run.result.reason).toMatch(/503.*gave up after 10 attempts/);
    expect(run.leftInStore).toEqual([]);
  });

  it('passes when the same fault clears within the retries', async () => {
    const base = normaliseScenario(path.join(SCENARIOS_DIR, 'kind-example-dra-1.35.yaml'), SCENARIOS_DIR);
    const run = await runProbeOnScenario(
      draSupport,
      { ...base, faults: [{ verb: 'list', resource: 'resourceslices.resource.k8s.io', errorRate: 1, status: 503, forFirstMs: 100 }] },
      { accelerator: 'example' },
    );
    expect(run.result.verdict, run.result.reason).toBe('passed');
  });
});
