// apiextensions-apiserver: a CustomResourceDefinition makes its group/versions served (and so
// discoverable) and gets NamesAccepted + Established; deleting it stops serving them.
import type { ResourceInfo, ResourceRegistry } from '../resources.js';
import type { Store } from '../store.js';
import type { KObj } from '../types.js';
import { textOf } from '../types.js';
import type { ControllerFactory } from './types.js';
import { arr, rec, setCondition } from './util.js';

/** Registers the served versions of a CRD in the registry (called on create and at seeding). */
export function registerCrd(registry: ResourceRegistry, crd: KObj): void {
  const spec = rec(crd.spec);
  const group = textOf(spec.group);
  const names = rec(spec.names);
  const versions = arr(spec.versions).filter((v) => v.served !== false);
  // Storage version first, as the apiserver orders a group's versions by priority.
  versions.sort((a, b) => Number(b.storage === true) - Number(a.storage === true));
  for (const v of versions) {
    const subs = rec(v.subresources);
    const info: ResourceInfo = {
      group,
      version: String(v.name),
      resource: textOf(names.plural),
      singular: textOf(names.singular, textOf(names.kind).toLowerCase()),
      kind: textOf(names.kind),
      namespaced: spec.scope !== 'Cluster',
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : undefined,
      categories: Array.isArray(names.categories) ? names.categories.map(String) : undefined,
      subresources: [
        ...(subs.status !== undefined ? [{ name: 'status', kind: textOf(names.kind), verbs: ['get', 'patch', 'update'] }] : []),
        ...(subs.scale !== undefined
          ? [{ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] }]
          : []),
      ],
      custom: true,
    };
    const existing = registry.groupVersion(group, info.version);
    const others = existing ? existing.resources.filter((r) => r.resource !== info.resource) : [];
    registry.add({ group, version: info.version, resources: [...others, info], source: 'crd' });
  }
}

function unregisterCrd(registry: ResourceRegistry, crd: KObj): void {
  const spec = rec(crd.spec);
  const group = textOf(spec.group);
  const plural = textOf(rec(spec.names).plural);
  for (const gv of [...registry.all()]) {
    if (gv.group !== group || gv.source !== 'crd') continue;
    const rest = gv.resources.filter((r) => r.resource !== plural);
    if (rest.length === 0) registry.remove(group, gv.version);
    else registry.add({ ...gv, resources: rest });
  }
}

/** The status the apiserver writes once names are accepted and the CRD is established. */
export function establishedStatus(crd: KObj): Record<string, unknown> {
  const spec = rec(crd.spec);
  const status: Record<string, unknown> = { ...rec(crd.status) };
  const names = rec(spec.names);
  status.acceptedNames = {
    ...names,
    singular: names.singular ?? textOf(names.kind).toLowerCase(),
    listKind: names.listKind ?? `${textOf(names.kind)}List`,
  };
  status.storedVersions = arr(spec.versions)
    .filter((v) => v.storage === true)
    .map((v) => String(v.name));
  setCondition(status, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
  setCondition(status, {
    type: 'Established',
    status: 'True',
    reason: 'InitialNamesAccepted',
    message: 'the initial names have been accepted',
  });
  return status;
}

function establish(store: Store, crd: KObj): void {
  store.mutate(
    'customresourcedefinitions.apiextensions.k8s.io',
    undefined,
    crd.metadata.name ?? '',
    (c) => {
      const status = establishedStatus(c);
      if (JSON.stringify(status) === JSON.stringify(c.status)) return undefined;
      c.status = status;
      return c;
    },
    'status',
  );
}

export const crdController: ControllerFactory = (ctx) => {
  const key = 'customresourcedefinitions.apiextensions.k8s.io';
  let unsubscribe: (() => void) | undefined;
  return {
    start() {
      // Synchronous, so the resource is served as soon as the create returns.
      unsubscribe = ctx.store.subscribe((ev) => {
        if (ev.resource !== key) return;
        if (ev.type === 'DELETED') {
          // The custom resources go with their definition.
          const spec = rec(ev.object.spec);
          const key = `${textOf(rec(spec.names).plural)}.${textOf(spec.group)}`;
          if (ctx.registry.byKey(key)) {
            for (const obj of ctx.store.list(key)) {
              try {
                ctx.store.delete(key, obj.metadata.namespace, obj.metadata.name ?? '');
              } catch {
                // Already gone.
              }
            }
          }
          unregisterCrd(ctx.registry, ev.object);
          return;
        }
        if (ev.object.metadata.deletionTimestamp) return;
        registerCrd(ctx.registry, ev.object);
        establish(ctx.store, ev.object);
      });
      for (const crd of ctx.store.list(key)) {
        registerCrd(ctx.registry, crd);
        establish(ctx.store, crd);
      }
    },
    stop() {
      unsubscribe?.();
    },
  };
};
