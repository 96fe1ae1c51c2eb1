// The kube layer as probes see it. Probes talk to the cluster only through this interface, so
// every object they create is labelled with the run id and registered for cleanup, and every wait
// is a watch with a deadline and the abort signal.
//
// Types of Kubernetes objects come from @kubernetes/client-node.

import type { KubeConfig, KubernetesObject, V1APIResource } from '@kubernetes/client-node';

/** The label every object a run creates carries (DESIGN.md §6). */
export const RUN_LABEL = 'ai-conformance.cncf.io/run';
/** The label naming the probe (requirement id) that created an object. */
export const PROBE_LABEL = 'ai-conformance.cncf.io/probe';

/**
 * `namespace` of a ref to a namespaced kind, in every Kube method alike: omitted, it is the
 * probe's own namespace; ALL_NAMESPACES reads (lists, watches) across the cluster. Cluster-scoped
 * kinds ignore it.
 */
export const ALL_NAMESPACES = '*';

/** Identifies objects of one kind: apiVersion + kind, in a namespace (see ALL_NAMESPACES). */
export interface KindRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
}

export interface ObjectRef extends KindRef {
  name: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** One page of a list: at most `limit` items, from `continue` (a previous page's token) on. */
export interface PageRequest extends ListOptions {
  limit: number;
  continue?: string;
}

export interface Page<T> {
  items: T[];
  /** The server holds more items than this page. */
  more: boolean;
  /** Where the next page starts, when there is one. */
  continue?: string;
}

/** Which custom metric of which objects (custom.metrics.k8s.io): `pods`/`*`/`requests_per_second`. */
export interface CustomMetricRef {
  /** The served custom.metrics.k8s.io group/version, e.g. custom.metrics.k8s.io/v1beta2. */
  groupVersion: string;
  /** Default: the probe's namespace. */
  namespace?: string;
  /** The described objects' resource, e.g. pods. */
  resource: string;
  /** One object's name, or `*` for every object of the resource. */
  name: string;
  metric: string;
}

/** The custom metrics API's answer (MetricValueList), as far as probes read it. */
export interface MetricValueList {
  items?: { describedObject?: { kind?: string; name?: string }; metricName?: string; value?: string; timestamp?: string }[];
}

/** An external metric: GET /apis/external.metrics.k8s.io/VERSION/namespaces/NS/METRIC?labelSelector=... */
export interface ExternalMetricRef {
  /** The served external.metrics.k8s.io group/version, e.g. external.metrics.k8s.io/v1beta1. */
  groupVersion: string;
  /** Default: the probe's namespace. */
  namespace?: string;
  metric: string;
  /** Narrows the metric's series, as an HPA's External metric selector does. */
  labelSelector?: string;
}

/** The external metrics API's answer (ExternalMetricValueList), as far as probes read it. */
export interface ExternalMetricValueList {
  items?: { metricName?: string; metricLabels?: Record<string, string>; value?: string; timestamp?: string }[];
}

/** An object of a kind client-node has no type for (a CRD's): its spec is the caller's. */
export interface ObjectWithSpec<S extends object = Record<string, unknown>> extends KubernetesObject {
  spec: S;
}

export interface WaitOptions {
  /** What is being waited for, in words, for timeouts and heartbeats: "pod gpu-a Running". */
  description: string;
  timeoutMs: number;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * What a wait predicate returns: true when the condition is met; false to keep waiting;
 * or, to stop waiting because the condition can never be met (e.g. a pod that reached Failed
 * while we waited for Running), a string saying why (the wait rejects with ConditionFailed) or
 * an Error of the caller's own type (the wait rejects with it as it is, so the caller can tell
 * kinds of impossibility apart without parsing messages).
 */
export type WaitVerdict = boolean | string | Error;

/** Raised when a wait's condition became impossible (its predicate returned a string). */
export class ConditionFailed extends Error {}

/** Raised when a wait reached its deadline; the message names what was awaited and what was last seen. */
export class WaitTimeout extends Error {}

/** Every method takes `namespace` the same way: see ALL_NAMESPACES. */
export interface Kube {
  readonly config: KubeConfig;
  /** The run id that labels everything created. */
  readonly runId: string;

  /** True when the group/version is served (discovery, cached per run). */
  isServed(groupVersion: string): Promise<boolean>;
  /** Resources of a served group/version (discovery, cached per run); undefined when not served. */
  resources(groupVersion: string): Promise<V1APIResource[] | undefined>;
  /** The versions of an API group the server serves, preferred first; [] when the group is absent. */
  groupVersions(group: string): Promise<string[]>;

  get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>;
  /**
   * Every object of the kind that the selectors match, however many pages that takes: for
   * collections that are small or narrowed by a selector. Where the cluster's size would set the
   * cost (nodes, slices), ask for one page with `listPage`.
   */
  list<T extends KubernetesObject>(ref: KindRef, options?: ListOptions): Promise<T[]>;
  /** One page of at most `limit` objects, and whether the server holds more. */
  listPage<T extends KubernetesObject>(ref: KindRef, request: PageRequest): Promise<Page<T>>;
  /**
   * Creates an object with the run and probe labels added, and registers it for cleanup. The
   * object's type is inferred, so an object with a spec needs no cast.
   */
  create<T extends KubernetesObject>(object: T, options?: { dryRun?: boolean }): Promise<T>;
  /** Merge-patches an object the run created or owns. */
  patch<T extends KubernetesObject>(ref: ObjectRef, patch: object): Promise<T>;
  delete(ref: ObjectRef): Promise<void>;

  /**
   * Resolves with the first object (of the kind, narrowed by name or selectors) for which the
   * predicate returns true, watching from a fresh list; rejects with ConditionFailed, WaitTimeout,
   * or the abort reason. Never polls.
   */
  waitFor<T extends KubernetesObject>(
    ref: KindRef & { name?: string },
    predicate: (object: T) => WaitVerdict,
    options: WaitOptions,
  ): Promise<T>;
  /** Resolves once the object no longer exists. */
  waitForDeletion(ref: ObjectRef, options: Omit<WaitOptions, 'labelSelector' | 'fieldSelector'>): Promise<void>;

  /** A container's log. */
  /** A container's log; `tailLines` and `limitBytes` bound what the kubelet sends (as kubectl logs --tail / --limit-bytes). */
  podLogs(namespace: string, pod: string, container?: string, bounds?: { tailLines?: number; limitBytes?: number }): Promise<string>;
  /** GET through the API server's service proxy: /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH. */
  serviceProxyGet(namespace: string, service: string, port: string | number, path: string): Promise<string>;
  /** GET through the API server's pod proxy: /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH. */
  podProxyGet(namespace: string, pod: string, port: string | number, path: string): Promise<string>;
  /** A custom metric's values from the custom metrics API (an aggregated API; no watch exists). */
  customMetric(ref: CustomMetricRef): Promise<MetricValueList>;
  /** An external metric's values from the external metrics API (an aggregated API; no watch exists). */
  externalMetric(ref: ExternalMetricRef): Promise<ExternalMetricValueList>;
}
