// What the simulated monitoring stack has scraped: one model per fake cluster, shared by the
// `prometheus` behaviour (HTTP query API) and the `custom-metrics` behaviour (the adapter), as a
// real prometheus-adapter reads from the same Prometheus.
//
// Scrape targets, as the Prometheus Operator (v0.93 CRD docs) and the community chart configure them:
//  - pods annotated prometheus.io/scrape=true (port from prometheus.io/port), unless the
//    Prometheus has no such scrape config (annotationScrape: false, as kube-prometheus-stack);
//  - pods selected by a PodMonitor, and pods behind a Service selected by a ServiceMonitor, that
//    a Prometheus object selects: `podMonitorSelector`/`serviceMonitorSelector` on the monitor's
//    labels (null = none, {} = all); `podMonitorNamespaceSelector`/`serviceMonitorNamespaceSelector`
//    on its namespace's labels (null = the Prometheus's own namespace only, {} = all). The
//    monitor's own `namespaceSelector` (any / matchNames / its namespace) says where its targets
//    are, unless the Prometheus sets `ignoreNamespaceSelectors` (then: its own namespace only).
//    A PodMonitor endpoint names a container port; a ServiceMonitor endpoint names a Service port,
//    whose targetPort (name or number) is the container port. With no Prometheus object at all,
//    every monitor counts (an operator-less fake used by older scenarios).
//  - pods selected by a PodMonitoring (monitoring.googleapis.com/v1, Google Cloud Managed Service
//    for Prometheus): managed collection scrapes every PodMonitoring, its targets in its own
//    namespace, on the port its endpoint names (name or number).
// A target's series appear `scrapeDelayMs` after it is first seen Ready (one scrape interval).
import type { Store } from '../store.js';
import type { KObj } from '../types.js';
import { isRecord } from '../types.js';
import { matchesLabelSelectorObject } from '../selectors.js';
import type { ControllerContext } from './types.js';
import { arr, isReady, labelsOf, podPorts, podSamples, rec, str } from './workload-model.js';

const PROMETHEUSES = 'prometheuses.monitoring.coreos.com';
const POD_MONITORS = 'podmonitors.monitoring.coreos.com';
const SERVICE_MONITORS = 'servicemonitors.monitoring.coreos.com';
const POD_MONITORINGS = 'podmonitorings.monitoring.googleapis.com';

type MonitorKind = 'pod' | 'service';
const MONITORS: Record<MonitorKind, { resource: string; selector: string; namespaceSelector: string }> = {
  pod: { resource: POD_MONITORS, selector: 'podMonitorSelector', namespaceSelector: 'podMonitorNamespaceSelector' },
  service: { resource: SERVICE_MONITORS, selector: 'serviceMonitorSelector', namespaceSelector: 'serviceMonitorNamespaceSelector' },
};

interface MonitorInEffect {
  monitor: KObj;
  /** The selecting Prometheus ignores the monitor's namespaceSelector. */
  ownNamespaceOnly: boolean;
}

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
  /** Targets other behaviours bring with their own ServiceMonitor (e.g. the DCGM exporter's pods). */
  private readonly sources: (() => Series[])[] = [];

  addSource(source: () => Series[]): void {
    this.sources.push(source);
  }

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

  private monitorsInEffect(kind: MonitorKind): MonitorInEffect[] {
    const { resource, selector, namespaceSelector } = MONITORS[kind];
    if (!this.has(resource)) return [];
    const monitors = this.store.list(resource);
    const prometheuses = this.has(PROMETHEUSES) ? this.store.list(PROMETHEUSES) : [];
    if (prometheuses.length === 0) return monitors.map((monitor) => ({ monitor, ownNamespaceOnly: false }));
    const inEffect: MonitorInEffect[] = [];
    for (const monitor of monitors) {
      const selecting = prometheuses.find((prometheus) => {
        const spec = rec(prometheus.spec);
        // The Prometheus Operator reads an absent selector as "no monitor of this kind".
        if (spec[selector] === undefined || spec[selector] === null) return false;
        if (!matchesLabelSelectorObject(spec[selector], labelsOf(monitor))) return false;
        const namespaces = spec[namespaceSelector];
        if (namespaces === undefined || namespaces === null) return monitor.metadata.namespace === prometheus.metadata.namespace;
        const namespace = this.store.get('namespaces', undefined, monitor.metadata.namespace ?? '');
        return namespace !== undefined && matchesLabelSelectorObject(namespaces, labelsOf(namespace));
      });
      if (selecting) inEffect.push({ monitor, ownNamespaceOnly: rec(selecting.spec).ignoreNamespaceSelectors === true });
    }
    return inEffect;
  }

  /** Whether a monitor looks for targets in the namespace (its namespaceSelector, or its own). */
  private watches({ monitor, ownNamespaceOnly }: MonitorInEffect, namespace: string | undefined): boolean {
    if (ownNamespaceOnly) return monitor.metadata.namespace === namespace;
    const namespaces = rec(rec(monitor.spec).namespaceSelector);
    if (namespaces.any === true) return true;
    if (Array.isArray(namespaces.matchNames)) return namespaces.matchNames.includes(namespace);
    return monitor.metadata.namespace === namespace;
  }

  /** [job, port] for each way the pod is a target. */
  private targetsOf(pod: KObj, podMonitors: MonitorInEffect[], serviceMonitors: MonitorInEffect[]): { job: string; port: number }[] {
    const targets: { job: string; port: number }[] = [];
    const annotations = pod.metadata.annotations ?? {};
    if (this.settings.annotationScrape && annotations['prometheus.io/scrape'] === 'true')
      targets.push({ job: 'kubernetes-pods', port: Number(annotations['prometheus.io/port'] ?? 0) });
    const ports = podPorts(pod);
    const namespace = pod.metadata.namespace;
    for (const entry of podMonitors) {
      const { monitor } = entry;
      if (!this.watches(entry, namespace) || !matchesLabelSelectorObject(rec(monitor.spec).selector ?? {}, labelsOf(pod))) continue;
      for (const endpoint of arr(rec(monitor.spec).podMetricsEndpoints)) {
        const port = ports.find((p) => p.name !== undefined && p.name === str(endpoint.port));
        if (port) targets.push({ job: `${monitor.metadata.namespace ?? ''}/${monitor.metadata.name ?? ''}`, port: port.port });
      }
    }
    for (const monitoring of this.has(POD_MONITORINGS) ? this.store.list(POD_MONITORINGS, { namespace }) : []) {
      if (!matchesLabelSelectorObject(rec(monitoring.spec).selector ?? {}, labelsOf(pod))) continue;
      for (const endpoint of arr(rec(monitoring.spec).endpoints)) {
        const port = typeof endpoint.port === 'number' ? endpoint.port : ports.find((p) => p.name === str(endpoint.port))?.port;
        if (port !== undefined) targets.push({ job: monitoring.metadata.name ?? '', port });
      }
    }
    const watching = serviceMonitors.filter((entry) => this.watches(entry, namespace));
    if (watching.length === 0) return targets;
    // The pod's Services: the endpoints a ServiceMonitor's Service resolves to.
    const services = this.store
      .list('services', { namespace })
      .filter(
        (service) =>
          isRecord(rec(service.spec).selector) && matchesLabelSelectorObject({ matchLabels: rec(service.spec).selector }, labelsOf(pod)),
      );
    for (const { monitor } of watching) {
      for (const service of services) {
        if (!matchesLabelSelectorObject(rec(monitor.spec).selector ?? {}, labelsOf(service))) continue;
        for (const endpoint of arr(rec(monitor.spec).endpoints)) {
          const servicePort = arr(rec(service.spec).ports).find((p) => str(p.name) === str(endpoint.port));
          if (!servicePort) continue;
          const target = servicePort.targetPort ?? servicePort.port;
          const port = typeof target === 'number' ? target : ports.find((p) => p.name === target)?.port;
          if (port !== undefined) targets.push({ job: service.metadata.name ?? '', port });
        }
      }
    }
    return targets;
  }

  /** Every series scraped so far from pods (of one namespace, when given: cheap on large clusters). */
  series(namespace?: string): Series[] {
    if (!this.settings.scrape) return [];
    const podMonitors = this.monitorsInEffect('pod');
    const serviceMonitors = this.monitorsInEffect('service');
    const now = Date.now();
    const out: Series[] = [];
    for (const pod of this.store.list('pods', namespace ? { namespace } : {})) {
      const since = this.readySince.get(this.key(pod));
      if (since === undefined || now - since < this.settings.scrapeDelayMs) continue;
      const targets = this.targetsOf(pod, podMonitors, serviceMonitors);
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
    if (namespace === undefined) for (const source of this.sources) out.push(...source());
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
