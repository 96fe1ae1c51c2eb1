// The object store: what etcd plus the generic registry do. One global resourceVersion counter,
// an event history for watches (older versions answer 410 Gone), finalizers, graceful pod
// deletion, namespace lifecycle checks and an owner index for garbage collection.
import { randomUUID } from 'node:crypto';
import { applyDefaults } from './defaults.js';
import { admitRuntimeClass } from './runtimeclass.js';
import { ApiError, alreadyExists, conflict, invalid, notFound } from './errors.js';
import type { ResourceInfo, ResourceRegistry } from './resources.js';
import { groupVersionString, resourceKey } from './resources.js';
import type { FieldRequirement, LabelSelector } from './selectors.js';
import { matchesFields, matchesLabels } from './selectors.js';
import type { KObj, StoreEvent, WatchEventType } from './types.js';
import { clone, isRecord } from './types.js';

export interface WriteOptions {
  dryRun?: boolean;
  /** Write only `status` (the status subresource) or everything but status (the main resource). */
  subresource?: 'status' | 'main' | 'any';
}

export interface DeleteOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListQuery {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldRequirement[];
}

export interface ListPage {
  items: KObj[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export type Subscriber = (event: StoreEvent) => void;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

interface Bucket {
  objects: Map<string, KObj>;
  sorted?: string[];
}

export class Store {
  private rv = 1;
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: StoreEvent[] = [];
  /** Oldest resourceVersion still answerable from history. */
  private compactedRv = 1;
  private readonly subscribers = new Set<Subscriber>();
  private readonly queue: StoreEvent[] = [];
  private draining = false;
  /** owner uid -> `resourceKey|ns/name` of dependents. */
  private readonly owners = new Map<string, Set<string>>();

  constructor(
    readonly registry: ResourceRegistry,
    private readonly historySize = 20_000,
  ) {}

  /** The current (latest) resourceVersion. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  private info(key: string): ResourceInfo {
    const info = this.registry.byKey(key);
    if (!info) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${key})`);
    return info;
  }

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { objects: new Map() };
      this.buckets.set(key, b);
    }
    return b;
  }

  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Events after `rv`, or 'gone' when history no longer reaches back that far. */
  eventsSince(rv: number): StoreEvent[] | 'gone' {
    if (rv < this.compactedRv) return 'gone';
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.history[mid]?.resourceVersion ?? 0) <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /** Forgets the event history, as etcd compaction does: older watches and continue tokens get 410. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  get oldestResourceVersion(): number {
    return this.compactedRv;
  }

  private emit(type: WatchEventType, resource: string, object: KObj, old?: KObj): void {
    const event: StoreEvent = { type, resource, object, old, resourceVersion: this.rv };
    this.history.push(event);
    if (this.history.length > this.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.compactedRv = dropped[dropped.length - 1]?.resourceVersion ?? this.compactedRv;
    }
    this.queue.push(event);
    if (this.draining) return;
    // Deliver in commit order even when a subscriber writes while being notified.
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue.shift();
        if (!next) break;
        for (const fn of [...this.subscribers]) {
          try {
            fn(next);
          } catch {
            // A subscriber's failure must not break the write that triggered it.
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private indexOwners(key: string, obj: KObj, add: boolean): void {
    const ref = `${key}|${objectKey(obj.metadata.namespace, obj.metadata.name ?? '')}`;
    for (const o of obj.metadata.ownerReferences ?? []) {
      let set = this.owners.get(o.uid);
      if (add) {
        if (!set) this.owners.set(o.uid, (set = new Set()));
        set.add(ref);
      } else set?.delete(ref);
    }
  }

  /** Dependents of an owner uid as [resourceKey, object]. */
  dependents(ownerUid: string): [string, KObj][] {
    const out: [string, KObj][] = [];
    for (const ref of this.owners.get(ownerUid) ?? []) {
      const [key, path] = ref.split('|') as [string, string];
      const obj = this.bucket(key).objects.get(path);
      if (obj) out.push([key, obj]);
    }
    return out;
  }

  private checkNamespace(info: ResourceInfo, namespace: string | undefined, creating: boolean): void {
    if (!info.namespaced) return;
    if (!namespace) throw new ApiError(400, 'BadRequest', 'the server could not find the requested resource: a namespace is required');
    if (!creating) return;
    const ns = this.bucket('namespaces').objects.get(namespace);
    if (!ns) throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `${info.resource} "" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
        },
      );
    }
  }

  private qualified(info: ResourceInfo): string {
    return resourceKey(info.group, info.resource);
  }

  /** Loads an object at start without recording history (scenario seeding). */
  seed(key: string, input: KObj, owned = false): KObj {
    const info = this.info(key);
    // `owned`: the caller built the object for the store alone (generated objects), no copy needed.
    const given = input.metadata.generation;
    const obj = this.prepareNew(info, owned ? input : clone(input));
    // A seeded object may have a history: a scenario can say its spec changed since creation.
    if (typeof given === 'number' && given > 1) obj.metadata.generation = given;
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this.bucket(key).objects.set(objectKey(obj.metadata.namespace, obj.metadata.name ?? ''), obj);
    this.bucket(key).sorted = undefined;
    this.indexOwners(key, obj, true);
    return obj;
  }

  /** Ends seeding: watches may start from the current version. */
  sealSeed(): void {
    this.compactedRv = this.rv;
  }

  private prepareNew(info: ResourceInfo, obj: KObj): KObj {
    obj.apiVersion = groupVersionString(info.group, info.version);
    obj.kind = info.kind;
    if (!isRecord(obj.metadata)) obj.metadata = {}; // a caller may leave it out
    const meta = obj.metadata;
    if (!info.namespaced) delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    const name = meta.name ?? '';
    if (!name) {
      throw new ApiError(422, 'Invalid', `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, {
        kind: info.kind,
        group: info.group,
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }],
      });
    }
    if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
      throw invalid(info.kind, name, info.group, [
        {
          field: 'metadata.name',
          message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
        },
      ]);
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp() as unknown as Date;
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.resourceVersion;
    applyDefaults(info.kind, obj);
    return obj;
  }

  create(key: string, input: KObj, opts: WriteOptions = {}): KObj {
    const info = this.info(key);
    const obj = clone(input);
    const namespace = info.namespaced ? obj.metadata.namespace : undefined;
    this.checkNamespace(info, namespace, true);
    this.prepareNew(info, obj);
    if (info.kind === 'Pod' && info.group === '') admitRuntimeClass(this, obj);
    const path = objectKey(namespace, obj.metadata.name ?? '');
    const b = this.bucket(key);
    if (b.objects.has(path)) throw alreadyExists(this.qualified(info), obj.metadata.name ?? '', info.group);
    if (opts.dryRun) return clone(obj);
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    b.objects.set(path, obj);
    b.sorted = undefined;
    this.indexOwners(key, obj, true);
    this.emit('ADDED', key, obj);
    return clone(obj);
  }

  get(key: string, namespace: string | undefined, name: string): KObj | undefined {
    const info = this.info(key);
    const obj = this.bucket(key).objects.get(objectKey(info.namespaced ? namespace : undefined, name));
    return obj ? clone(obj) : undefined;
  }

  mustGet(key: string, namespace: string | undefined, name: string): KObj {
    const obj = this.get(key, namespace, name);
    if (!obj) {
      const info = this.info(key);
      throw notFound(this.qualified(info), name, info.group, info.kind);
    }
    return obj;
  }

  /** The live (uncloned) object, for controllers that only read; never mutate it. */
  peekOne(key: string, namespace: string | undefined, name: string): KObj | undefined {
    const info = this.info(key);
    return this.bucket(key).objects.get(objectKey(info.namespaced ? namespace : undefined, name));
  }

  /** Live (uncloned) objects, for controllers that only read; never mutate them. */
  peek(key: string): IterableIterator<KObj> {
    return this.bucket(key).objects.values();
  }

  count(key: string): number {
    return this.bucket(key).objects.size;
  }

  list(key: string, query: ListQuery = {}): KObj[] {
    return this.listPage(key, query).items;
  }

  /** One page of a list, in namespace/name order; `after` is the last key of the previous page. */
  listPage(key: string, query: ListQuery, limit = 0, after?: string): ListPage & { lastKey?: string } {
    this.info(key);
    const b = this.bucket(key);
    if (!b.sorted) b.sorted = [...b.objects.keys()].sort();
    const keys = b.sorted;
    let start = 0;
    if (after !== undefined) {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((keys[mid] ?? '') <= after) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const prefix = query.namespace ? `${query.namespace}/` : undefined;
    const items: KObj[] = [];
    let lastKey: string | undefined;
    let i = start;
    for (; i < keys.length; i++) {
      const k = keys[i] ?? '';
      if (prefix && !k.startsWith(prefix)) continue;
      const obj = b.objects.get(k);
      if (!obj) continue;
      if (query.labelSelector && !matchesLabels(query.labelSelector, obj.metadata.labels)) continue;
      if (query.fieldSelector && !matchesFields(query.fieldSelector, obj)) continue;
      if (limit > 0 && items.length >= limit) break;
      items.push(clone(obj));
      lastKey = k;
    }
    const more = limit > 0 && i < keys.length;
    return {
      items,
      resourceVersion: String(this.rv),
      lastKey: more ? lastKey : undefined,
      // The apiserver only counts the remainder when no selector is given.
      remainingItemCount:
        more && !query.labelSelector?.length && !query.fieldSelector?.length ? this.countFrom(keys, i, prefix) : undefined,
    };
  }

  private countFrom(keys: string[], from: number, prefix: string | undefined): number {
    if (!prefix) return keys.length - from;
    let n = 0;
    for (let i = from; i < keys.length; i++) if ((keys[i] ?? '').startsWith(prefix)) n++;
    return n;
  }

  /**
   * Replaces an object. A resourceVersion in the input must match (else 409). With the status
   * subresource, a main-resource write keeps the stored status and a status write keeps the rest.
   */
  update(key: string, input: KObj, opts: WriteOptions = {}): KObj {
    const info = this.info(key);
    const namespace = info.namespaced ? input.metadata.namespace : undefined;
    const name = input.metadata.name ?? '';
    this.checkNamespace(info, namespace, false);
    const path = objectKey(namespace, name);
    const b = this.bucket(key);
    const old = b.objects.get(path);
    if (!old) throw notFound(this.qualified(info), name, info.group, info.kind);
    const given = input.metadata.resourceVersion;
    if (given && given !== old.metadata.resourceVersion) throw conflict(this.qualified(info), name, info.group);
    const hasStatus = info.subresources.some((s) => s.name === 'status');
    const mode = opts.subresource ?? 'main';
    let next: KObj;
    if (mode === 'status') {
      next = clone(old);
      next.status = clone(input.status);
    } else {
      next = clone(input);
      if (hasStatus && mode === 'main') {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      // Immutable metadata.
      next.metadata.uid = old.metadata.uid;
      next.metadata.creationTimestamp = old.metadata.creationTimestamp;
      next.metadata.namespace = old.metadata.namespace;
      next.metadata.name = old.metadata.name;
      next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      if (old.metadata.generateName !== undefined) next.metadata.generateName = old.metadata.generateName;
      else delete next.metadata.generateName;
      if (info.kind === 'Namespace' && isRecord(old.spec)) next.spec = clone(old.spec);
    }
    next.apiVersion = groupVersionString(info.group, info.version);
    next.kind = info.kind;
    if (old.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).some((f) => !(old.metadata.finalizers ?? []).includes(f))) {
      throw new ApiError(
        422,
        'Invalid',
        `${info.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted`,
      );
    }
    const specChanged = JSON.stringify(stripForGeneration(old)) !== JSON.stringify(stripForGeneration(next));
    next.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (JSON.stringify(next) === JSON.stringify(old)) return clone(old); // no-op writes keep the version
    if (opts.dryRun) return clone(next);
    this.rv++;
    next.metadata.resourceVersion = String(this.rv);
    this.indexOwners(key, old, false);
    this.indexOwners(key, next, true);
    if (next.metadata.deletionTimestamp && this.finalizersOf(info, next).length === 0) {
      b.objects.delete(path);
      b.sorted = undefined;
      this.indexOwners(key, next, false);
      this.emit('DELETED', key, next, old);
      return clone(next);
    }
    b.objects.set(path, next);
    this.emit('MODIFIED', key, next, old);
    return clone(next);
  }

  /** Read-modify-write for controllers; `fn` edits a copy and returns it (or undefined to skip). */
  mutate(
    key: string,
    namespace: string | undefined,
    name: string,
    fn: (obj: KObj) => KObj | undefined,
    subresource: WriteOptions['subresource'] = 'any',
  ): KObj | undefined {
    const current = this.get(key, namespace, name);
    if (!current) return undefined;
    const next = fn(clone(current));
    if (!next) return current;
    return this.update(key, next, { subresource });
  }

  private finalizersOf(info: ResourceInfo, obj: KObj): string[] {
    const meta = obj.metadata.finalizers ?? [];
    if (info.kind === 'Namespace' && isRecord(obj.spec) && Array.isArray(obj.spec.finalizers)) {
      return [...meta, ...obj.spec.finalizers.map(String)];
    }
    return meta;
  }

  /** Sets a namespace's spec.finalizers (the namespaces/finalize subresource). */
  finalizeNamespace(name: string, finalizers: string[]): KObj | undefined {
    const b = this.bucket('namespaces');
    const old = b.objects.get(name);
    if (!old) return undefined;
    const next = clone(old);
    next.spec = { ...(isRecord(next.spec) ? next.spec : {}), finalizers };
    this.rv++;
    next.metadata.resourceVersion = String(this.rv);
    if (next.metadata.deletionTimestamp && this.finalizersOf(this.info('namespaces'), next).length === 0) {
      b.objects.delete(name);
      b.sorted = undefined;
      this.emit('DELETED', 'namespaces', next, old);
    } else {
      b.objects.set(name, next);
      this.emit('MODIFIED', 'namespaces', next, old);
    }
    return clone(next);
  }

  /**
   * Deletes, or marks for deletion when finalizers remain or a pod on a node terminates
   * gracefully. Returns the object as the apiserver answers (the last state) and whether it is gone.
   */
  delete(key: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): { object: KObj; gone: boolean } {
    const info = this.info(key);
    const ns = info.namespaced ? namespace : undefined;
    const path = objectKey(ns, name);
    const b = this.bucket(key);
    const old = b.objects.get(path);
    if (!old) throw notFound(this.qualified(info), name, info.group, info.kind);
    if (opts.preconditions?.uid && opts.preconditions.uid !== old.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
      );
    }
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(this.qualified(info), name, info.group);
    }
    const next = clone(old);
    if (opts.propagationPolicy === 'Orphan') {
      next.metadata.finalizers = [...new Set([...(next.metadata.finalizers ?? []), 'orphan'])];
    } else if (opts.propagationPolicy === 'Foreground' && this.dependents(old.metadata.uid ?? '').length > 0) {
      next.metadata.finalizers = [...new Set([...(next.metadata.finalizers ?? []), 'foregroundDeletion'])];
    }
    const graceful = info.kind === 'Pod' && this.podGracePeriod(old, opts.gracePeriodSeconds) > 0;
    const pending = this.finalizersOf(info, next).length > 0 || graceful || info.kind === 'Namespace';
    if (pending) {
      if (old.metadata.deletionTimestamp && JSON.stringify(next.metadata.finalizers) === JSON.stringify(old.metadata.finalizers)) {
        // Already terminating; a second delete with grace 0 on a pod finishes it.
        if (!(info.kind === 'Pod' && opts.gracePeriodSeconds === 0)) return { object: clone(old), gone: false };
        return this.remove(key, path, old, opts);
      }
      if (info.kind === 'Namespace') {
        next.status = { ...(isRecord(next.status) ? next.status : {}), phase: 'Terminating' };
      }
      next.metadata.deletionTimestamp = (old.metadata.deletionTimestamp ?? nowTimestamp()) as unknown as Date;
      next.metadata.deletionGracePeriodSeconds = graceful ? this.podGracePeriod(old, opts.gracePeriodSeconds) : 0;
      if (opts.dryRun) return { object: next, gone: false };
      if (!graceful && this.finalizersOf(info, next).length === 0) return this.remove(key, path, old, opts);
      this.rv++;
      next.metadata.resourceVersion = String(this.rv);
      b.objects.set(path, next);
      this.emit('MODIFIED', key, next, old);
      return { object: clone(next), gone: false };
    }
    return this.remove(key, path, old, opts);
  }

  private remove(key: string, path: string, old: KObj, opts: DeleteOptions): { object: KObj; gone: boolean } {
    if (opts.dryRun) return { object: clone(old), gone: true };
    const b = this.bucket(key);
    b.objects.delete(path);
    b.sorted = undefined;
    this.indexOwners(key, old, false);
    this.rv++;
    const last = clone(old);
    last.metadata.resourceVersion = String(this.rv);
    this.emit('DELETED', key, last, old);
    return { object: clone(last), gone: true };
  }

  private podGracePeriod(pod: KObj, requested: number | undefined): number {
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const status = isRecord(pod.status) ? pod.status : {};
    if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
    if (requested !== undefined) return requested;
    return typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
  }
}

function stripForGeneration(obj: KObj): unknown {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}
