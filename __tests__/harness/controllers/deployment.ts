// Deployment -> ReplicaSet (named by pod-template-hash) -> pods, with replica counts and the
// Available/Progressing conditions. A template change creates a new ReplicaSet and scales the
// old ones to zero at once (no surge modelling).
import { createHash } from 'node:crypto';
import type { KObj } from '../types.js';
import { matchesLabelSelectorObject } from '../selectors.js';
import type { ControllerFactory } from './types.js';
import { isOwnedBy, ownerRef, podReady, podTerminal, rec, recordEvent, setCondition } from './util.js';

const DEPLOYMENTS = 'deployments.apps';
const REPLICASETS = 'replicasets.apps';

function templateHash(template: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(template))
    .digest('hex')
    .slice(0, 10)
    .replace(/[aeiou]/g, 'x');
}

export const deploymentController: ControllerFactory = (ctx) => {
  const { store } = ctx;
  const pending = new Set<string>();

  const syncReplicaSet = (rs: KObj): void => {
    if (rs.metadata.deletionTimestamp) return;
    const spec = rec(rs.spec);
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const pods = store
      .list('pods', { namespace: rs.metadata.namespace })
      .filter((p) => isOwnedBy(p, rs) && !podTerminal(p) && !p.metadata.deletionTimestamp);
    if (pods.length < replicas) {
      const template = structuredClone(rec(spec.template));
      for (let i = pods.length; i < replicas; i++) {
        try {
          const pod = store.create('pods', {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              ...rec(template.metadata),
              generateName: `${rs.metadata.name ?? ''}-`,
              namespace: rs.metadata.namespace,
              ownerReferences: [ownerRef(rs)],
            },
            spec: rec(template.spec),
          });
          pods.push(pod);
          recordEvent(store, rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`, 'replicaset-controller');
        } catch (e) {
          ctx.log(`cannot create pod for replicaset ${rs.metadata.name ?? ''}: ${(e as Error).message}`);
          break;
        }
      }
    } else if (pods.length > replicas) {
      // Scale down the not-ready and newest pods first.
      const victims = [...pods]
        .sort(
          (a, b) =>
            Number(podReady(a)) - Number(podReady(b)) ||
            String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
        )
        .slice(0, pods.length - replicas);
      for (const v of victims) store.delete('pods', v.metadata.namespace, v.metadata.name ?? '', {});
      pods.splice(0, pods.length, ...pods.filter((p) => !victims.includes(p)));
    }
    const ready = pods.filter(podReady).length;
    store.mutate(
      REPLICASETS,
      rs.metadata.namespace,
      rs.metadata.name ?? '',
      (r) => {
        const status = {
          replicas: pods.length,
          fullyLabeledReplicas: pods.length,
          readyReplicas: ready,
          availableReplicas: ready,
          observedGeneration: r.metadata.generation,
        };
        if (JSON.stringify(status) === JSON.stringify(r.status)) return undefined;
        r.status = status;
        return r;
      },
      'status',
    );
  };

  const syncDeployment = (d: KObj): void => {
    if (d.metadata.deletionTimestamp) return;
    const spec = rec(d.spec);
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const template = rec(spec.template);
    const hash = templateHash(template);
    const owned = store.list(REPLICASETS, { namespace: d.metadata.namespace }).filter((rs) => isOwnedBy(rs, d));
    let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    if (!current) {
      const tmeta = rec(template.metadata);
      const labels = { ...(rec(tmeta.labels) as Record<string, string>), 'pod-template-hash': hash };
      const selector = rec(spec.selector);
      current = store.create(REPLICASETS, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name ?? ''}-${hash}`,
          namespace: d.metadata.namespace,
          labels,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/revision': String(owned.length + 1),
          },
          ownerReferences: [ownerRef(d)],
        },
        spec: {
          replicas,
          selector: { ...selector, matchLabels: { ...(rec(selector.matchLabels) as Record<string, string>), 'pod-template-hash': hash } },
          template: { ...template, metadata: { ...tmeta, labels } },
        },
      });
      recordEvent(
        store,
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${current.metadata.name ?? ''} from 0 to ${replicas}`,
        'deployment-controller',
      );
    } else if (rec(current.spec).replicas !== replicas) {
      current =
        store.mutate(REPLICASETS, current.metadata.namespace, current.metadata.name ?? '', (rs) => {
          rs.spec = { ...rec(rs.spec), replicas };
          return rs;
        }) ?? current;
    }
    for (const old of owned) {
      if (old.metadata.uid === current.metadata.uid || rec(old.spec).replicas === 0) continue;
      store.mutate(REPLICASETS, old.metadata.namespace, old.metadata.name ?? '', (rs) => {
        rs.spec = { ...rec(rs.spec), replicas: 0 };
        return rs;
      });
    }
    const pods = store
      .list('pods', { namespace: d.metadata.namespace })
      .filter((p) => !podTerminal(p) && !p.metadata.deletionTimestamp && matchesLabelSelectorObject(spec.selector, p.metadata.labels));
    const updated = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
    const ready = pods.filter(podReady).length;
    store.mutate(
      DEPLOYMENTS,
      d.metadata.namespace,
      d.metadata.name ?? '',
      (dep) => {
        const status = rec(dep.status);
        const before = JSON.stringify(status);
        status.observedGeneration = dep.metadata.generation;
        status.replicas = pods.length;
        status.updatedReplicas = updated.length;
        status.readyReplicas = ready;
        status.availableReplicas = ready;
        status.unavailableReplicas = Math.max(0, replicas - ready) || undefined;
        if (status.unavailableReplicas === undefined) delete status.unavailableReplicas;
        if (ready === 0) delete status.readyReplicas;
        if (ready === 0) delete status.availableReplicas;
        const available = ready >= replicas;
        setCondition(status, {
          type: 'Available',
          status: available ? 'True' : 'False',
          reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        });
        const complete = updated.length === replicas && available;
        setCondition(status, {
          type: 'Progressing',
          status: 'True',
          reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          message: complete
            ? `ReplicaSet "${current.metadata.name ?? ''}" has successfully progressed.`
            : `ReplicaSet "${current.metadata.name ?? ''}" is progressing.`,
        });
        if (JSON.stringify(status) === before) return undefined;
        dep.status = status;
        return dep;
      },
      'status',
    );
  };

  const enqueue = (key: string, namespace: string | undefined, name: string): void => {
    const id = `${key}|${namespace ?? ''}/${name}`;
    if (pending.has(id)) return;
    pending.add(id);
    setImmediate(() => {
      pending.delete(id);
      const obj = store.get(key, namespace, name);
      if (!obj) return;
      if (key === DEPLOYMENTS) syncDeployment(obj);
      else syncReplicaSet(obj);
    });
  };

  return {
    start() {
      if (!store.registry.byKey(DEPLOYMENTS)) return;
      ctx.watch(DEPLOYMENTS, (ev) => {
        if (ev.type !== 'DELETED') enqueue(DEPLOYMENTS, ev.object.metadata.namespace, ev.object.metadata.name ?? '');
      });
      ctx.watch(REPLICASETS, (ev) => {
        const { namespace, name } = ev.object.metadata;
        if (ev.type !== 'DELETED') enqueue(REPLICASETS, namespace, name ?? '');
        const owner = (ev.object.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'Deployment');
        if (owner) enqueue(DEPLOYMENTS, namespace, owner.name);
      });
      ctx.watch(
        'pods',
        (ev) => {
          const owner = (ev.object.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'ReplicaSet');
          if (!owner) return;
          enqueue(REPLICASETS, ev.object.metadata.namespace, owner.name);
          const rs = store.get(REPLICASETS, ev.object.metadata.namespace, owner.name);
          const dep = rs && (rs.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'Deployment');
          if (dep) enqueue(DEPLOYMENTS, ev.object.metadata.namespace, dep.name);
        },
        { replay: false },
      );
    },
  };
};
