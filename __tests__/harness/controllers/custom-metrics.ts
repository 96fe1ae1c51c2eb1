// Simulated custom metrics adapter (behaviour `custom-metrics`, as prometheus-adapter): serves
// the aggregated API custom.metrics.k8s.io/v1beta1 from the monitoring model's scraped series.
// GET /namespaces/NS/pods/NAME|*/METRIC[?labelSelector=...] -> MetricValueList; 404 when no pod
// has the metric (prometheus-adapter's answer). A scenario without this behaviour serves no
// custom metrics API at all. Parameter failStatus (e.g. 503): every metric request answers that
// status, as an adapter whose Prometheus is unreachable does. Parameter external (default false):
// also serve external.metrics.k8s.io/v1beta1 as prometheus-adapter's externalRules do (namespaced:
// the sum of the metric's series in the namespace whose labels match the labelSelector).
import type { KObj } from '../types.js';
import { parseLabelSelector, matchesLabels } from '../selectors.js';
import type { Controller, ControllerContext, ControllerFactory, ProxyResponse } from './types.js';
import { monitoringModel } from './monitoring-model.js';
import { serveExternalMetrics } from './external-metrics.js';

export const CUSTOM_METRICS_GROUP = 'custom.metrics.k8s.io';

export interface PodMetricValue {
  pod: string;
  value: number;
}

/** The metric's value per pod of the namespace, as the adapter would answer (sum over series). */
export function podMetricValues(ctx: ControllerContext, namespace: string, metric: string, pods?: KObj[]): PodMetricValue[] {
  const wanted = pods ? new Set(pods.map((pod) => pod.metadata.name)) : undefined;
  const values = new Map<string, number>();
  for (const series of monitoringModel(ctx).series(namespace)) {
    const { __name__: name, namespace: ns, pod } = series.labels;
    if (name !== metric || ns !== namespace || !pod || (wanted && !wanted.has(pod))) continue;
    values.set(pod, (values.get(pod) ?? 0) + series.value);
  }
  return [...values].map(([pod, value]) => ({ pod, value }));
}

function quantity(value: number): string {
  return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
}

function notFound(message: string): ProxyResponse {
  return {
    status: 404,
    contentType: 'application/json',
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'NotFound', code: 404 },
  };
}

function failure(status: number): ProxyResponse {
  const message = `unable to fetch metrics from Prometheus: the adapter's backend answered ${status}`;
  return {
    status,
    contentType: 'application/json',
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: status },
  };
}

export const customMetricsController: ControllerFactory = (ctx: ControllerContext): Controller => ({
  start() {
    const failStatus = typeof ctx.params.failStatus === 'number' ? ctx.params.failStatus : undefined;
    if (ctx.params.external === true) {
      serveExternalMetrics(ctx, { namespace: 'monitoring', name: 'prometheus-adapter' }, (namespace, metric, selector) => {
        if (failStatus !== undefined)
          return { error: `unable to fetch metrics from Prometheus: the adapter's backend answered ${failStatus}`, status: failStatus };
        const series = monitoringModel(ctx)
          .series(namespace)
          .filter((one) => one.labels.__name__ === metric && Object.entries(selector).every(([key, value]) => one.labels[key] === value));
        if (series.length === 0)
          return { error: `the server could not find the requested resource (get ${metric}.external.metrics.k8s.io)`, status: 404 };
        return { values: [series.reduce((total, one) => total + one.value, 0)] };
      });
    }
    ctx.registerAggregatedApi({
      group: CUSTOM_METRICS_GROUP,
      version: 'v1beta1',
      service: { namespace: 'monitoring', name: 'prometheus-adapter' },
      resources: [
        {
          resource: 'pods/ai_conformance_probe_load',
          singular: '',
          kind: 'MetricValueList',
          namespaced: true,
          verbs: ['get'],
          subresources: [],
        },
      ],
      handler: (req) => {
        if (failStatus !== undefined) return failure(failStatus);
        const match = /^\/namespaces\/([^/]+)\/pods\/([^/]+)\/([^/]+)$/.exec(req.path);
        if (!match) return notFound(`the server could not find the requested resource ${req.path}`);
        const [, namespace, name, metric] = match;
        const selector = parseLabelSelector(req.query.get('labelSelector') ?? undefined);
        const pods = ctx.store
          .list('pods', { namespace })
          .filter((pod) => (name === '*' || pod.metadata.name === name) && matchesLabels(selector, pod.metadata.labels));
        const values = podMetricValues(ctx, namespace, metric, pods);
        if (values.length === 0) return notFound(`the server could not find the metric ${metric} for pods`);
        const timestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        return {
          contentType: 'application/json',
          body: {
            kind: 'MetricValueList',
            apiVersion: `${CUSTOM_METRICS_GROUP}/v1beta1`,
            metadata: {},
            items: values.map(({ pod, value }) => ({
              describedObject: { kind: 'Pod', namespace, name: pod, apiVersion: '/v1' },
              metricName: metric,
              timestamp,
              value: quantity(value),
              selector: null,
            })),
          },
        };
      },
    });
  },
});
