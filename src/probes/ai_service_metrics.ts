// ai_service_metrics (MUST): the platform's monitoring system discovers and collects metrics
// that a workload exposes in the Prometheus format.
//
// Test plan:
//  1. Find the monitoring system: --prometheus-url, else a Prometheus found in the cluster.
//  2. Deploy a small workload that serves a counter in the Prometheus text format.
//  3. Register it: a PodMonitor where the Prometheus Operator's API is served, else the
//     prometheus.io scrape annotations.
//  4. Query the monitoring system until the workload's series appears with the value it serves.
//
// Step 4 re-asks an HTTP API: a scrape is not a Kubernetes object, so there is nothing to watch.
// It backs off exponentially (bounded pause) until its deadline.

import type { V1Deployment } from '@kubernetes/client-node';
import { CheckFailure, defineProbe } from './types.js';
import { duration } from './options.js';
import { detectPrometheus, matchers, promQuery } from './lib/prometheus-api.js';
import { exposition, metricsDeployment, registration, METRICS_PATH } from './lib/metrics-workload.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE } from './lib/probe-pod.js';
import { seconds, untilAnswered } from './lib/probe-timing.js';
import { unansweredVerdict } from './lib/verdicts.js';

const WORKLOAD = 'ai-metrics-workload';
export const SERVICE_METRIC = 'ai_conformance_probe_requests_total';
const SERVED_VALUE = 42;

export const aiServiceMetricsProbe = defineProbe({
  id: 'ai_service_metrics',
  timeoutMs: 600_000,
  options: {
    'ai-service-metrics.ready-ms': duration(180_000, 'how long the metrics workload may take to be ready'),
    'ai-service-metrics.scrape-ms': duration(300_000, "how long the monitoring system may take to collect the workload's metric"),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const runLabel = { ai_conformance_run: ctx.kube.runId };
    const prometheus = await ctx.step('a monitoring system that speaks the Prometheus HTTP API is found', async () => {
      const detected = await detectPrometheus(ctx);
      if (!detected) {
        throw new CheckFailure(
          'no monitoring system found: no --prometheus-url, no Prometheus Operator object with a prometheus-operated Service, and no Service labelled as Prometheus',
        );
      }
      await promQuery(ctx, detected.endpoint, 'vector(1)');
      return { seen: `${detected.endpoint.description} answers queries`, value: detected };
    });
    const endpoint = prometheus.endpoint;

    const registered = await registration(ctx, WORKLOAD, prometheus.operated);
    await ctx.step('a workload serving Prometheus metrics runs', async () => {
      const metrics = exposition(
        SERVICE_METRIC,
        'counter',
        'Requests served by the AI conformance probe workload.',
        SERVED_VALUE,
        runLabel,
      );
      await ctx.kube.create(
        metricsDeployment(ctx, { name: WORKLOAD, replicas: 1, initialMetrics: metrics, annotations: registered.annotations }),
      );
      const deployment = await ctx.kube.waitFor<V1Deployment>(
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.namespace, name: WORKLOAD },
        (object) => (object.status?.readyReplicas ?? 0) >= 1,
        { description: `Deployment ${WORKLOAD} ready`, timeoutMs: ctx.option('ai-service-metrics.ready-ms') },
      );
      return `Deployment ${WORKLOAD} has ${deployment.status?.readyReplicas ?? 0} ready pod serving ${SERVICE_METRIC} on :8080${METRICS_PATH}`;
    });

    await ctx.step('the workload is registered with the monitoring system', async () => {
      if (registered.namespaceLabels && Object.keys(registered.namespaceLabels).length) {
        await ctx.kube.patch(
          { apiVersion: 'v1', kind: 'Namespace', name: ctx.namespace },
          { metadata: { labels: registered.namespaceLabels } },
        );
      }
      for (const object of registered.objects) await ctx.kube.create(object);
      return `registered by ${registered.how}`;
    });

    await ctx.step('the monitoring system collected the workload metric', async () => {
      const query = `${SERVICE_METRIC}{${matchers(runLabel)}}`;
      const deadlineMs = ctx.option('ai-service-metrics.scrape-ms');
      const started = ctx.clock.now();
      const outcome = await untilAnswered(
        ctx,
        async () => {
          const samples = await promQuery(ctx, endpoint, query);
          return samples.length > 0 ? samples : undefined;
        },
        { description: query, deadlineMs },
      );
      if (!outcome.value) {
        // Only an empty answer means "not collected"; a failed query (403, 503, proxy error) means
        // the monitoring system could not be asked, so nothing is known.
        unansweredVerdict(outcome, {
          what: `query ${endpoint.description}`,
          query,
          notCollected: () =>
            `${query} returned no series within ${seconds(deadlineMs)} after ${outcome.attempts} queries; the workload was registered by ${registered.how}`,
        });
      }
      const sample = outcome.value[0];
      if (sample.value !== SERVED_VALUE) {
        throw new CheckFailure(`${query} returned ${sample.value}, but the workload serves ${SERVED_VALUE}`);
      }
      const where = [sample.metric.namespace, sample.metric.pod].filter(Boolean).join('/');
      return `${query} = ${sample.value}${where ? ` (${where})` : ''} after ${seconds(ctx.clock.now() - started)}, ${outcome.attempts} queries`;
    });
  },
});
