// The namespace controller (plus the service-account controller's `default` account): a
// terminating namespace has its contents deleted, then its `kubernetes` finalizer removed.
import type { KObj } from '../types.js';
import { resourceKey } from '../resources.js';
import type { ControllerFactory } from './types.js';
import { rec } from './util.js';

export const namespaceController: ControllerFactory = (ctx) => {
  const { store, registry } = ctx;
  const namespacedKeys = (): string[] => {
    const keys = new Set<string>();
    for (const gv of registry.all())
      for (const r of gv.resources) if (r.namespaced && r.verbs.includes('delete')) keys.add(resourceKey(r.group, r.resource));
    return [...keys];
  };

  const sweep = (ns: KObj): void => {
    const name = ns.metadata.name ?? '';
    let remaining = 0;
    for (const key of namespacedKeys()) {
      for (const obj of store.list(key, { namespace: name })) {
        remaining++;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          store.delete(key, name, obj.metadata.name ?? '', {});
        } catch {
          // Already gone.
        }
      }
    }
    if (remaining > 0) {
      // Deleted objects without finalizers are gone already; count again.
      remaining = namespacedKeys().reduce((n, key) => n + store.list(key, { namespace: name }).length, 0);
    }
    if (remaining === 0) {
      const finalizers = (rec(ns.spec).finalizers as string[] | undefined) ?? [];
      store.finalizeNamespace(
        name,
        finalizers.filter((f) => f !== 'kubernetes'),
      );
    }
  };

  return {
    start() {
      ctx.watch('namespaces', (ev) => {
        if (ev.type === 'DELETED') return;
        const ns = ev.object;
        if (ns.metadata.deletionTimestamp) {
          sweep(ns);
          return;
        }
        if (ev.type === 'ADDED' && registry.byKey('serviceaccounts') && !store.get('serviceaccounts', ns.metadata.name, 'default')) {
          try {
            store.create('serviceaccounts', {
              apiVersion: 'v1',
              kind: 'ServiceAccount',
              metadata: { name: 'default', namespace: ns.metadata.name },
            });
          } catch {
            // Raced with a delete.
          }
        }
      });
      // Objects leaving a terminating namespace may let it finish.
      ctx.watch(
        namespacedKeys(),
        (ev) => {
          if (ev.type !== 'DELETED') return;
          const ns = store.get('namespaces', undefined, ev.object.metadata.namespace ?? '');
          if (ns?.metadata.deletionTimestamp) sweep(ns);
        },
        { replay: false },
      );
    },
  };
};
