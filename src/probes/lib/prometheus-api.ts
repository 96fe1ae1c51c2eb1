// Talking to a monitoring system that speaks the Prometheus HTTP API (Prometheus, Thanos Query,
// VictoriaMetrics, Mimir): found in the cluster and reached through the API server's service
// proxy, or given with --prometheus-url (a base URL, path prefix included, e.g.
// http://mimir-nginx.mimir.svc/prometheus) and reached directly.

import type { KubernetesObject, V1LabelSelector, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { ALL_NAMESPACES, type Kube } from '../../kube/types.js';
import type { ProbeContext } from '../types.js';

/** Where an HTTP endpoint lives: in the cluster behind a Service, or at a URL. */
export type HttpEndpoint =
  | {
      kind: 'service';
      namespace: string;
      service: string;
      port: string | number;
      description: string;
      pathPrefix?: string;
      /** The Service port's number, for clients inside the cluster (KEDA's serverAddress). */
      portNumber?: number;
    }
  | { kind: 'pod'; namespace: string; pod: string; port: string | number; description: string }
  | { kind: 'url'; url: string; description: string };

const FETCH_TIMEOUT_MS = 30_000;

/** GET a path (with query string) from the endpoint; the body as text. */
export async function httpGet(ctx: ProbeContext, endpoint: HttpEndpoint, path: string): Promise<string> {
  if (endpoint.kind === 'service') {
    return ctx.kube.serviceProxyGet(endpoint.namespace, endpoint.service, endpoint.port, `${endpoint.pathPrefix ?? ''}${path}`);
  }
  if (endpoint.kind === 'pod') return ctx.kube.podProxyGet(endpoint.namespace, endpoint.pod, endpoint.port, path);
  const url = path === '' ? endpoint.url : endpoint.url.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]);
  const response = await fetch(url, { signal, headers: { accept: 'application/json, text/plain;version=0.0.4, */*' } });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${endpoint.description}${path.split('?')[0]} answered HTTP ${response.status}`);
  return body;
}

export interface PromVectorSample {
  /** A label the series does not carry is absent. */
  metric: Partial<Record<string, string>>;
  value: number;
}

interface PromApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

/** The samples of an instant-query answer (`resultType: vector`); throws on an error answer. */
export function parseQueryAnswer(body: string): PromVectorSample[] {
  let answer: PromApiAnswer;
  try {
    answer = JSON.parse(body) as PromApiAnswer;
  } catch {
    throw new Error('the query answer is not JSON (is this a Prometheus HTTP API?)');
  }
  if (answer.status !== 'success') {
    throw new Error(`the query failed: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no message'}`);
  }
  if (answer.data?.resultType !== 'vector' || !Array.isArray(answer.data.result)) {
    throw new Error(`expected a vector answer, got ${answer.data?.resultType ?? 'nothing'}`);
  }
  const samples: PromVectorSample[] = [];
  for (const item of answer.data.result as unknown[]) {
    const entry = item as { metric?: Record<string, string>; value?: [number, string] };
    const value = Number(entry.value?.[1]);
    samples.push({ metric: entry.metric ?? {}, value });
  }
  return samples;
}

export async function promQuery(ctx: ProbeContext, endpoint: HttpEndpoint, query: string): Promise<PromVectorSample[]> {
  return parseQueryAnswer(await httpGet(ctx, endpoint, `/api/v1/query?query=${encodeURIComponent(query)}`));
}

/** `a="x", b="y"` with the values escaped as PromQL strings. */
export function matchers(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(',');
}

/**
 * Asks `vector(1)` and checks the answer is the Prometheus HTTP API's JSON (status success, an
 * instant vector holding 1): a login page, a UI or another API at that address does not pass.
 */
export async function checkQueryApi(ctx: ProbeContext, endpoint: HttpEndpoint): Promise<void> {
  const samples = await promQuery(ctx, endpoint, 'vector(1)');
  if (samples.length !== 1 || samples[0].value !== 1) {
    throw new Error(
      `vector(1) answered ${samples.length} samples (${samples.map((sample) => sample.value).join(', ')}), not one sample of 1`,
    );
  }
}

/** The Prometheus Operator's Prometheus object: the fields that say which monitors it reads. */
export interface PrometheusResource extends KubernetesObject {
  spec?: {
    serviceMonitorSelector?: V1LabelSelector | null;
    serviceMonitorNamespaceSelector?: V1LabelSelector | null;
    podMonitorSelector?: V1LabelSelector | null;
    podMonitorNamespaceSelector?: V1LabelSelector | null;
    /** true: monitors' own namespaceSelector is ignored; they only target their own namespace. */
    ignoreNamespaceSelectors?: boolean;
  };
}

export interface DetectedMonitoring {
  /** Query APIs to try, in order; the first that answers in the Prometheus format is used. */
  endpoints: HttpEndpoint[];
  /**
   * Prometheus Operator objects, those behind the endpoints first; undefined when the operator's
   * API (monitoring.coreos.com/v1) is not served.
   */
  prometheuses?: PrometheusResource[];
}

const WEB_PORT_NAMES = ['web', 'http-web', 'http', 'http-prometheus', 'prometheus', 'http-metrics'];

function webPort(service: V1Service, number?: number): V1ServicePort | undefined {
  const ports = service.spec?.ports ?? [];
  return (
    ports.find((port) => port.name && WEB_PORT_NAMES.includes(port.name)) ??
    ports.find((port) => port.port === (number ?? 9090)) ??
    ports[0]
  );
}

function serviceEndpoint(service: V1Service, why: string, pathPrefix = '', number?: number): HttpEndpoint | undefined {
  const port = webPort(service, number);
  const namespace = service.metadata?.namespace;
  const name = service.metadata?.name;
  if (!port || !namespace || !name) return undefined;
  const portRef = port.name ?? port.port;
  return {
    kind: 'service',
    namespace,
    service: name,
    port: portRef,
    portNumber: port.port,
    pathPrefix,
    description: `Service ${namespace}/${name}:${portRef}${pathPrefix} (${why})`,
  };
}

/**
 * Query APIs by the labels their usual installations put on their Service, and the path prefix
 * under which they serve /api/v1/query: Prometheus (community chart, kube-prometheus), Thanos
 * Query (kube-thanos, OpenShift), VictoriaMetrics (vm-operator's VMSingle, which also answers
 * without prefix, and VMCluster's vmselect, tenant 0), Mimir (mimir-distributed's
 * query-frontend, default prefix /prometheus).
 */
const QUERY_SERVICES: { selector: string; pathPrefix?: string; port?: number }[] = [
  { selector: 'app.kubernetes.io/name=prometheus' },
  { selector: 'operated-prometheus=true' },
  { selector: 'app=kube-prometheus-stack-prometheus' },
  { selector: 'app=prometheus' },
  { selector: 'app.kubernetes.io/name=thanos-query' },
  { selector: 'app.kubernetes.io/name=vmsingle', port: 8429 },
  { selector: 'app.kubernetes.io/name=vmselect', pathPrefix: '/select/0/prometheus', port: 8481 },
  { selector: 'app.kubernetes.io/name=mimir,app.kubernetes.io/component=query-frontend', pathPrefix: '/prometheus', port: 8080 },
];

const NOT_QUERY_APIS = /alertmanager|node-exporter|pushgateway|kube-state|adapter|operator|grpc|headless/;

/**
 * Finds the cluster's monitoring: the Prometheus Operator's Prometheus objects (their Service is
 * `prometheus-operated`), else query Services by well-known labels; --prometheus-url replaces the
 * search for query APIs, but the Prometheus objects are still read (they decide how a workload
 * is registered). Every request is label-selected, one page, or names one object, so a large
 * cluster costs the same as a small one.
 */
export async function detectMonitoring(ctx: ProbeContext): Promise<DetectedMonitoring> {
  const kube: Kube = ctx.kube;
  const endpoints: HttpEndpoint[] = [];
  const url = ctx.options.prometheusUrl;
  if (url) endpoints.push({ kind: 'url', url, description: `--prometheus-url ${url}` });
  const served = await kube.isServed('monitoring.coreos.com/v1');
  const listed = served
    ? (
        await kube.listPage<PrometheusResource>(
          { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', namespace: ALL_NAMESPACES },
          { limit: 50 },
        )
      ).items
    : undefined;
  const behind: PrometheusResource[] = [];
  if (!url) {
    const namespaces = [...new Set((listed ?? []).map((prometheus) => prometheus.metadata?.namespace ?? ''))].filter(Boolean);
    // One Service read per namespace with a Prometheus (the list is bounded), sent together.
    const services = await Promise.all(
      namespaces.map((namespace) => kube.get<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace, name: 'prometheus-operated' })),
    );
    for (const [index, namespace] of namespaces.entries()) {
      const service = services[index];
      const here = (listed ?? []).filter((prometheus) => prometheus.metadata?.namespace === namespace);
      const names = here.map((prometheus) => `Prometheus ${namespace}/${prometheus.metadata?.name ?? '?'}`).join(', ');
      const endpoint = service && serviceEndpoint(service, names);
      if (endpoint) {
        endpoints.push(endpoint);
        behind.push(...here);
      }
    }
    // Label search only where the operator's own Service was not found (as before: no extra cost).
    const seen = new Set<string>();
    const searches = endpoints.length ? [] : QUERY_SERVICES;
    // A fixed handful of label-selected lists, sent together; their answers taken in order.
    const found = await Promise.all(
      searches.map(({ selector }) =>
        kube.listPage<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace: ALL_NAMESPACES }, { labelSelector: selector, limit: 50 }),
      ),
    );
    for (const [index, { selector, pathPrefix, port }] of searches.entries()) {
      for (const service of found[index].items) {
        const key = `${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`;
        if (seen.has(key) || NOT_QUERY_APIS.test(service.metadata?.name ?? '')) continue;
        const endpoint = serviceEndpoint(service, `label ${selector}`, pathPrefix, port);
        if (endpoint) endpoints.push(endpoint);
        seen.add(key);
      }
    }
  }
  const prometheuses = listed && [...behind, ...listed.filter((prometheus) => !behind.includes(prometheus))];
  return { endpoints, prometheuses };
}

/** The endpoint's base URL as a client inside the cluster reaches it (undefined for a pod). */
export function inClusterUrl(endpoint: HttpEndpoint): string | undefined {
  if (endpoint.kind === 'url') return endpoint.url.replace(/\/+$/, '');
  if (endpoint.kind !== 'service' || endpoint.portNumber === undefined) return undefined;
  return `http://${endpoint.service}.${endpoint.namespace}.svc:${endpoint.portNumber}${endpoint.pathPrefix ?? ''}`;
}

/** The first query API found (unchecked), for probes that only read series the cluster holds. */
export async function detectPrometheus(ctx: ProbeContext): Promise<{ endpoint: HttpEndpoint } | undefined> {
  const { endpoints } = await detectMonitoring(ctx);
  return endpoints.length > 0 ? { endpoint: endpoints[0] } : undefined;
}

export interface QueryApi {
  endpoint: HttpEndpoint;
  /** What answered, and what was tried before it and why it did not do. */
  seen: string;
}

/** The first of the detected query APIs that answers in the Prometheus format; undefined when none does. */
export async function answeringQueryApi(
  ctx: ProbeContext,
  endpoints: readonly HttpEndpoint[],
): Promise<{ api?: QueryApi; refused: string[] }> {
  const refused: string[] = [];
  for (const endpoint of endpoints) {
    try {
      await checkQueryApi(ctx, endpoint);
      const before = refused.length ? `; before it: ${refused.join('; ')}` : '';
      return {
        api: { endpoint, seen: `${endpoint.description} answers /api/v1/query in the Prometheus JSON format${before}` },
        refused,
      };
    } catch (error) {
      refused.push(`${endpoint.description}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { refused };
}
