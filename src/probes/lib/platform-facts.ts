// Platform facts: which component a probe found and the version the cluster states for it, read
// from the places each project really writes it (checked against the release manifests in
// ../shared/fixtures/addons):
//   - the image tag of the controller's container (Kueue's kueue-controller-manager runs
//     registry.k8s.io/kueue/kueue:v0.19.2, Envoy Gateway docker.io/envoyproxy/gateway:v1.9.0);
//   - the app.kubernetes.io/version label Helm charts put on their objects (Envoy Gateway's dev
//     chart writes "latest" there, which is no version);
//   - CRD annotations: gateway.networking.k8s.io/bundle-version on the Gateway API CRDs,
//     operator.prometheus.io/version on the Prometheus Operator's.
// A component whose version is stated nowhere is reported without one ("version not found"),
// never with a guess. Reading facts never fails a probe: a denied or failed read becomes the
// fact's source line. Every read names one object or is label-selected and capped, so it costs
// the same on any cluster size.

import type { V1Container, V1CustomResourceDefinition, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import { ALL_NAMESPACES } from '../../kube/types.js';
import type { ProbeContext } from '../types.js';
import type { HttpEndpoint, PrometheusResource } from './prometheus-api.js';
import { apiErrorOf } from './api-error.js';
import { gatewayImplementation } from './gateway-implementations.js';

export const VERSION_LABEL = 'app.kubernetes.io/version';
export const GATEWAY_BUNDLE_VERSION = 'gateway.networking.k8s.io/bundle-version';
export const PROMETHEUS_OPERATOR_VERSION = 'operator.prometheus.io/version';

/** At least major.minor, as projects tag releases: v0.19.2, 0.93.0, 4.2.3-4.1.3-ubuntu22.04, v1.37.0-gke.1. */
const VERSION = /^v?\d+\.\d+(?:[.+-][0-9A-Za-z.+-]*)?$/;

/** The text when it reads as a release version; undefined for "latest", a commit id, "" or nothing. */
export function asVersion(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed && VERSION.test(trimmed) ? trimmed : undefined;
}

/** The tag of an image reference (registry:port/repo:tag@digest); undefined when it has none. */
export function imageTag(image: string): string | undefined {
  const name = image.split('@')[0] ?? '';
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon < 0 ? undefined : last.slice(colon + 1);
}

/** What reading one component's version found: the version, and where it was read or why none was. */
export interface VersionReading {
  version?: string;
  source: string;
}

function containersOf(object: V1Deployment | V1Pod): V1Container[] {
  const spec = object.spec;
  if (!spec) return [];
  return 'template' in spec ? (spec.template.spec?.containers ?? []) : spec.containers;
}

/**
 * The version a workload states: the image tag of its controller container (named, else the
 * first) when that is a version, else its app.kubernetes.io/version label. `what` names the
 * object, e.g. "Deployment kueue-system/kueue-controller-manager".
 */
export function workloadVersion(object: V1Deployment | V1Pod, what: string, container?: string): VersionReading {
  const containers = containersOf(object);
  const chosen = (container ? containers.find((c) => c.name === container) : undefined) ?? containers.at(0);
  const image = chosen?.image ?? '';
  const tagged = asVersion(imageTag(image));
  if (tagged) return { version: tagged, source: `image ${image} of ${what}` };
  const label = object.metadata?.labels?.[VERSION_LABEL];
  const labelled = asVersion(label);
  if (labelled) return { version: labelled, source: `label ${VERSION_LABEL} of ${what}` };
  const imageSays = image ? `image ${image} carries no version tag` : 'no container image';
  const labelSays = label ? `label ${VERSION_LABEL} is '${label}'` : `no ${VERSION_LABEL} label`;
  return { source: `${what}: ${imageSays}, ${labelSays}` };
}

function objectName(kind: string, object: { metadata?: { namespace?: string; name?: string } }): string {
  const { namespace, name } = object.metadata ?? {};
  return `${kind} ${namespace ? `${namespace}/` : ''}${name ?? '?'}`;
}

function readFailure(what: string, error: unknown): string {
  const { code, message } = apiErrorOf(error);
  return `${what} could not be read (${code ? `HTTP ${code}: ` : ''}${message})`;
}

/** How a component's controller is found: the labels its documented installs put on the Deployment. */
export interface ControllerSpec {
  component: string;
  /** Label selectors tried in order; the first Deployment found is the controller. */
  selectors: readonly string[];
  /** The controller's container, where the Deployment also runs sidecars. */
  container?: string;
}

/** The version of a component's controller Deployment, found by its labels in any namespace. */
export async function controllerVersion(ctx: ProbeContext, spec: ControllerSpec): Promise<VersionReading> {
  for (const labelSelector of spec.selectors) {
    let deployments: V1Deployment[];
    try {
      deployments = (
        await ctx.kube.listPage<V1Deployment>(
          { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ALL_NAMESPACES },
          { labelSelector, limit: 5 },
        )
      ).items;
    } catch (error) {
      return { source: readFailure(`Deployments labelled ${labelSelector}`, error) };
    }
    const deployment = deployments.at(0);
    if (deployment) return workloadVersion(deployment, objectName('Deployment', deployment), spec.container);
  }
  return { source: `no controller Deployment labelled ${spec.selectors.join(' or ')} found` };
}

/** Reports a component and the version of its controller Deployment. */
export async function reportController(ctx: ProbeContext, spec: ControllerSpec, detail?: string): Promise<void> {
  const reading = await controllerVersion(ctx, spec);
  ctx.fact({ component: spec.component, ...reading, ...(detail ? { detail } : {}) });
}

/** Reports a component from pods the probe already read (no extra request): the first Running one's image or label. */
export function reportPods(ctx: ProbeContext, component: string, pods: readonly V1Pod[], detail?: string, container?: string): void {
  const pod = pods.find((p) => p.status?.phase === 'Running') ?? pods.at(0);
  const reading: VersionReading = pod ? workloadVersion(pod, objectName('pod', pod), container) : { source: 'no pod of it found' };
  ctx.fact({ component, ...reading, ...(detail ? { detail } : {}) });
}

/** The version a CRD annotation states (e.g. the Gateway API bundle version). */
export async function crdAnnotationVersion(ctx: ProbeContext, crd: string, annotation: string): Promise<VersionReading> {
  let object: V1CustomResourceDefinition | undefined;
  try {
    object = await ctx.kube.get<V1CustomResourceDefinition>({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: crd,
    });
  } catch (error) {
    return { source: readFailure(`CRD ${crd}`, error) };
  }
  if (!object) return { source: `CRD ${crd} not found` };
  const value = object.metadata?.annotations?.[annotation];
  const version = asVersion(value);
  if (version) return { version, source: `annotation ${annotation} of CRD ${crd}` };
  return { source: value ? `annotation ${annotation} of CRD ${crd} is '${value}'` : `CRD ${crd} has no ${annotation} annotation` };
}

interface GatewayClassLike {
  metadata?: { name?: string };
  spec?: { controllerName?: string };
}

/**
 * The Gateway API facts of a GatewayClass the probe chose: the CRD bundle version, and the
 * implementation behind its controllerName with the version of its controller Deployment
 * (where the implementation is one we know how to find; managed controllers have none in the
 * cluster).
 */
export async function reportGatewayFacts(ctx: ProbeContext, apiVersion: string, className: string): Promise<void> {
  // Two independent reads, sent together.
  const bundleRead = crdAnnotationVersion(ctx, 'gatewayclasses.gateway.networking.k8s.io', GATEWAY_BUNDLE_VERSION);
  const classRead = ctx.kube
    .get<GatewayClassLike & { apiVersion?: string; kind?: string }>({ apiVersion, kind: 'GatewayClass', name: className })
    .then(
      (found) => ({ found }),
      (error: unknown) => ({ error }),
    );
  ctx.fact({ component: 'Gateway API CRDs', ...(await bundleRead) });
  const read = await classRead;
  if ('error' in read) {
    ctx.fact({ component: 'Gateway API controller', source: readFailure(`GatewayClass ${className}`, read.error) });
    return;
  }
  const gatewayClass: GatewayClassLike | undefined = read.found;
  const controllerName = gatewayClass?.spec?.controllerName;
  if (!controllerName) {
    ctx.fact({ component: 'Gateway API controller', source: `GatewayClass ${className} names no controllerName` });
    return;
  }
  const detail = `GatewayClass ${className}, controllerName ${controllerName}`;
  const known = gatewayImplementation(controllerName);
  if (!known) {
    ctx.fact({
      component: 'Gateway API controller',
      source: `controllerName ${controllerName} is not one whose controller Deployment the tool knows`,
      detail,
    });
    return;
  }
  await reportController(ctx, { component: known.title, selectors: [known.selector], container: known.container }, detail);
}

/** The Prometheus Operator's Prometheus object, with the fields that say which Prometheus it runs. */
type VersionedPrometheus = PrometheusResource & { spec?: { version?: string; image?: string } };

/** Which Prometheus a Prometheus object runs: spec.version, else the tag of spec.image. */
function prometheusVersion(prometheus: VersionedPrometheus): VersionReading {
  const what = objectName('Prometheus', prometheus);
  const declared = asVersion(prometheus.spec?.version);
  if (declared) return { version: declared, source: `spec.version of ${what}` };
  const image = prometheus.spec?.image;
  const tagged = asVersion(image ? imageTag(image) : undefined);
  if (tagged && image) return { version: tagged, source: `image ${image} of ${what}` };
  return { source: `${what} sets neither spec.version nor spec.image (the operator's default version applies)` };
}

/**
 * The monitoring stack's facts for the query API a probe uses: behind the Prometheus Operator's
 * prometheus-operated Service, the operator (its CRDs' version annotation) and the Prometheus
 * object there (spec.version or spec.image); behind another Service, that Service's
 * app.kubernetes.io/version label; a --prometheus-url is not read from the cluster.
 */
export async function reportMonitoringFacts(
  ctx: ProbeContext,
  endpoint: HttpEndpoint,
  prometheuses?: readonly PrometheusResource[],
): Promise<void> {
  if (endpoint.kind !== 'service') {
    ctx.fact({ component: 'Prometheus HTTP API', source: `${endpoint.description}: given, not read from the cluster` });
    return;
  }
  const detail = endpoint.description;
  if (endpoint.service === 'prometheus-operated') {
    const operator = await crdAnnotationVersion(ctx, 'prometheuses.monitoring.coreos.com', PROMETHEUS_OPERATOR_VERSION);
    ctx.fact({ component: 'Prometheus Operator', ...operator });
    const here = (prometheuses ?? []).filter((prometheus) => prometheus.metadata?.namespace === endpoint.namespace);
    for (const prometheus of here) ctx.fact({ component: 'Prometheus', ...prometheusVersion(prometheus), detail });
    if (here.length > 0) return;
  }
  let labels: Record<string, string> | undefined;
  try {
    const service = await ctx.kube.get<V1Service>({
      apiVersion: 'v1',
      kind: 'Service',
      namespace: endpoint.namespace,
      name: endpoint.service,
    });
    labels = service?.metadata?.labels;
  } catch (error) {
    ctx.fact({ component: 'Prometheus HTTP API', source: readFailure(`Service ${endpoint.namespace}/${endpoint.service}`, error), detail });
    return;
  }
  const label = labels?.[VERSION_LABEL];
  const version = asVersion(label);
  const what = `Service ${endpoint.namespace}/${endpoint.service}`;
  ctx.fact({
    component: 'Prometheus HTTP API',
    ...(version
      ? { version, source: `label ${VERSION_LABEL} of ${what}` }
      : { source: label ? `label ${VERSION_LABEL} of ${what} is '${label}'` : `${what} has no ${VERSION_LABEL} label` }),
    detail,
  });
}
