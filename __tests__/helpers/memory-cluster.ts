// An in-memory RunnerCluster for runner unit tests: records what probes create and what cleanup
// deletes, with no API server. Waits here are driven by the abort signal only.

import { KubeConfig, type KubernetesObject, type V1ObjectMeta } from '@kubernetes/client-node';
import type { CleanupResult } from '../../src/kube/cleanup.js';
import type { ProbeViewOptions } from '../../src/kube/client.js';
import { PROBE_LABEL, RUN_LABEL, type Kube } from '../../src/kube/types.js';
import type { RunnerCluster } from '../../src/runner/index.js';

export class MemoryCluster implements RunnerCluster {
  readonly objects: KubernetesObject[] = [];
  readonly views: ProbeViewOptions[] = [];
  cleanedUp = 0;
  /** Objects cleanup pretends it could not delete. */
  stuck = 0;

  constructor(readonly runId = 'rtest-000001') {}

  forProbe(view: ProbeViewOptions): Kube {
    this.views.push(view);
    const unsupported = (what: string) => () => Promise.reject(new Error(`memory cluster: ${what} not supported`));
    return {
      config: new KubeConfig(),
      runId: this.runId,
      isServed: () => Promise.resolve(false),
      resources: () => Promise.resolve(undefined),
      groupVersions: () => Promise.resolve([]),
      get: () => Promise.resolve(undefined),
      list: () => Promise.resolve([]),
      listPage: () => Promise.resolve({ items: [], more: false }),
      create: async <T extends KubernetesObject>(object: T): Promise<T> => {
        if (view.signal?.aborted) throw view.signal.reason;
        const metadata: V1ObjectMeta = object.metadata ?? {};
        const labelled = {
          ...object,
          metadata: { ...metadata, labels: { ...metadata.labels, [RUN_LABEL]: this.runId, [PROBE_LABEL]: view.probeId } },
        };
        this.objects.push(labelled);
        return labelled;
      },
      patch: unsupported('patch'),
      delete: () => Promise.resolve(),
      waitFor: () =>
        new Promise((_, reject) => {
          const signal = view.signal;
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      waitForDeletion: unsupported('waitForDeletion'),
      podLogs: unsupported('podLogs'),
      serviceProxyGet: unsupported('serviceProxyGet'),
      podProxyGet: unsupported('podProxyGet'),
      customMetric: unsupported('customMetric'),
      externalMetric: unsupported('externalMetric'),
    };
  }

  async cleanup(): Promise<CleanupResult> {
    this.cleanedUp += 1;
    const deleted = this.objects.length;
    this.objects.splice(0, this.objects.length - this.stuck);
    const objects = this.objects.map((o) => ({ apiVersion: o.apiVersion ?? 'v1', kind: o.kind ?? '', name: o.metadata?.name ?? '' }));
    return {
      deleted,
      leaked: this.objects.length,
      objects,
      leftovers: this.objects.map((o) => `${o.kind} ${o.metadata?.name}`),
      errors: [],
    };
  }
}
