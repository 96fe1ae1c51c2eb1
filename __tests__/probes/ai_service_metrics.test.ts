// ai_service_metrics end to end: a workload's metric registered the way the monitoring selects
// targets (a ServiceMonitor or PodMonitor matching the Prometheus object's selectors, a
// PodMonitoring, or annotations) reaches a Prometheus-compatible query API (Prometheus,
// VictoriaMetrics, a URL); a workload the monitoring does not select fails saying why; a
// Prometheus that never scrapes fails; no monitoring system fails; API faults are errors.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { aiServiceMetricsProbe } from '../../src/probes/ai_service_metrics.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { scenarioPath } from './scenarioFile.js';

const fast = (scrapeMs = 3000, extra: Record<string, string> = {}) => ({
  probeOptions: { extra: { 'ai-service-metrics.ready-ms': '5000', 'ai-service-metrics.scrape-ms': String(scrapeMs), ...extra } },
});

const reasonsOf = (run: Awaited<ReturnType<typeof runProbeOnScenario>>) => run.result.checks.map((c) => c.reason).join('\n');

/** A Prometheus Operator Prometheus object in namespace monitoring, as a scenario object. */
const prometheus = (spec: Record<string, unknown>, name = 'kube-prometheus-stack-prometheus') => ({
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'Prometheus',
  metadata: { name, namespace: 'monitoring' },
  spec,
});

describe('ai_service_metrics', () => {
  it('passes on kind-example-dra-1.35 with a ServiceMonitor labelled for the chart-made Prometheus (release=kube-prometheus-stack)', async () => {
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      // Annotations ignored (kube-prometheus-stack's default): only the ServiceMonitor can register it.
      withAddons('kind-example-dra-1.35', [], { behaviours: { prometheus: { scrapeDelayMs: 150, annotationScrape: false } } }),
      fast(),
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = reasonsOf(run);
    expect(reasons).toContain('registered by ServiceMonitor ai-metrics-workload labelled release=kube-prometheus-stack for Service ');
    expect(reasons).toContain(
      'Prometheus monitoring/kube-prometheus-stack-prometheus selects it: serviceMonitorSelector release=kube-prometheus-stack, serviceMonitorNamespaceSelector {} (everything)',
    );
    expect(reasons).toMatch(/ai_conformance_probe_requests_total\{ai_conformance_run="[^"]+"\} = 42 \(\S+\/ai-metrics-workload-/);
    expectClean(run);
  });

  it('passes on kind-example-dra-1.35 with a PodMonitor selected by the Prometheus object (registration podmonitor)', async () => {
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      // Annotations ignored (kube-prometheus-stack's default): only the PodMonitor can register it.
      withAddons('kind-example-dra-1.35', [], { behaviours: { prometheus: { scrapeDelayMs: 150, annotationScrape: false } } }),
      fast(3000, { 'ai-service-metrics.registration': 'podmonitor' }),
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = run.result.checks.map((c) => c.reason).join('\n');
    expect(reasons).toContain('registered by PodMonitor ai-metrics-workload labelled release=kube-prometheus-stack');
    expect(reasons).toMatch(/ai_conformance_probe_requests_total\{ai_conformance_run="[^"]+"\} = 42 \(\S+\/ai-metrics-workload-/);
    expectClean(run);
  });

  it('passes on gpu-nvidia-1.35', async () => {
    const run = await runProbeOnScenario(aiServiceMetricsProbe, scenarioPath('gpu-nvidia-1.35'), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expectClean(run);
  });

  it('creates the PodMonitor in the Prometheus namespace when the Prometheus reads only its own (no podMonitorNamespaceSelector)', async () => {
    const ownNamespaceOnly = {
      objects: [
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'Prometheus',
          metadata: { name: 'kube-prometheus-stack-prometheus', namespace: 'monitoring' },
          spec: { podMonitorSelector: { matchLabels: { team: 'ml' } } },
        },
      ],
      behaviours: { prometheus: { annotationScrape: false } },
    };
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      withAddons('gpu-nvidia-1.35', [], ownNamespaceOnly),
      fast(3000, { 'ai-service-metrics.registration': 'podmonitor' }),
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks.map((c) => c.reason).join('\n')).toContain(
      'registered by PodMonitor ai-metrics-workload in namespace monitoring labelled team=ml',
    );
    expectClean(run);
  });

  it('passes on bare-1.35 plus the community chart (no operator): found by label, registered by annotations', async () => {
    // prometheus-community/prometheus: Service prometheus-server labelled
    // app.kubernetes.io/name=prometheus, port http, scraping annotated pods.
    const communityChart = {
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: 'prometheus-server',
            namespace: 'monitoring',
            labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' },
          },
          spec: { selector: { 'app.kubernetes.io/name': 'prometheus' }, ports: [{ name: 'http', port: 80, targetPort: 9090 }] },
        },
      ],
      behaviours: { prometheus: { namespace: 'monitoring', service: 'prometheus-server', port: 'http' } },
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('bare-1.35', [], communityChart), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = run.result.checks.map((c) => c.reason).join('\n');
    expect(reasons).toContain('Service monitoring/prometheus-server:http (label app.kubernetes.io/name=prometheus)');
    expect(reasons).toContain('pod annotations prometheus.io/scrape');
    expectClean(run);
  });

  it('fails when Prometheus never scrapes (fail-ai-service-metrics-no-scrape-1.35)', async () => {
    const run = await runProbeOnScenario(aiServiceMetricsProbe, scenarioPath('fail-ai-service-metrics-no-scrape-1.35'), fast(300));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(/returned no series within 300ms after \d+ queries/);
    expectClean(run);
  });

  it('fails on bare-1.35: no monitoring system', async () => {
    const run = await runProbeOnScenario(aiServiceMetricsProbe, scenarioPath('bare-1.35'), fast());
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('no monitoring system found');
    expectClean(run);
  });

  it('is an error when Deployments cannot be created', async () => {
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      withAddons('gpu-nvidia-1.35', [], {
        faults: [{ verb: 'create', resource: 'deployments.apps', errorRate: 1, status: 500, message: 'etcd is down' }],
      }),
      fast(),
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    expectClean(run);
  });

  it('is an error, not a failure, when every query for the series fails (503)', async () => {
    // A Prometheus that answers the reachability query but fails every later one.
    const server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query');
      if (query === 'vector(1)') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '1'] }] } }));
        return;
      }
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const options = fast(300);
      const run = await runProbeOnScenario(aiServiceMetricsProbe, scenarioPath('bare-1.35'), {
        probeOptions: { ...options.probeOptions, prometheusUrl: url },
      });
      expect(run.result.verdict, explain(run)).toBe('error');
      const check = run.result.checks.find((c) => c.name === 'the monitoring system collected the workload metric');
      expect(check?.verdict).toBe('error');
      expect(check?.reason).toMatch(/could not query --prometheus-url http:\S+: the last of \d+ queries of .* failed: .*503/);
      expectClean(run);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('registers by annotations, saying so, when the Prometheus object selects no monitor (null selectors)', async () => {
    const noSelector = { objects: [prometheus({})] };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], noSelector), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(reasonsOf(run)).toContain(
      'registered by pod annotations prometheus.io/scrape, port and path (Prometheus monitoring/kube-prometheus-stack-prometheus has no serviceMonitorSelector (null selects no ServiceMonitor); Prometheus monitoring/kube-prometheus-stack-prometheus has no podMonitorSelector (null selects no PodMonitor); this works only where a scrape config honours those annotations)',
    );
    expectClean(run);
  });

  it('fails with the reason when the monitoring selects neither its monitors nor its annotations', async () => {
    const unselected = { objects: [prometheus({})], behaviours: { prometheus: { annotationScrape: false } } };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], unselected), fast(300));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /returned no series within 300ms after \d+ queries; the workload was registered by pod annotations .*has no podMonitorSelector \(null selects no PodMonitor\); this works only where a scrape config honours those annotations/,
    );
    expectClean(run);
  });

  it('fails before deploying when the chosen registration is one no Prometheus selects (registration servicemonitor)', async () => {
    const podMonitorsOnly = { objects: [prometheus({ podMonitorSelector: {}, podMonitorNamespaceSelector: {} })] };
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      withAddons('gpu-nvidia-1.35', [], podMonitorsOnly),
      fast(3000, { 'ai-service-metrics.registration': 'servicemonitor' }),
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toBe(
      "no Prometheus would select the workload's ServiceMonitor: Prometheus monitoring/kube-prometheus-stack-prometheus has no serviceMonitorSelector (null selects no ServiceMonitor)",
    );
    expectClean(run);
  });

  it('satisfies matchExpressions selectors: labels its PodMonitor and its namespace to match', async () => {
    const expressions = {
      objects: [
        prometheus({
          podMonitorSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['ml', 'infra'] }] },
          podMonitorNamespaceSelector: { matchExpressions: [{ key: 'monitoring', operator: 'Exists' }] },
        }),
      ],
      behaviours: { prometheus: { annotationScrape: false } },
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], expressions), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(reasonsOf(run)).toContain(
      'registered by PodMonitor ai-metrics-workload labelled team=ml (Prometheus monitoring/kube-prometheus-stack-prometheus selects it: podMonitorSelector team in (ml,infra), podMonitorNamespaceSelector monitoring)',
    );
    expectClean(run);
  });

  it('creates the ServiceMonitor in the Prometheus namespace when its namespace selector names only that namespace', async () => {
    const byName = {
      objects: [
        prometheus({
          serviceMonitorSelector: {},
          serviceMonitorNamespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        }),
      ],
      behaviours: { prometheus: { annotationScrape: false } },
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], byName), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(reasonsOf(run)).toContain('registered by ServiceMonitor ai-metrics-workload in namespace monitoring for Service ');
    expectClean(run);
  });

  it('fails with the reason when the Prometheus ignores namespace selectors and reads monitors only from namespaces the probe cannot join', async () => {
    const ignoring = {
      objects: [
        prometheus({
          serviceMonitorSelector: {},
          serviceMonitorNamespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          ignoreNamespaceSelectors: true,
        }),
      ],
      behaviours: { prometheus: { annotationScrape: false } },
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], ignoring), fast(300));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('sets ignoreNamespaceSelectors, so a ServiceMonitor there cannot target namespace');
    expectClean(run);
  });

  it('passes on bare-1.35 plus VictoriaMetrics (vm-operator VMCluster): vmselect found by label, queried under /select/0/prometheus', async () => {
    // vm-operator v0.5x: Service vmselect-NAME labelled app.kubernetes.io/name=vmselect, port http
    // 8481, Prometheus API under /select/<tenant>/prometheus; its vmagent honours annotations.
    const victoria = {
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vm' } },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: 'vmselect-main',
            namespace: 'vm',
            labels: { 'app.kubernetes.io/name': 'vmselect', 'app.kubernetes.io/instance': 'main' },
          },
          spec: { selector: { 'app.kubernetes.io/name': 'vmselect' }, ports: [{ name: 'http', port: 8481, targetPort: 8481 }] },
        },
      ],
      behaviours: { prometheus: { namespace: 'vm', service: 'vmselect-main', port: 'http', pathPrefix: '/select/0/prometheus' } },
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('bare-1.35', [], victoria), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = reasonsOf(run);
    expect(reasons).toContain(
      'Service vm/vmselect-main:http/select/0/prometheus (label app.kubernetes.io/name=vmselect) answers /api/v1/query in the Prometheus JSON format',
    );
    expect(reasons).toContain('no Prometheus Operator (monitoring.coreos.com/v1 ServiceMonitor/PodMonitor not served)');
    expectClean(run);
  });

  it('registers by PodMonitoring where Google managed collection runs and no Prometheus Operator does (addons/gmp-podmonitoring)', async () => {
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('bare-1.35', ['gmp-podmonitoring.yaml']), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(reasonsOf(run)).toContain(
      'registered by PodMonitoring ai-metrics-workload (monitoring.googleapis.com/v1: managed collection scrapes every PodMonitoring)',
    );
    expectClean(run);
  });

  it('fails saying so when registration podmonitoring is asked for where PodMonitoring is not served', async () => {
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      scenarioPath('gpu-nvidia-1.35'),
      fast(3000, { 'ai-service-metrics.registration': 'podmonitoring' }),
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toBe('registration podmonitoring: monitoring.googleapis.com/v1 PodMonitoring is not served');
    expectClean(run);
  });

  it('passes with Mimir (mimir-distributed query-frontend, /prometheus prefix), after a Prometheus Service that does not answer', async () => {
    // A Service labelled as Prometheus whose pods are gone (the proxy cannot reach it) comes
    // first; the query-frontend under its default prefix /prometheus answers.
    const mimir = {
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mimir' } },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'old-prometheus', namespace: 'mimir', labels: { 'app.kubernetes.io/name': 'prometheus' } },
          spec: { selector: { app: 'old-prometheus' }, ports: [{ name: 'http', port: 9090, targetPort: 9090 }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: 'mimir-query-frontend',
            namespace: 'mimir',
            labels: { 'app.kubernetes.io/name': 'mimir', 'app.kubernetes.io/component': 'query-frontend' },
          },
          spec: {
            selector: { 'app.kubernetes.io/component': 'query-frontend' },
            ports: [{ name: 'http-metrics', port: 8080, targetPort: 8080 }],
          },
        },
      ],
      behaviours: { prometheus: { namespace: 'mimir', service: 'mimir-query-frontend', port: 'http-metrics', pathPrefix: '/prometheus' } },
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('bare-1.35', [], mimir), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0]?.reason).toMatch(
      /^Service mimir\/mimir-query-frontend:http-metrics\/prometheus \(label app\.kubernetes\.io\/name=mimir,app\.kubernetes\.io\/component=query-frontend\) answers \/api\/v1\/query in the Prometheus JSON format; before it: Service mimir\/old-prometheus:http \(label app\.kubernetes\.io\/name=prometheus\): /,
    );
    expectClean(run);
  });

  it('uses the metric name given by option', async () => {
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      scenarioPath('gpu-nvidia-1.35'),
      fast(3000, { 'ai-service-metrics.metric-name': 'vllm:num_requests_running' }),
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(reasonsOf(run)).toMatch(/vllm:num_requests_running\{ai_conformance_run="[^"]+"\} = 42/);
    expectClean(run);
  });

  it('is an error naming what answered when --prometheus-url is not a Prometheus query API (a UI page)', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Grafana</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prometheus`;
      const run = await runProbeOnScenario(aiServiceMetricsProbe, scenarioPath('bare-1.35'), {
        probeOptions: { ...fast().probeOptions, prometheusUrl: url },
      });
      expect(run.result.verdict, explain(run)).toBe('error');
      expect(run.result.checks[0]?.reason).toContain(
        `--prometheus-url ${url}: the query answer is not JSON (is this a Prometheus HTTP API?)`,
      );
      expectClean(run);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
