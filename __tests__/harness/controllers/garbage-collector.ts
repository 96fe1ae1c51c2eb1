// The garbage collector: dependents of a deleted owner are deleted (background propagation),
// orphaned (Orphan), or deleted first (Foreground, via the foregroundDeletion finalizer).
import type { KObj } from '../types.js';
import type { ControllerFactory } from './types.js';

export const garbageCollector: ControllerFactory = (ctx) => {
  const { store } = ctx;
  const removeFinalizer = (key: string, obj: KObj, finalizer: string): void => {
    store.mutate(key, obj.metadata.namespace, obj.metadata.name ?? '', (o) => {
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      return o;
    });
  };

  const onOwnerGone = (owner: KObj): void => {
    const uid = owner.metadata.uid ?? '';
    for (const [key, dep] of store.dependents(uid)) {
      const others = (dep.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid);
      try {
        if (others.length > 0) {
          store.mutate(key, dep.metadata.namespace, dep.metadata.name ?? '', (o) => {
            o.metadata.ownerReferences = others;
            return o;
          });
        } else if (!dep.metadata.deletionTimestamp) {
          store.delete(key, dep.metadata.namespace, dep.metadata.name ?? '', { propagationPolicy: 'Background' });
        }
      } catch {
        // Gone meanwhile.
      }
    }
  };

  const onTerminating = (key: string, obj: KObj): void => {
    const uid = obj.metadata.uid ?? '';
    const finalizers = obj.metadata.finalizers ?? [];
    if (finalizers.includes('orphan')) {
      for (const [depKey, dep] of store.dependents(uid)) {
        store.mutate(depKey, dep.metadata.namespace, dep.metadata.name ?? '', (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
          return o;
        });
      }
      removeFinalizer(key, obj, 'orphan');
    } else if (finalizers.includes('foregroundDeletion')) {
      const deps = store.dependents(uid);
      for (const [depKey, dep] of deps) {
        if (!dep.metadata.deletionTimestamp)
          store.delete(depKey, dep.metadata.namespace, dep.metadata.name ?? '', { propagationPolicy: 'Foreground' });
      }
      if (store.dependents(uid).length === 0) removeFinalizer(key, obj, 'foregroundDeletion');
    }
  };

  let unsubscribe: (() => void) | undefined;
  return {
    start() {
      const pendingForeground = new Map<string, string>();
      unsubscribe = store.subscribe((ev) => {
        // Run after the triggering write has been delivered to everyone.
        queueMicrotask(() => {
          if (ev.type === 'DELETED') {
            onOwnerGone(ev.object);
            // A dependent going away may complete its owner's foreground deletion.
            for (const ref of ev.object.metadata.ownerReferences ?? []) {
              const ownerKey = pendingForeground.get(ref.uid);
              if (!ownerKey) continue;
              const owner = store.list(ownerKey).find((o) => o.metadata.uid === ref.uid);
              if (owner && store.dependents(ref.uid).length === 0) {
                removeFinalizer(ownerKey, owner, 'foregroundDeletion');
                pendingForeground.delete(ref.uid);
              }
            }
            return;
          }
          if (ev.object.metadata.deletionTimestamp) {
            if ((ev.object.metadata.finalizers ?? []).includes('foregroundDeletion'))
              pendingForeground.set(ev.object.metadata.uid ?? '', ev.resource);
            onTerminating(ev.resource, ev.object);
          }
        });
      });
    },
    stop() {
      unsubscribe?.();
    },
  };
};
