// How the probes' metrics workload (metrics-workload.ts) is registered with the cluster's
// monitoring, the way that monitoring actually selects scrape targets:
//  - Prometheus Operator (monitoring.coreos.com/v1): a ServiceMonitor (with a Service) or a
//    PodMonitor labelled so that a Prometheus object's serviceMonitorSelector/podMonitorSelector
//    selects it, in a namespace its serviceMonitorNamespaceSelector/podMonitorNamespaceSelector
//    selects. As the operator documents them (Prometheus CRD, v0.93): an empty selector `{}`
//    selects everything, a null one selects nothing; a null namespace selector means the
//    Prometheus's own namespace only; `ignoreNamespaceSelectors` restricts a monitor to targets
//    in its own namespace.
//  - Google Cloud Managed Service for Prometheus (monitoring.googleapis.com/v1): a PodMonitoring,
//    which managed collection scrapes wherever it is (no selectors).
//  - Otherwise the prometheus.io/scrape annotations, which only scrape configs written to honour
//    them do (the community chart's); the evidence says so.

import type { KubernetesObject, V1LabelSelector, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { ObjectWithSpec } from '../../kube/types.js';
import { CheckFailure, type ProbeContext } from '../types.js';
import { describeSelector, labelsToSatisfy, selects } from './label-selectors.js';
import { METRICS_PATH, METRICS_PORT, METRICS_PORT_NAME } from './metrics-workload.js';
import type { DetectedMonitoring, PrometheusResource } from './prometheus-api.js';

export const REGISTRATIONS = ['auto', 'servicemonitor', 'podmonitor', 'podmonitoring', 'annotations'] as const;
export type RegistrationChoice = (typeof REGISTRATIONS)[number];

export interface Registration {
  /** Evidence: what registers the workload, and why that way. */
  how: string;
  /** Pod annotations (registration by annotation). */
  annotations: Record<string, string>;
  /** Objects to create after the Deployment (a Service and its ServiceMonitor, say); nothing orders them. */
  objects: KubernetesObject[];
  /** Labels to add to the probe's namespace so that the Prometheus's namespace selector selects it. */
  namespaceLabels: Record<string, string>;
}

type MonitorKind = 'ServiceMonitor' | 'PodMonitor';

const SELECTORS: Record<
  MonitorKind,
  {
    selector: 'serviceMonitorSelector' | 'podMonitorSelector';
    namespaces: 'serviceMonitorNamespaceSelector' | 'podMonitorNamespaceSelector';
    plural: string;
  }
> = {
  ServiceMonitor: { selector: 'serviceMonitorSelector', namespaces: 'serviceMonitorNamespaceSelector', plural: 'servicemonitors' },
  PodMonitor: { selector: 'podMonitorSelector', namespaces: 'podMonitorNamespaceSelector', plural: 'podmonitors' },
};

const BY_ANNOTATIONS = 'pod annotations prometheus.io/scrape, port and path';
const ANNOTATIONS_CAVEAT = 'this works only where a scrape config honours those annotations';

/** Annotations the Prometheus community charts' scrape configs honour. */
export function scrapeAnnotations(): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT), 'prometheus.io/path': METRICS_PATH };
}

function nameOf(prometheus: PrometheusResource): string {
  return `Prometheus ${prometheus.metadata?.namespace ?? '?'}/${prometheus.metadata?.name ?? '?'}`;
}

interface Placement {
  namespace: string;
  labels: Record<string, string>;
  namespaceLabels: Record<string, string>;
  why: string;
}

/** Where and how labelled a monitor of this kind must be for the Prometheus to select it; a string says why it cannot be. */
function placementFor(
  ctx: ProbeContext,
  prometheus: PrometheusResource,
  kind: MonitorKind,
  namespaces: { probe: V1Namespace | undefined; prometheus: V1Namespace | undefined },
): Placement | string {
  const { selector: selectorField, namespaces: namespaceField } = SELECTORS[kind];
  const spec = prometheus.spec ?? {};
  const selector = spec[selectorField];
  if (selector == null) return `${nameOf(prometheus)} has no ${selectorField} (null selects no ${kind})`;
  const labels = labelsToSatisfy(selector);
  if (!labels) return `${nameOf(prometheus)}'s ${selectorField} ${describeSelector(selector)} cannot be satisfied`;
  const selected = `${selectorField} ${describeSelector(selector)}`;
  const own = prometheus.metadata?.namespace ?? '';
  const namespaceSelector: V1LabelSelector | null | undefined = spec[namespaceField];
  const ignoring = spec.ignoreNamespaceSelectors === true;
  const inOwn = (why: string): Placement | string =>
    ignoring && own !== ctx.namespace
      ? `${nameOf(prometheus)} reads ${kind}s from namespaces the probe's cannot join (${why}) and sets ignoreNamespaceSelectors, so a ${kind} there cannot target namespace ${ctx.namespace}`
      : { namespace: own, labels, namespaceLabels: {}, why: `${selected}; ${why}` };
  if (namespaceSelector == null) return inOwn(`${namespaceField} is null: its own namespace only`);
  const probeLabels = namespaces.probe?.metadata?.labels ?? {};
  const namespaceLabels = labelsToSatisfy(namespaceSelector, probeLabels);
  const namespacesSelected = `${namespaceField} ${describeSelector(namespaceSelector)}`;
  if (namespaceLabels) return { namespace: ctx.namespace, labels, namespaceLabels, why: `${selected}, ${namespacesSelected}` };
  if (selects(namespaceSelector, namespaces.prometheus?.metadata?.labels ?? {}))
    return inOwn(`${namespacesSelected} selects its own namespace`);
  return `${nameOf(prometheus)}'s ${namespacesSelected} selects neither namespace ${ctx.namespace} (labels cannot be made to match) nor its own`;
}

function monitorObject(ctx: ProbeContext, name: string, kind: MonitorKind, placement: Placement): ObjectWithSpec {
  const endpoint = { port: METRICS_PORT_NAME, path: METRICS_PATH, interval: '5s' };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind,
    metadata: { name, namespace: placement.namespace, labels: placement.labels },
    spec: {
      selector: { matchLabels: { app: name } },
      namespaceSelector: { matchNames: [ctx.namespace] },
      ...(kind === 'ServiceMonitor' ? { endpoints: [endpoint] } : { podMetricsEndpoints: [endpoint] }),
    },
  };
}

/** The Service a ServiceMonitor finds the workload's pods by. */
function metricsService(ctx: ProbeContext, name: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ctx.namespace, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: METRICS_PORT_NAME, port: METRICS_PORT, targetPort: METRICS_PORT_NAME }] },
  };
}

function describeMonitor(ctx: ProbeContext, name: string, kind: MonitorKind, placement: Placement, by: string): string {
  const where = placement.namespace === ctx.namespace ? '' : ` in namespace ${placement.namespace}`;
  const labelled = Object.keys(placement.labels).length
    ? ` labelled ${Object.entries(placement.labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(',')}`
    : '';
  const service = kind === 'ServiceMonitor' ? ` for Service ${ctx.namespace}/${name}` : '';
  return `${kind} ${name}${where}${labelled}${service} (${by})`;
}

function operatorRegistration(ctx: ProbeContext, name: string, kind: MonitorKind, placement: Placement, by: string): Registration {
  return {
    how: describeMonitor(ctx, name, kind, placement, by),
    annotations: {},
    objects: [...(kind === 'ServiceMonitor' ? [metricsService(ctx, name)] : []), monitorObject(ctx, name, kind, placement)],
    namespaceLabels: placement.namespaceLabels,
  };
}

function byAnnotations(why: string): Registration {
  return { how: `${BY_ANNOTATIONS} (${why}; ${ANNOTATIONS_CAVEAT})`, annotations: scrapeAnnotations(), objects: [], namespaceLabels: {} };
}

function podMonitoring(ctx: ProbeContext, name: string): Registration {
  const podMonitoringObject: ObjectWithSpec = {
    apiVersion: 'monitoring.googleapis.com/v1',
    kind: 'PodMonitoring',
    metadata: { name, namespace: ctx.namespace },
    spec: { selector: { matchLabels: { app: name } }, endpoints: [{ port: METRICS_PORT_NAME, path: METRICS_PATH, interval: '5s' }] },
  };
  return {
    how: `PodMonitoring ${name} (monitoring.googleapis.com/v1: managed collection scrapes every PodMonitoring)`,
    annotations: {},
    objects: [podMonitoringObject],
    namespaceLabels: {},
  };
}

async function served(ctx: ProbeContext, groupVersion: string, plural: string): Promise<boolean> {
  return (await ctx.kube.resources(groupVersion))?.some((resource) => resource.name === plural) ?? false;
}

/**
 * Plans the registration of pods labelled app=NAME. `auto`: a ServiceMonitor, else a PodMonitor,
 * that a Prometheus object selects (the one queried first); else a PodMonitoring where Google's
 * managed collection is installed; else annotations. A chosen kind that no Prometheus selects is
 * a failure: the monitoring would never collect the workload.
 */
export async function planRegistration(
  ctx: ProbeContext,
  name: string,
  monitoring: DetectedMonitoring,
  choice: RegistrationChoice,
): Promise<Registration> {
  if (choice === 'annotations') return byAnnotations('asked for by option');
  if (choice === 'podmonitoring') {
    if (!(await served(ctx, 'monitoring.googleapis.com/v1', 'podmonitorings')))
      throw new CheckFailure('registration podmonitoring: monitoring.googleapis.com/v1 PodMonitoring is not served');
    return podMonitoring(ctx, name);
  }
  const kinds: MonitorKind[] =
    choice === 'servicemonitor' ? ['ServiceMonitor'] : choice === 'podmonitor' ? ['PodMonitor'] : ['ServiceMonitor', 'PodMonitor'];
  const servedKinds: MonitorKind[] = [];
  for (const kind of kinds) if (await served(ctx, 'monitoring.coreos.com/v1', SELECTORS[kind].plural)) servedKinds.push(kind);
  const prometheuses = monitoring.prometheuses ?? [];
  if (choice !== 'auto' && servedKinds.length === 0)
    throw new CheckFailure(`registration ${choice}: monitoring.coreos.com/v1 ${kinds[0]} is not served`);

  const reasons: string[] = [];
  if (servedKinds.length > 0 && prometheuses.length > 0) {
    // Namespaces read once each; the probe's and the first Prometheus's together (usually all that is needed).
    const reads = new Map<string, Promise<V1Namespace | undefined>>();
    const namespace = (name: string): Promise<V1Namespace | undefined> => {
      let read = reads.get(name);
      if (!read) {
        read = ctx.kube.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name });
        read.catch(() => undefined); // awaited below
        reads.set(name, read);
      }
      return read;
    };
    const first = prometheuses[0].metadata?.namespace;
    if (first) void namespace(first);
    const probe = await namespace(ctx.namespace);
    for (const prometheus of prometheuses) {
      const own = prometheus.metadata?.namespace ?? '';
      const namespaces = { probe, prometheus: await namespace(own) };
      for (const kind of servedKinds) {
        const placement = placementFor(ctx, prometheus, kind, namespaces);
        if (typeof placement !== 'string')
          return operatorRegistration(ctx, name, kind, placement, `${nameOf(prometheus)} selects it: ${placement.why}`);
        reasons.push(placement);
      }
    }
    if (choice !== 'auto') throw new CheckFailure(`no Prometheus would select the workload's ${kinds[0]}: ${reasons.join('; ')}`);
  } else if (servedKinds.length > 0) {
    // The operator's API without Prometheus objects the probe can see: its monitors may still be read.
    const placement: Placement = { namespace: ctx.namespace, labels: {}, namespaceLabels: {}, why: '' };
    if (choice !== 'auto')
      return operatorRegistration(ctx, name, servedKinds[0], placement, 'no Prometheus object found, so it carries no selector labels');
    reasons.push('no Prometheus object found');
  } else {
    reasons.push('no Prometheus Operator (monitoring.coreos.com/v1 ServiceMonitor/PodMonitor not served)');
  }
  if (await served(ctx, 'monitoring.googleapis.com/v1', 'podmonitorings')) return podMonitoring(ctx, name);
  return byAnnotations(reasons.join('; '));
}

/** Registers the workload as planned: the namespace labels and the objects, sent together (nothing orders them). */
export async function applyRegistration(ctx: ProbeContext, registration: Registration): Promise<void> {
  const labels = registration.namespaceLabels;
  await Promise.all([
    Object.keys(labels).length
      ? ctx.kube.patch({ apiVersion: 'v1', kind: 'Namespace', name: ctx.namespace }, { metadata: { labels } })
      : Promise.resolve(),
    ...registration.objects.map((object) => ctx.kube.create(object)),
  ]);
}
