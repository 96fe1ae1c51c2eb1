// ai_service_metrics end to end: a workload's metric registered by PodMonitor (Prometheus
// Operator) or annotations reaches the Prometheus query API; a Prometheus that never scrapes
// fails; no monitoring system fails; API faults are errors.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { aiServiceMetricsProbe } from '../../src/probes/ai_service_metrics.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { scenarioPath } from './scenarioFile.js';

const fast = (scrapeMs = 3000) => ({
  probeOptions: { extra: { 'ai-service-metrics.ready-ms': '5000', 'ai-service-metrics.scrape-ms': String(scrapeMs) } },
});

describe('ai_service_metrics', () => {
  it('passes on kind-example-dra-1.35 with a PodMonitor selected by the Prometheus object', async () => {
    const run = await runProbeOnScenario(
      aiServiceMetricsProbe,
      // Annotations ignored (kube-prometheus-stack's default): only the PodMonitor can register it.
      withAddons('kind-example-dra-1.35', [], { behaviours: { prometheus: { scrapeDelayMs: 150, annotationScrape: false } } }),
      fast(),
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
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], ownNamespaceOnly), fast());
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

  it('registers by annotations too when the Prometheus object has no podMonitorSelector (it selects no PodMonitor)', async () => {
    const noSelector = {
      objects: [
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'Prometheus',
          metadata: { name: 'kube-prometheus-stack-prometheus', namespace: 'monitoring' },
          spec: {},
        },
      ],
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], noSelector), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks.map((c) => c.reason).join('\n')).toContain(
      'registered by PodMonitor ai-metrics-workload in namespace monitoring (Prometheus monitoring/kube-prometheus-stack-prometheus has no podMonitorSelector, so it selects no PodMonitor) and pod annotations prometheus.io/scrape',
    );
    expectClean(run);
  });

  it('does not trust its PodMonitor labels when the podMonitorSelector uses matchExpressions', async () => {
    const expressions = {
      objects: [
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'Prometheus',
          metadata: { name: 'kube-prometheus-stack-prometheus', namespace: 'monitoring' },
          spec: {
            podMonitorSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['ml'] }] },
            podMonitorNamespaceSelector: {},
          },
        },
      ],
    };
    const run = await runProbeOnScenario(aiServiceMetricsProbe, withAddons('gpu-nvidia-1.35', [], expressions), fast());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks.map((c) => c.reason).join('\n')).toContain(
      'registered by PodMonitor ai-metrics-workload (Prometheus monitoring/kube-prometheus-stack-prometheus selects PodMonitors with matchExpressions, which the probe does not try to satisfy) and pod annotations prometheus.io/scrape',
    );
    expectClean(run);
  });
});
