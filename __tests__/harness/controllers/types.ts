// The plugin interface of simulated controllers. See ../CONTROLLERS.md.
import type { IncomingMessage } from 'node:http';
import type { ResourceInfo, ResourceRegistry } from '../resources.js';
import type { BehaviourParams, Scenario } from '../scenario.js';
import type { Store } from '../store.js';
import type { KObj, StoreEvent } from '../types.js';
import type { PodLogs } from '../podlogs.js';

/** What a service-proxy or aggregated-API handler receives. */
export interface ProxyRequest {
  method: string;
  /** Path after `/proxy` (service proxy) or after `/apis/GROUP/VERSION` (aggregated API), starting with `/`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ProxyResponse {
  status?: number;
  contentType?: string;
  body: string | object;
}

export type ProxyHandler = (req: ProxyRequest) => ProxyResponse | Promise<ProxyResponse>;

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  /** Resource key: pods, deployments.apps, widgets.example.com. */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** The object as it would be stored (undefined for DELETE). */
  object?: KObj;
  oldObject?: KObj;
  dryRun: boolean;
}

/** Throw an ApiError (from ../errors.js) to reject; the message reaches the client. */
export type AdmissionHook = (req: AdmissionRequest) => void | Promise<void>;

export interface AggregatedApi {
  group: string;
  version: string;
  /** Served in discovery; usually namespaced resources with verbs ["get", "list"]. */
  resources: Omit<ResourceInfo, 'group' | 'version'>[];
  /** Answers every request under /apis/GROUP/VERSION/ (path relative to that). */
  handler: ProxyHandler;
  /** The Service its APIService points at (default kube-system/<first DNS label of the group>-adapter). */
  service?: { namespace: string; name: string };
}

export interface ControllerContext {
  readonly store: Store;
  readonly registry: ResourceRegistry;
  readonly scenario: Scenario;
  /** This behaviour's parameters from the scenario (`behaviours.NAME`). */
  readonly params: BehaviourParams;
  /** Container logs served by pods/log (the kubelet writes them). */
  readonly logs: PodLogs;
  /**
   * Calls `handler` for every existing object (as ADDED) and then for every change of that
   * resource, one at a time and asynchronously (never inside the write that caused it).
   * Handler errors are logged, not thrown. Returns an unsubscribe function.
   */
  watch(resource: string | string[], handler: (event: StoreEvent) => void | Promise<void>, options?: { replay?: boolean }): () => void;
  /** A timer cleared when the cluster stops (use for modelled latencies, never as a wait). */
  after(ms: number, fn: () => void): void;
  /** Serves /api/v1/namespaces/NS/services/[http:]NAME:PORT/proxy/... (port name or number). */
  registerServiceProxy(namespace: string, service: string, port: string | number, handler: ProxyHandler): void;
  /** Serves /api/v1/namespaces/NS/pods/NAME:PORT/proxy/... while the pod is Running (port as given in the URL). */
  registerPodProxy(namespace: string, pod: string, port: string | number, handler: ProxyHandler): void;
  /** Serves an aggregated API group/version (legacy and aggregated discovery included). */
  registerAggregatedApi(api: AggregatedApi): void;
  /** Validating admission for API writes, dry-run included. */
  registerAdmission(hook: AdmissionHook): void;
  log(message: string): void;
}

export interface Controller {
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;
