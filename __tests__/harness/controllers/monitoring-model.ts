// What the simulated monitoring stack has scraped: one model per fake cluster, shared by the
// `prometheus` behaviour (HTTP query API) and the `custom-metrics` behaviour (the adapter), as a
// real prometheus-adapter reads from the same Prometheus.
//
// Scrape targets, as the Prometheus Operator and the community chart configure them:
//  - pods annotated prometheus.io/scrape=true (port from prometheus.io/port), unless the
//    Prometheus has no such scrape config (annotationScrape: false, as kube-prometheus-stack);
//  - pods selected by a PodMonitor that a Prometheus object selects (podMonitorSelector on the
//    PodMonitor's labels, null = none, as the Prometheus Operator reads it;
//    podMonitorNamespaceSelector null = its own namespace only, {} = all),
//    on a container port named by the PodMonitor endpoint.
// A target's series appear `scrapeDelayMs` after it is first seen Ready (one scrape interval).
import type { Store } from '../store.js';
import type { KObj } from '../types.js';
import { isRecord } from '../types.js';
import { matchesLabelSelectorObject } from '../selectors.js';
import type { ControllerContext } from './types.js';
import { arr, isReady, labelsOf, podPorts, podSamples, rec, str } from './workload-model.js';

const PROMETHEUSES = 'prometheuses.monitoring.coreos.com';
const POD_MONITORS = 'podmonitors.monitoring.coreos.com';

export interface Series {
  labels: Record<string, string>;
  value: number;
}

export interface ScrapeSettings {
  /** false: targets are discovered but never scraped (a broken scrape config). */
  scrape: boolean;
  scrapeDelayMs: number;
  /** false: pods' prometheus.io/scrape annotations are ignored (no such scrape config). */
  annotationScrape: boolean;
}

class MonitoringModel {
  private readonly readySince = new Map<string, number>();
  settings: ScrapeSettings = { scrape: true, scrapeDelayMs: 0, annotationScrape: true };

  constructor(
    private readonly store: Store,
    private readonly has: (key: string) => boolean,
  ) {
    for (const pod of store.list('pods')) this.track(pod);
    store.subscribe((event) => {
      if (event.resource !== 'pods') return;
      if (event.type === 'DELETED') this.readySince.delete(this.key(event.object));
      else this.track(event.object);
    });
  }

  private key(pod: KObj): string {
    return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}/${pod.metadata.uid ?? ''}`;
  }

  private track(pod: KObj): void {
    const key = this.key(pod);
    if (isReady(pod)) {
      if (!this.readySince.has(key)) this.readySince.set(key, Date.now());
    } else this.readySince.delete(key);
  }

  private podMonitorsInEffect(): KObj[] {
    if (!this.has(POD_MONITORS)) return [];
    const monitors = this.store.list(POD_MONITORS);
    const prometheuses = this.has(PROMETHEUSES) ? this.store.list(PROMETHEUSES) : [];
    if (prometheuses.length === 0) return monitors;
    return monitors.filter((monitor) =>
      prometheuses.some((prometheus) => {
        const spec = rec(prometheus.spec);
        // The Prometheus Operator reads an absent podMonitorSelector as "no PodMonitor".
        if (spec.podMonitorSelector === undefined || spec.podMonitorSelector === null) return false;
        if (!matchesLabelSelectorObject(spec.podMonitorSelector, labelsOf(monitor))) return false;
        const namespaceSelector = spec.podMonitorNamespaceSelector;
        if (namespaceSelector === undefined || namespaceSelector === null)
          return monitor.metadata.namespace === prometheus.metadata.namespace;
        const namespace = this.store.get('namespaces', undefined, monitor.metadata.namespace ?? '');
        return namespace !== undefined && matchesLabelSelectorObject(namespaceSelector, labelsOf(namespace));
      }),
    );
  }

  /** [job, port] for each way the pod is a target. */
  private targetsOf(pod: KObj, monitors: KObj[]): { job: string; port: number }[] {
    const targets: { job: string; port: number }[] = [];
    const annotations = pod.metadata.annotations ?? {};
    if (this.settings.annotationScrape && annotations['prometheus.io/scrape'] === 'true')
      targets.push({ job: 'kubernetes-pods', port: Number(annotations['prometheus.io/port'] ?? 0) });
    const ports = podPorts(pod);
    for (const monitor of monitors) {
      const spec = rec(monitor.spec);
      const namespaces = rec(spec.namespaceSelector);
      const inNamespace =
        namespaces.any === true ||
        (Array.isArray(namespaces.matchNames)
          ? namespaces.matchNames.includes(pod.metadata.namespace)
          : monitor.metadata.namespace === pod.metadata.namespace);
      if (!inNamespace || !matchesLabelSelectorObject(spec.selector ?? {}, labelsOf(pod))) continue;
      for (const endpoint of arr(spec.podMetricsEndpoints)) {
        const port = ports.find((p) => p.name !== undefined && p.name === str(endpoint.port));
        if (port) targets.push({ job: `${monitor.metadata.namespace ?? ''}/${monitor.metadata.name ?? ''}`, port: port.port });
      }
    }
    return targets;
  }

  /** Every series scraped so far from pods (of one namespace, when given: cheap on large clusters). */
  series(namespace?: string): Series[] {
    if (!this.settings.scrape) return [];
    const monitors = this.podMonitorsInEffect();
    const now = Date.now();
    const out: Series[] = [];
    for (const pod of this.store.list('pods', namespace ? { namespace } : {})) {
      const since = this.readySince.get(this.key(pod));
      if (since === undefined || now - since < this.settings.scrapeDelayMs) continue;
      const targets = this.targetsOf(pod, monitors);
      if (targets.length === 0) continue;
      const samples = podSamples(pod);
      const podIP = str(rec(pod.status).podIP) ?? '10.0.0.1';
      for (const target of targets) {
        for (const sample of samples) {
          out.push({
            value: sample.value,
            labels: {
              ...sample.labels,
              __name__: sample.name,
              job: target.job,
              namespace: pod.metadata.namespace ?? '',
              pod: pod.metadata.name ?? '',
              instance: `${podIP}:${target.port}`,
            },
          });
        }
      }
    }
    return out;
  }
}

const models = new WeakMap<Store, MonitoringModel>();

export function monitoringModel(ctx: ControllerContext): MonitoringModel {
  let model = models.get(ctx.store);
  if (!model) {
    model = new MonitoringModel(ctx.store, (key) => ctx.registry.byKey(key) !== undefined);
    models.set(ctx.store, model);
  }
  return model;
}

export function numberParam(params: Record<string, unknown>, key: string, fallback: number): number {
  const value = params[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return isRecord(value);
}
