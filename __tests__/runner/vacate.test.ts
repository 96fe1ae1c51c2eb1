// A probe that shares the accelerators gives them back (its namespace is gone) before a probe
// that needs them all starts, even when it was stopped mid-way with pods still running.
import { afterEach, describe, expect, it } from 'vitest';
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { KubeSession } from '../../src/kube/client.js';
import { planRequirements, runSuite } from '../../src/runner/index.js';
import { sessionCluster } from '../../src/runner/cluster.js';
import { createImageCatalog } from '../../src/runner/images.js';
import { exampleProfile } from '../../src/probes/profiles.js';
import type { Probe } from '../../src/probes/types.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('guarded resources', () => {
  it('a sharer that timed out with a pod running has no namespace left when the exclusive holder starts', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'vacate', kubernetesVersion: '1.35', nodes: [{ name: 'w1' }] }, tls: false });
    const session = new KubeSession(cluster.kubeConfig(), 'r20261201t0000-abcdef');
    let sharerNamespace = '';
    let seenByHolder: V1Namespace | undefined | 'not-checked' = 'not-checked';
    const sharer: Probe = {
      id: 'dra_support',
      shares: ['accelerators'],
      timeoutMs: 500,
      async run(ctx) {
        sharerNamespace = ctx.namespace;
        await ctx.kube.create<V1Pod>({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'holder' },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        });
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      },
    };
    const holder: Probe = {
      id: 'cluster_autoscaling',
      exclusive: ['accelerators'],
      timeoutMs: 5_000,
      async run(ctx) {
        seenByHolder = await ctx.kube.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: sharerNamespace });
        await ctx.check('ran', async () => 'ran');
      },
    };
    const probes = [sharer, holder];
    const results = await runSuite({
      cluster: sessionCluster(session, 10_000),
      clusterInfo: { mode: 'fake', simulated: true },
      kubernetesVersion: '1.35',
      plan: planRequirements({ version: '1.35', builtin: probes, only: probes.map((p) => p.id) }),
      profile: exampleProfile({ detected: false, detail: 'test' }),
      probeOptions: { kubernetesVersion: '1.35', allowNodeScaling: false, extra: {} },
      images: createImageCatalog(probes),
      progress: () => undefined,
    });
    expect(results.requirements.find((r) => r.id === 'dra_support')?.verdict).toBe('error');
    expect(sharerNamespace).not.toBe('');
    expect(seenByHolder).toBeUndefined();
    expect(results.leaked).toBe(0);
  });
});
