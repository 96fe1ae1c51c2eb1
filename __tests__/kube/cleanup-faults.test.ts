// Cleanup against an API server that refuses deletes for a while: it keeps trying until its
// deadline and leaves nothing behind; what it cannot remove is listed by kind/namespace/name
// (ResourceClaims of a namespace left included) with a command naming only served kinds.

import { afterEach, describe, expect, it } from 'vitest';
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { labelledInStore, TEST_API_OPTIONS } from '../helpers/probe-harness.js';
import { KubeSession } from '../../src/kube/client.js';
import { cleanupRun } from '../../src/kube/cleanup.js';

const RUN = 'rtest-cleanup1';
let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function populated() {
  cluster = await startFakeCluster({
    scenario: { name: 'cleanup-faults', kubernetesVersion: '1.35', nodes: [{ name: 'n1' }] },
    tls: false,
  });
  const session = new KubeSession(cluster.kubeConfig(), RUN, TEST_API_OPTIONS);
  const kube = session.forProbe({ probeId: 'dra_support', namespace: 'aic-cleanup' });
  await kube.create<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aic-cleanup' } });
  await kube.create<V1Pod>({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  await kube.create({
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaim',
    metadata: { name: 'claim' },
    spec: { devices: { requests: [] } },
  } as never);
  await kube.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'aic-cleanup-role' },
    rules: [],
  } as never);
  return session;
}

describe('cleanup under faults', () => {
  it('deletes failing for the first 20 s leave nothing behind', { timeout: 90_000 }, async () => {
    const session = await populated();
    cluster!.addFault({ verb: 'delete', errorRate: 1, status: 503, message: 'etcd unavailable', forFirstMs: 20_000 });
    const lines: string[] = [];
    const started = Date.now();
    const result = await cleanupRun(session, { timeoutMs: 60_000, onProgress: (line) => lines.push(line), progressMs: 5_000 });
    // The deletes really were refused for 20 s: cleanup could not have finished sooner.
    expect(Date.now() - started).toBeGreaterThanOrEqual(20_000);
    expect(cluster!.stats().faults).toBeGreaterThan(2);
    expect(result).toMatchObject({ leaked: 0, objects: [], errors: [] });
    expect(result.command).toBeUndefined();
    expect(labelledInStore(cluster!, RUN)).toEqual([]);
    // Never silent while it waits: what, how long so far, the deadline.
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toMatch(/^still deleting: \d+ objects? of this run left after \d+s \(cleanup deadline 60s\)$/);
  });

  it("lists what is left by kind/namespace/name, the namespace's ResourceClaims included, and a command naming only served kinds", async () => {
    const session = await populated();
    cluster!.addFault({ verb: 'delete', errorRate: 1, status: 503 });
    const result = await cleanupRun(session, { timeoutMs: 1_500 });
    expect(result.objects).toEqual(
      expect.arrayContaining([
        { apiVersion: 'v1', kind: 'Namespace', name: 'aic-cleanup' },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'aic-cleanup-role' },
        { apiVersion: 'resource.k8s.io/v1', kind: 'ResourceClaim', namespace: 'aic-cleanup', name: 'claim' },
      ]),
    );
    expect(result.leftovers).toEqual(
      expect.arrayContaining(['Namespace aic-cleanup', 'ClusterRole aic-cleanup-role', 'ResourceClaim aic-cleanup/claim']),
    );
    expect(result.leaked).toBeGreaterThanOrEqual(3);
    expect(result.errors.join('\n')).toMatch(/Namespace aic-cleanup: .*503/);
    const resources = /^kubectl delete (\S+) --all-namespaces -l ai-conformance\.cncf\.io\/run=rtest-cleanup1 --ignore-not-found$/
      .exec(result.command ?? '')?.[1]
      ?.split(',');
    expect(resources?.sort()).toEqual(['clusterroles.rbac.authorization.k8s.io', 'namespaces', 'pods', 'resourceclaims.resource.k8s.io']);
  });
});
