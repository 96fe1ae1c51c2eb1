// ai_service_metrics (MUST): the platform's monitoring system discovers and collects metrics
// that a workload exposes in the Prometheus format.
//
// Test plan:
//  1. Find the monitoring system: --prometheus-url, else in the cluster (the Prometheus
//     Operator's prometheus-operated Service, else Prometheus, Thanos Query, VictoriaMetrics or
//     Mimir Services by their usual labels); the first whose /api/v1/query answers in the
//     Prometheus JSON format is used.
//  2. Read how it selects scrape targets, and plan the registration to match: a ServiceMonitor
//     or PodMonitor labelled (and its namespace labelled) so that a Prometheus object's selectors
//     select it, a PodMonitoring (Google managed collection), else the prometheus.io
//     annotations. Option ai-service-metrics.registration forces one way.
//  3. Deploy a small workload that serves a counter (option ai-service-metrics.metric-name) in
//     the Prometheus text format.
//  4. Register it as planned.
//  5. Query the monitoring system until the workload's series appears with the value it serves.
//
// Step 5 re-asks an HTTP API: a scrape is not a Kubernetes object, so there is nothing to watch.
// It backs off exponentially (bounded pause) until its deadline.

import type { V1Deployment } from '@kubernetes/client-node';
import { CheckFailure, defineProbe } from './types.js';
import { choice, duration, metricName } from './options.js';
import { answeringQueryApi, detectMonitoring, matchers, promQuery } from './lib/prometheus-api.js';
import { exposition, metricsDeployment, METRICS_PATH } from './lib/metrics-workload.js';
import { applyRegistration, planRegistration, REGISTRATIONS } from './lib/metrics-registration.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE } from './lib/probe-pod.js';
import { seconds, untilAnswered } from './lib/probe-timing.js';
import { unansweredVerdict } from './lib/verdicts.js';
import { reportMonitoringFacts } from './lib/platform-facts.js';

const WORKLOAD = 'ai-metrics-workload';
export const SERVICE_METRIC = 'ai_conformance_probe_requests_total';
const SERVED_VALUE = 42;

export const aiServiceMetricsProbe = defineProbe({
  id: 'ai_service_metrics',
  timeoutMs: 600_000,
  options: {
    'ai-service-metrics.ready-ms': duration(180_000, 'how long the metrics workload may take to be ready'),
    'ai-service-metrics.scrape-ms': duration(300_000, "how long the monitoring system may take to collect the workload's metric"),
    'ai-service-metrics.metric-name': metricName(SERVICE_METRIC, 'the counter the workload serves and the probe queries'),
    'ai-service-metrics.registration': choice(
      REGISTRATIONS,
      'auto',
      "how the workload is registered; auto: a ServiceMonitor or PodMonitor a Prometheus object's selectors select, else a PodMonitoring, else prometheus.io annotations",
    ),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const runLabel = { ai_conformance_run: ctx.kube.runId };
    const metric = ctx.option('ai-service-metrics.metric-name');

    const { endpoint, monitoring } = await ctx.step('a monitoring system that speaks the Prometheus HTTP API is found', async () => {
      const monitoring = await detectMonitoring(ctx);
      if (monitoring.endpoints.length === 0) {
        throw new CheckFailure(
          'no monitoring system found: no --prometheus-url, no Prometheus Operator object with a prometheus-operated Service, and no Service labelled as Prometheus, Thanos Query, VictoriaMetrics or Mimir',
        );
      }
      const { api, refused } = await answeringQueryApi(ctx, monitoring.endpoints);
      // Found but not answering says nothing of the requirement: the API server's proxy, a
      // network policy or an auth proxy may stand in the way.
      if (!api) throw new Error(`no monitoring system found answers the Prometheus query API: ${refused.join('; ')}`);
      return { seen: api.seen, value: { endpoint: api.endpoint, monitoring } };
    });
    // The monitoring facts are reads the plan does not depend on: gathered meanwhile.
    const [registered] = await Promise.all([
      ctx.step('the way the monitoring system selects scrape targets is read', async () => {
        const plan = await planRegistration(ctx, WORKLOAD, monitoring, ctx.option('ai-service-metrics.registration'));
        return { seen: `register by ${plan.how}`, value: plan };
      }),
      reportMonitoringFacts(ctx, endpoint, monitoring.prometheuses),
    ]);

    await ctx.step('a workload serving Prometheus metrics runs', async () => {
      const metrics = exposition(metric, 'counter', 'Requests served by the AI conformance probe workload.', SERVED_VALUE, runLabel);
      await ctx.kube.create(
        metricsDeployment(ctx, { name: WORKLOAD, replicas: 1, initialMetrics: metrics, annotations: registered.annotations }),
      );
      const deployment = await ctx.kube.waitFor<V1Deployment>(
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.namespace, name: WORKLOAD },
        (object) => (object.status?.readyReplicas ?? 0) >= 1,
        { description: `Deployment ${WORKLOAD} ready`, timeoutMs: ctx.option('ai-service-metrics.ready-ms') },
      );
      return `Deployment ${WORKLOAD} has ${deployment.status?.readyReplicas ?? 0} ready pod serving ${metric} on :8080${METRICS_PATH}`;
    });

    await ctx.step('the workload is registered with the monitoring system', async () => {
      await applyRegistration(ctx, registered);
      return `registered by ${registered.how}`;
    });

    await ctx.step('the monitoring system collected the workload metric', async () => {
      const query = `${metric}{${matchers(runLabel)}}`;
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
