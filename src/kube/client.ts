// The Kube implementation over a KubeConfig. One KubeSession serves a whole run: it owns the
// discovery cache and the registry of everything created. Each probe gets its own view of it
// (`session.forProbe`), which labels what it creates with the probe id, defaults namespaced
// objects to the probe's namespace and cancels requests and waits when the probe is aborted.

import type { KubeConfig, KubernetesObject, V1APIResource, V1ObjectMeta } from '@kubernetes/client-node';
import {
  ALL_NAMESPACES,
  ConditionFailed,
  PROBE_LABEL,
  RUN_LABEL,
  type CustomMetricRef,
  type ExternalMetricRef,
  type ExternalMetricValueList,
  type KindRef,
  type Kube,
  type ListOptions,
  type MetricValueList,
  type ObjectRef,
  type Page,
  type PageRequest,
  type WaitOptions,
  type WaitVerdict,
} from './types.js';
import { Discovery, groupVersionPath } from './discovery.js';
import { KubeApiError } from './http.js';
import { ApiClient, type ApiClientOptions } from './api.js';
import { describeObject } from './describe.js';
import { watchUntil } from './watch.js';

/** An object the run created, for cleanup. */
export interface CreatedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  namespaced: boolean;
  probe: string;
}

export interface ProbeViewOptions {
  probeId: string;
  /** Default namespace for namespaced objects. */
  namespace: string;
  signal?: AbortSignal;
  /** Heartbeat lines during long waits. */
  onHeartbeat?: (message: string) => void;
  heartbeatMs?: number;
}

interface KubernetesList<T> {
  metadata?: { continue?: string; resourceVersion?: string };
  items?: T[];
}

const DEFAULT_HEARTBEAT_MS = 15_000;

const secondsText = (ms: number) => `${ms < 10_000 ? Math.round(ms / 100) / 10 : Math.round(ms / 1000)}s`;
const DEFAULT_PAGE = 500;

export class KubeSession {
  readonly discovery: Discovery;
  /** Everything created so far, in creation order. */
  readonly created: CreatedObject[] = [];

  /** Rate limiting and retries for every request of the run. */
  readonly api: ApiClient;

  constructor(
    readonly config: KubeConfig,
    readonly runId: string,
    apiOptions: ApiClientOptions = {},
  ) {
    this.api = new ApiClient(config, apiOptions);
    this.discovery = new Discovery(this.api);
  }

  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<{ path: string; namespaced: boolean }> {
    const resource = await this.discovery.resourceFor(apiVersion, kind);
    const base = groupVersionPath(apiVersion);
    if (resource.namespaced && namespace) {
      return { path: `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`, namespaced: true };
    }
    return { path: `${base}/${resource.plural}`, namespaced: resource.namespaced };
  }

  async objectPath(ref: ObjectRef): Promise<string> {
    const { path, namespaced } = await this.collectionPath(ref.apiVersion, ref.kind, ref.namespace);
    if (namespaced && !ref.namespace) throw new KubeApiError(`${ref.kind} ${ref.name} needs a namespace`, undefined);
    return `${path}/${encodeURIComponent(ref.name)}`;
  }

  forProbe(options: ProbeViewOptions): Kube {
    return new ProbeKube(this, options);
  }
}

function deletionOutcome(name: string | undefined) {
  return (event: Parameters<Parameters<typeof watchUntil>[2]>[0]) => {
    if (event.type === 'LISTED') return event.items.some((o) => o.metadata?.name === name) ? undefined : { done: undefined };
    if (event.type === 'DELETED' && event.object.metadata?.name === name) return { done: undefined };
    return undefined;
  };
}

class ProbeKube implements Kube {
  readonly config: KubeConfig;
  readonly runId: string;
  private readonly api: ApiClient;

  constructor(
    private readonly session: KubeSession,
    private readonly view: ProbeViewOptions,
  ) {
    this.config = session.config;
    this.runId = session.runId;
    this.api = session.api;
  }

  isServed(groupVersion: string): Promise<boolean> {
    return this.session.discovery.isServed(groupVersion);
  }

  async resources(groupVersion: string): Promise<V1APIResource[] | undefined> {
    if (!(await this.isServed(groupVersion))) return undefined;
    return this.session.discovery.resources(groupVersion);
  }

  groupVersions(group: string): Promise<string[]> {
    return this.session.discovery.groupVersions(group);
  }

  async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    const path = await this.session.objectPath(this.withNamespace(ref));
    try {
      return await this.api.json<T>(path, { signal: this.view.signal, probe: this.view.probeId });
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  async list<T extends KubernetesObject>(ref: KindRef, options: ListOptions = {}): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page: Page<T> = await this.listPage<T>(ref, { ...options, limit: DEFAULT_PAGE, continue: token });
      items.push(...page.items);
      token = page.continue;
    } while (token);
    return items;
  }

  async listPage<T extends KubernetesObject>(ref: KindRef, request: PageRequest): Promise<Page<T>> {
    const { path } = await this.session.collectionPath(ref.apiVersion, ref.kind, this.namespaceOf(ref));
    const page = await this.api.json<KubernetesList<T>>(path, {
      query: {
        labelSelector: request.labelSelector,
        fieldSelector: request.fieldSelector,
        limit: request.limit,
        continue: request.continue,
      },
      signal: this.view.signal,
      probe: this.view.probeId,
    });
    const next = page.metadata?.continue || undefined;
    return { items: page.items ?? [], more: next !== undefined, ...(next ? { continue: next } : {}) };
  }

  async create<T extends KubernetesObject>(object: T, options: { dryRun?: boolean } = {}): Promise<T> {
    if (!object.apiVersion || !object.kind) throw new KubeApiError('an object to create needs apiVersion and kind', undefined);
    const metadata: V1ObjectMeta = object.metadata ?? {};
    const labelled: T = {
      ...object,
      metadata: { ...metadata, labels: { ...metadata.labels, [RUN_LABEL]: this.runId, [PROBE_LABEL]: this.probeLabel() } },
    };
    const resource = await this.session.discovery.resourceFor(object.apiVersion, object.kind);
    const namespace = resource.namespaced ? (object.metadata?.namespace ?? this.view.namespace) : undefined;
    if (namespace && labelled.metadata) labelled.metadata.namespace = namespace;
    const { path } = await this.session.collectionPath(object.apiVersion, object.kind, namespace);
    // Registered before the request: if the answer is lost (abort, dropped connection) the object
    // may exist anyway, and cleanup must still find it. A definite refusal unregisters it.
    const entry: CreatedObject | undefined =
      options.dryRun || !object.metadata?.name
        ? undefined
        : {
            apiVersion: object.apiVersion,
            kind: object.kind,
            name: object.metadata.name,
            namespace,
            namespaced: resource.namespaced,
            probe: this.view.probeId,
          };
    if (entry) this.session.created.push(entry);
    let created: T;
    try {
      created = await this.api.json<T>(path, {
        method: 'POST',
        body: labelled,
        query: { dryRun: options.dryRun ? 'All' : undefined },
        signal: this.view.signal,
        probe: this.view.probeId,
        // A dry run changes nothing, and a repeated create of a named object is resolved below;
        // an unnamed (generateName) create is repeated only when the server surely refused it.
        repeatable: Boolean(options.dryRun || entry),
      });
    } catch (error) {
      const landed = entry && (await this.earlierAttemptLanded<T>(entry, error));
      if (landed) return landed;
      // Only a definite refusal (4xx) means nothing was created; after a 5xx or a dropped
      // connection the object may exist, so cleanup keeps looking for it.
      const refused =
        error instanceof KubeApiError && !error.mayHaveApplied && error.code !== undefined && error.code >= 400 && error.code < 500;
      if (entry && refused) this.session.created.splice(this.session.created.indexOf(entry), 1);
      throw error;
    }
    if (!options.dryRun && !entry) {
      this.session.created.push({
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: created.metadata?.name ?? '',
        namespace,
        namespaced: resource.namespaced,
        probe: this.view.probeId,
      });
    }
    return created;
  }

  /**
   * A create retried after a lost answer that is then told AlreadyExists: the first attempt may
   * have made it. It did if the object carries this run's and this probe's labels (names are
   * ours, run ids unique); then that object is the answer.
   */
  private async earlierAttemptLanded<T extends KubernetesObject>(entry: CreatedObject, error: unknown): Promise<T | undefined> {
    if (!(error instanceof KubeApiError && error.code === 409 && error.reason === 'AlreadyExists' && error.mayHaveApplied))
      return undefined;
    // If it cannot even be read, the create's own error is the one to report.
    const existing = await this.get<T>(entry).catch(() => undefined);
    const labels = existing?.metadata?.labels;
    return labels?.[RUN_LABEL] === this.runId && labels[PROBE_LABEL] === this.probeLabel() ? existing : undefined;
  }

  private probeLabel(): string {
    return this.view.probeId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63);
  }

  async patch<T extends KubernetesObject>(ref: ObjectRef, patch: object): Promise<T> {
    const path = await this.session.objectPath(this.withNamespace(ref));
    return this.api.json<T>(path, {
      method: 'PATCH',
      body: patch,
      contentType: 'application/merge-patch+json',
      signal: this.view.signal,
      probe: this.view.probeId,
    });
  }

  async delete(ref: ObjectRef): Promise<void> {
    const path = await this.session.objectPath(this.withNamespace(ref));
    try {
      await this.api.json<unknown>(path, {
        method: 'DELETE',
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
        signal: this.view.signal,
        probe: this.view.probeId,
      });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.code === 404)) throw error;
    }
  }

  async waitFor<T extends KubernetesObject>(
    ref: KindRef & { name?: string },
    predicate: (object: T) => WaitVerdict,
    options: WaitOptions,
  ): Promise<T> {
    const { path } = await this.session.collectionPath(ref.apiVersion, ref.kind, this.namespaceOf(ref));
    const fieldSelector =
      [ref.name ? `metadata.name=${ref.name}` : undefined, options.fieldSelector].filter(Boolean).join(',') || undefined;
    const judge = (object: T) => {
      const verdict = predicate(object);
      if (verdict === true) return { done: object };
      if (verdict instanceof Error) return { error: verdict };
      if (typeof verdict === 'string') return { error: new ConditionFailed(`${options.description}: ${verdict}`) };
      return undefined;
    };
    return this.withHeartbeat(options.description, options.timeoutMs, () =>
      watchUntil<T>(
        this.api,
        path,
        (event) => {
          if (event.type === 'LISTED') {
            for (const item of event.items) {
              const decision = judge(item as T);
              if (decision) return decision;
            }
            return undefined;
          }
          if (event.type === 'DELETED') return undefined;
          return judge(event.object as T);
        },
        {
          description: options.description,
          timeoutMs: options.timeoutMs,
          signal: this.view.signal,
          probe: this.view.probeId,
          labelSelector: options.labelSelector,
          fieldSelector,
          describe: (event) =>
            event.type === 'LISTED'
              ? event.items.length === 0
                ? 'nothing matching'
                : event.items.map(describeObject).slice(0, 3).join('; ')
              : `${describeObject(event.object)}${event.type === 'DELETED' ? ' (deleted)' : ''}`,
        },
      ),
    );
  }

  async waitForDeletion(ref: ObjectRef, options: Omit<WaitOptions, 'labelSelector' | 'fieldSelector'>): Promise<void> {
    const withNs = this.withNamespace(ref);
    const { path } = await this.session.collectionPath(withNs.apiVersion, withNs.kind, withNs.namespace);
    return this.withHeartbeat(options.description, options.timeoutMs, () =>
      watchUntil<undefined>(this.api, path, deletionOutcome(ref.name), {
        description: options.description,
        timeoutMs: options.timeoutMs,
        signal: this.view.signal,
        probe: this.view.probeId,
        fieldSelector: `metadata.name=${ref.name}`,
        describe: (event) => (event.type === 'LISTED' ? `${event.items.length} left` : describeObject(event.object)),
      }),
    );
  }

  podLogs(namespace: string, pod: string, container?: string, bounds: { tailLines?: number; limitBytes?: number } = {}): Promise<string> {
    return this.api.text(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`, {
      query: {
        container,
        ...(bounds.tailLines === undefined ? {} : { tailLines: String(bounds.tailLines) }),
        ...(bounds.limitBytes === undefined ? {} : { limitBytes: String(bounds.limitBytes) }),
      },
      accept: 'text/plain, */*',
      signal: this.view.signal,
      probe: this.view.probeId,
    });
  }

  serviceProxyGet(namespace: string, service: string, port: string | number, path: string): Promise<string> {
    const rest = path.startsWith('/') ? path.slice(1) : path;
    return this.api.text(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(`${service}:${port}`)}/proxy/${rest}`,
      { accept: '*/*', signal: this.view.signal, probe: this.view.probeId, proxied: true },
    );
  }

  podProxyGet(namespace: string, pod: string, port: string | number, path: string): Promise<string> {
    const rest = path.startsWith('/') ? path.slice(1) : path;
    return this.api.text(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(`${pod}:${port}`)}/proxy/${rest}`, {
      accept: '*/*',
      signal: this.view.signal,
      probe: this.view.probeId,
      proxied: true,
    });
  }

  customMetric(ref: CustomMetricRef): Promise<MetricValueList> {
    const namespace = encodeURIComponent(ref.namespace ?? this.view.namespace);
    const path = `${groupVersionPath(ref.groupVersion)}/namespaces/${namespace}/${encodeURIComponent(ref.resource)}/${encodeURIComponent(ref.name)}/${encodeURIComponent(ref.metric)}`;
    return this.api.json<MetricValueList>(path, { signal: this.view.signal, probe: this.view.probeId });
  }

  externalMetric(ref: ExternalMetricRef): Promise<ExternalMetricValueList> {
    const namespace = encodeURIComponent(ref.namespace ?? this.view.namespace);
    const path = `${groupVersionPath(ref.groupVersion)}/namespaces/${namespace}/${encodeURIComponent(ref.metric)}`;
    return this.api.json<ExternalMetricValueList>(path, {
      signal: this.view.signal,
      ...(ref.labelSelector ? { query: { labelSelector: ref.labelSelector } } : {}),
    });
  }

  /** The namespace a collection request goes to: the probe's when omitted, none (all) for ALL_NAMESPACES. */
  private namespaceOf(ref: KindRef): string | undefined {
    if (ref.namespace === ALL_NAMESPACES) return undefined;
    return ref.namespace ?? this.view.namespace;
  }

  /** Namespaced refs without a namespace mean the probe's own namespace; one object is never in "all". */
  private withNamespace<R extends KindRef>(ref: R): R {
    if (ref.namespace === ALL_NAMESPACES) throw new KubeApiError(`${ref.kind}: one object is in one namespace, not in all`, undefined);
    return ref.namespace ? ref : { ...ref, namespace: this.view.namespace };
  }

  /** Long waits are never silent: what is awaited, for how long so far, and until when. */
  private async withHeartbeat<R>(description: string, timeoutMs: number, wait: () => Promise<R>): Promise<R> {
    const beat = this.view.onHeartbeat;
    if (!beat) return wait();
    const started = Date.now();
    const interval = setInterval(
      () =>
        beat(
          `${this.view.probeId}: still waiting for ${description} (${secondsText(Date.now() - started)} so far, deadline ${secondsText(timeoutMs)})`,
        ),
      this.view.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    try {
      return await wait();
    } finally {
      clearInterval(interval);
    }
  }
}
