// A client-node informer survives dropped watches and a 410 Gone after compaction.
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startFakeCluster } from '../harness/index.js';

describe('watch faults seen by an informer', () => {
  it('re-watches after a dropped watch and relists after 410 Gone', async () => {
    const cluster = await startFakeCluster({
      scenario: { name: 'drops', kubernetesVersion: '1.35', faults: [{ verb: 'watch', resource: 'configmaps', dropWatchAfterMs: 100 }] },
    });
    try {
      const kc = cluster.kubeConfig();
      const core = kc.makeApiClient(CoreV1Api);
      const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () =>
        core.listNamespacedConfigMap({ namespace: 'default' }),
      );
      let connects = 0;
      const nextConnect: (() => void)[] = [];
      informer.on('connect', () => {
        connects++;
        nextConnect.splice(0).forEach((f) => f());
      });
      const reconnected = (): Promise<void> => new Promise((r) => nextConnect.push(r));
      const added = (name: string): Promise<void> => new Promise((r) => informer.on('add', (cm) => cm.metadata?.name === name && r()));
      await informer.start();

      await reconnected(); // the first watch was dropped and re-established
      const first = added('after-drop');
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-drop' } } });
      await first;

      const relisted = cluster.stats().byVerb.list ?? 0;
      const during = added('during-compaction');
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'during-compaction' } } });
      await during;
      // A write the informer does not watch, then compaction: its resourceVersion is now too old.
      await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'unwatched' } } });
      cluster.store.compact();
      await reconnected(); // answered 410 Gone, then relisted
      await reconnected();
      const last = added('after-compaction');
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-compaction' } } });
      await last;
      expect(cluster.stats().byVerb.list ?? 0).toBeGreaterThan(relisted);
      expect(
        informer
          .list()
          .map((c) => c.metadata?.name)
          .sort(),
      ).toEqual(expect.arrayContaining(['after-compaction', 'after-drop', 'during-compaction']));
      expect(connects).toBeGreaterThanOrEqual(3);
      await informer.stop();
    } finally {
      await cluster.stop();
    }
  });
});
