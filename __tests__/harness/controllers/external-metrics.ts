// The external metrics API (external.metrics.k8s.io/v1beta1) as metrics adapters serve it (KEDA's
// metrics server, say): GET /namespaces/NS/METRIC?labelSelector=... -> ExternalMetricValueList.
// One provider per fake cluster answers both that API and the simulated HPA controller, which
// reads the same values a real HPA would fetch through the API.
import type { Store } from '../store.js';
import { parseLabelSelector } from '../selectors.js';
import type { ControllerContext, ProxyResponse } from './types.js';

export const EXTERNAL_METRICS_GROUP = 'external.metrics.k8s.io';

/** The metric's values, or why there are none (the adapter's error message). */
export type ExternalMetricProvider = (
  namespace: string,
  metric: string,
  selector: Readonly<Record<string, string>>,
) => { values: number[] } | { error: string; status: number };

const providers = new WeakMap<Store, ExternalMetricProvider>();

function quantity(value: number): string {
  return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
}

function status(code: number, message: string): ProxyResponse {
  const reason = code === 404 ? 'NotFound' : 'InternalError';
  return {
    status: code,
    contentType: 'application/json',
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
  };
}

/** Serves the external metrics API from the provider, under the APIService of `service`. */
export function serveExternalMetrics(
  ctx: ControllerContext,
  service: { namespace: string; name: string },
  provider: ExternalMetricProvider,
): void {
  providers.set(ctx.store, provider);
  ctx.registerAggregatedApi({
    group: EXTERNAL_METRICS_GROUP,
    version: 'v1beta1',
    service,
    resources: [
      { resource: 'externalmetrics', singular: '', kind: 'ExternalMetricValueList', namespaced: true, verbs: ['get'], subresources: [] },
    ],
    handler: (req) => {
      const match = /^\/namespaces\/([^/]+)\/([^/]+)$/.exec(req.path);
      if (!match) return status(404, `the server could not find the requested resource ${req.path}`);
      const namespace = decodeURIComponent(match[1]);
      const metric = decodeURIComponent(match[2]);
      const selector: Record<string, string> = {};
      for (const requirement of parseLabelSelector(req.query.get('labelSelector') ?? undefined))
        if (requirement.op === 'eq') selector[requirement.key] = requirement.value;
      const answer = provider(namespace, metric, selector);
      if ('error' in answer) return status(answer.status, answer.error);
      const timestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      return {
        contentType: 'application/json',
        body: {
          kind: 'ExternalMetricValueList',
          apiVersion: `${EXTERNAL_METRICS_GROUP}/v1beta1`,
          metadata: {},
          items: answer.values.map((value) => ({ metricName: metric, metricLabels: {}, timestamp, value: quantity(value) })),
        },
      };
    },
  });
}

/** What the external metrics API would answer the HPA; an error when no adapter serves it. */
export function externalMetricValues(
  ctx: ControllerContext,
  namespace: string,
  metric: string,
  selector: Readonly<Record<string, string>>,
): { values: number[] } | { error: string; status: number } {
  const provider = providers.get(ctx.store);
  if (!provider || !ctx.registry.groupVersion(EXTERNAL_METRICS_GROUP, 'v1beta1'))
    return { error: `no external metrics API (${EXTERNAL_METRICS_GROUP}) registered`, status: 404 };
  return provider(namespace, metric, selector);
}
