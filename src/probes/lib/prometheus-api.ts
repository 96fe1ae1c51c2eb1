// Talking to a monitoring system that speaks the Prometheus HTTP API (Prometheus, Thanos,
// VictoriaMetrics): found in the cluster and reached through the API server's service proxy, or
// given with --prometheus-url and reached directly.

import type { KubernetesObject, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { ALL_NAMESPACES, type Kube } from '../../kube/types.js';
import type { ProbeContext } from '../types.js';

/** Where an HTTP endpoint lives: in the cluster behind a Service, or at a URL. */
export type HttpEndpoint =
  | { kind: 'service'; namespace: string; service: string; port: string | number; description: string }
  | { kind: 'pod'; namespace: string; pod: string; port: string | number; description: string }
  | { kind: 'url'; url: string; description: string };

const FETCH_TIMEOUT_MS = 30_000;

/** GET a path (with query string) from the endpoint; the body as text. */
export async function httpGet(ctx: ProbeContext, endpoint: HttpEndpoint, path: string): Promise<string> {
  if (endpoint.kind === 'service') {
    return ctx.kube.serviceProxyGet(endpoint.namespace, endpoint.service, endpoint.port, path);
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
  metric: Record<string, string>;
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

/** A label selector as the Prometheus object carries it (matchExpressions only counted). */
export interface PrometheusLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}

interface PrometheusResource extends KubernetesObject {
  spec?: {
    podMonitorSelector?: PrometheusLabelSelector | null;
    podMonitorNamespaceSelector?: PrometheusLabelSelector | null;
  };
}

export interface DetectedPrometheus {
  endpoint: HttpEndpoint;
  /** The Prometheus Operator's Prometheus object behind it, when there is one. */
  operated?: PrometheusResource;
}

const WEB_PORT_NAMES = ['web', 'http-web', 'http', 'http-prometheus', 'prometheus'];

function webPort(service: V1Service): V1ServicePort | undefined {
  const ports = service.spec?.ports ?? [];
  return ports.find((port) => port.name && WEB_PORT_NAMES.includes(port.name)) ?? ports.find((port) => port.port === 9090) ?? ports[0];
}

function serviceEndpoint(service: V1Service, why: string): HttpEndpoint | undefined {
  const port = webPort(service);
  const namespace = service.metadata?.namespace;
  const name = service.metadata?.name;
  if (!port || !namespace || !name) return undefined;
  const portRef = port.name ?? port.port;
  return { kind: 'service', namespace, service: name, port: portRef, description: `Service ${namespace}/${name}:${portRef} (${why})` };
}

/** Label selectors that the common Prometheus installations put on their query Service. */
const PROMETHEUS_SERVICE_SELECTORS = [
  'app.kubernetes.io/name=prometheus',
  'operated-prometheus=true',
  'app=kube-prometheus-stack-prometheus',
  'app=prometheus',
];

/**
 * Finds the cluster's Prometheus: the Prometheus Operator's objects first (their Service is
 * `prometheus-operated`), then Services carrying the usual labels. Every query is label-selected
 * or names one object, so a large cluster is never listed whole.
 */
export async function detectPrometheus(ctx: ProbeContext): Promise<DetectedPrometheus | undefined> {
  if (ctx.options.prometheusUrl) {
    return { endpoint: { kind: 'url', url: ctx.options.prometheusUrl, description: `--prometheus-url ${ctx.options.prometheusUrl}` } };
  }
  const kube: Kube = ctx.kube;
  if (await kube.isServed('monitoring.coreos.com/v1')) {
    const operated = await kube.listPage<PrometheusResource>(
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', namespace: ALL_NAMESPACES },
      { limit: 50 },
    );
    for (const prometheus of operated.items) {
      const namespace = prometheus.metadata?.namespace;
      if (!namespace) continue;
      const service = await kube.get<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace, name: 'prometheus-operated' });
      const endpoint = service && serviceEndpoint(service, `Prometheus ${namespace}/${prometheus.metadata?.name ?? '?'}`);
      if (endpoint) return { endpoint, operated: prometheus };
    }
  }
  for (const labelSelector of PROMETHEUS_SERVICE_SELECTORS) {
    const services = await kube.listPage<V1Service>(
      { apiVersion: 'v1', kind: 'Service', namespace: ALL_NAMESPACES },
      { labelSelector, limit: 50 },
    );
    const candidate = services.items
      .filter((service) => !/alertmanager|node-exporter|pushgateway|kube-state|adapter|operator/.test(service.metadata?.name ?? ''))
      .map((service) => serviceEndpoint(service, `label ${labelSelector}`))
      .find((endpoint) => endpoint !== undefined);
    if (candidate) return { endpoint: candidate };
  }
  return undefined;
}

export type PrometheusOperated = PrometheusResource;
