// @kubernetes/client-node against the fake cluster over TLS: list, watch and an informer.
import { CoreV1Api, CustomObjectsApi, Watch, makeInformer } from '@kubernetes/client-node';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCluster } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';

describe('client-node against the fake cluster', () => {
  let cluster: FakeCluster;
  beforeAll(async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35' });
  });
  afterAll(async () => cluster.stop());

  it('lists nodes and DRA objects through the typed and custom-object APIs', async () => {
    const kc = cluster.kubeConfig();
    expect(cluster.url).toMatch(/^https:/);
    const core = kc.makeApiClient(CoreV1Api);
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toContain('ai-conformance-worker');
    const custom = kc.makeApiClient(CustomObjectsApi);
    const slices = (await custom.listClusterCustomObject({ group: 'resource.k8s.io', version: 'v1', plural: 'resourceslices' })) as {
      items: { spec: { devices: unknown[] } }[];
    };
    expect(slices.items).toHaveLength(2);
    expect(slices.items[0]?.spec.devices).toHaveLength(8);
  });

  it('reports API errors as ApiException with the Status body', async () => {
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    await expect(core.readNamespacedConfigMap({ name: 'missing', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('watches pods and sees one scheduled, Running and then Succeeded', async () => {
    const kc = cluster.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const phases: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      void new Watch(kc)
        .watch(
          '/api/v1/namespaces/default/pods',
          { fieldSelector: 'metadata.name=watched' },
          (type: string, pod: V1Pod) => {
            const phase = `${type}:${pod.status?.phase ?? ''}:${pod.spec?.nodeName ? 'bound' : 'unbound'}`;
            if (phases[phases.length - 1] !== phase) phases.push(phase);
            if (pod.status?.phase === 'Succeeded') resolve();
          },
          (err: unknown) => (err ? reject(err as Error) : undefined),
        )
        .then(() =>
          core.createNamespacedPod({
            namespace: 'default',
            body: {
              metadata: { name: 'watched' },
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo hello'] }] },
            },
          }),
        );
    });
    await done;
    expect(phases[0]).toBe('ADDED:Pending:unbound');
    expect(phases).toContain('MODIFIED:Running:bound');
    expect(phases[phases.length - 1]).toBe('MODIFIED:Succeeded:bound');
    expect(await core.readNamespacedPodLog({ name: 'watched', namespace: 'default' })).toBe('hello\n');
  });

  it('keeps an informer in sync (list, then watch events)', async () => {
    const kc = cluster.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' } } });
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    const added = new Promise<void>((resolve) => informer.on('add', (cm) => cm.metadata?.name === 'after' && resolve()));
    const deleted = new Promise<void>((resolve) => informer.on('delete', (cm) => cm.metadata?.name === 'before' && resolve()));
    await informer.start();
    expect(informer.list().map((c) => c.metadata?.name)).toContain('before');
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after' } } });
    await core.deleteNamespacedConfigMap({ name: 'before', namespace: 'default' });
    await Promise.all([added, deleted]);
    expect(
      informer
        .list()
        .map((c) => c.metadata?.name)
        .sort(),
    ).toContain('after');
    await informer.stop();
  });
});
