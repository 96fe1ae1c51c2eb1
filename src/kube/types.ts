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

/** Identifies objects of one kind: apiVersion + kind, optionally narrowed to a namespace. */
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
  /** Page size; the kube layer pages through `continue` tokens itself. */
  limit?: number;
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
  list<T extends KubernetesObject>(ref: KindRef, options?: ListOptions): Promise<T[]>;
  /**
   * Creates an object with the run and probe labels added, and registers it for cleanup.
   * Namespaced objects default to the probe's namespace.
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
  podLogs(namespace: string, pod: string, container?: string): Promise<string>;
  /** GET through the API server's service proxy: /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH. */
  serviceProxyGet(namespace: string, service: string, port: string | number, path: string): Promise<string>;
  /** GET through the API server's pod proxy: /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH. */
  podProxyGet(namespace: string, pod: string, port: string | number, path: string): Promise<string>;
  /** GET an arbitrary API path and parse the JSON answer (aggregated APIs such as custom.metrics.k8s.io). */
  getRaw<T = unknown>(path: string): Promise<T>;
}
