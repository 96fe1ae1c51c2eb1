// pod_autoscaling (MUST): the HorizontalPodAutoscaler scales pods that use accelerators on custom
// metrics.
//
// Test plan:
//  1. A metrics API an HPA reads custom metrics from is served: custom.metrics.k8s.io (an
//     adapter such as prometheus-adapter) or external.metrics.k8s.io (KEDA's metrics server, or
//     an adapter's external rules), by their APIServices being Available. Option
//     pod-autoscaling.metric-source chooses; auto takes custom, else KEDA, else external.
//  2. A Deployment whose pods each take one accelerator from the profile and serve a custom
//     metric (option pod-autoscaling.metric-name), registered with the monitoring the way it
//     selects targets; with the custom metrics API, the metric reaches it.
//  3. What scales on it, 1..2 replicas, scale-down stabilisation low: an HPA (autoscaling/v2) on
//     the Pods metric; an HPA on the External metric; or a KEDA ScaledObject with a Prometheus
//     trigger, whose HPA keda-hpa-<name> KEDA makes.
//  4. Through the external metrics API: the metric reaches it as that HPA will ask.
//  5. Metric above target: the Deployment scales up and the new pod runs on an accelerator node.
//  6. Metric below target: it scales back down.
// The metric is driven by patching each pod's annotation, which the pod serves as its /metrics.
// Steps 2 and 4 re-ask an aggregated API (no watch exists for metric values) with a bounded backoff.

import type {
  V1APIService,
  V1Deployment,
  V1Node,
  V1Pod,
  V1ResourceSlice,
  V2HorizontalPodAutoscaler,
  V2MetricSpec,
} from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { choice, duration, metricName, seconds as wholeSeconds } from './options.js';
import { exposition, metricsDeployment, METRICS_ANNOTATION } from './lib/metrics-workload.js';
import { applyRegistration, planRegistration } from './lib/metrics-registration.js';
import { answeringQueryApi, detectMonitoring, inClusterUrl } from './lib/prometheus-api.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE } from './lib/probe-pod.js';
import { requireDraApiVersion } from './lib/dra.js';
import { prepareAcceleratorRequest } from './lib/accelerator.js';
import { seconds, untilAnswered } from './lib/probe-timing.js';
import { conditionsOf, describeCondition } from './lib/conditions.js';
import { apiErrorOf } from './lib/api-error.js';
import { isNotFound, timeoutFails, unansweredVerdict } from './lib/verdicts.js';

const WORKLOAD = 'autoscaled';
const HPA = 'autoscaled';
/** KEDA names the HPA it makes for a ScaledObject keda-hpa-<name>. */
const KEDA_HPA = `keda-hpa-${WORKLOAD}`;
export const LOAD_METRIC = 'ai_conformance_probe_load';
const TARGET = 10;
const HIGH = 100;
const LOW = 0;

const CUSTOM = 'custom.metrics.k8s.io';
const EXTERNAL = 'external.metrics.k8s.io';
const SOURCES = ['auto', 'custom', 'external', 'keda'] as const;
type Source = Exclude<(typeof SOURCES)[number], 'auto'>;

export const podAutoscalingProbe = defineProbe({
  id: 'pod_autoscaling',
  shares: ['accelerators'],
  // Above its own waits (ready 180 s, metric 300 s, up 300 s, down 300 s + stabilisation).
  timeoutMs: 1_200_000,
  options: {
    'pod-autoscaling.ready-ms': duration(180_000, 'how long the first pod may take to be ready'),
    'pod-autoscaling.metric-ms': duration(300_000, 'how long the custom metric may take to reach the metrics API'),
    'pod-autoscaling.scale-ms': duration(300_000, 'how long each scale-up and scale-down may take'),
    'pod-autoscaling.scale-down-stabilization-seconds': wholeSeconds(15, "the HPA's scale-down stabilisation window", 3600),
    'pod-autoscaling.metric-name': metricName(LOAD_METRIC, 'the gauge each pod serves and the HPA scales on'),
    'pod-autoscaling.metric-source': choice(
      SOURCES,
      'auto',
      'what feeds the HPA: custom (a Pods metric from custom.metrics.k8s.io), external (an External metric from external.metrics.k8s.io), keda (a KEDA ScaledObject with a Prometheus trigger); auto: custom where served, else keda, else external',
    ),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const stabilizationSeconds = ctx.option('pod-autoscaling.scale-down-stabilization-seconds');
    const scaleTimeoutMs = ctx.option('pod-autoscaling.scale-ms');
    const metric = ctx.option('pod-autoscaling.metric-name');
    const behavior = {
      scaleUp: { stabilizationWindowSeconds: 0 },
      scaleDown: { stabilizationWindowSeconds: stabilizationSeconds, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    };

    const source = await ctx.step('a metrics API the HPA reads custom metrics from is served', async () => {
      const apis = await metricsApis(ctx);
      const chosen = chooseSource(apis, ctx.option('pod-autoscaling.metric-source'));
      const others = apis.notes.length ? `; ${apis.notes.join('; ')}` : '';
      return { seen: `${chosen.groupVersion} served${chosen.via ? ` (${chosen.via})` : ''}: ${chosen.why}${others}`, value: chosen };
    });
    const hpaName = source.kind === 'keda' ? KEDA_HPA : HPA;

    const monitoring = await ctx.step('a Deployment whose pods use an accelerator serves the custom metric', async () => {
      // The accelerator request and the monitoring's way of selecting targets are independent: read together.
      const [{ claimTemplateName }, { detected, registered }] = await Promise.all([
        prepareAcceleratorRequest(ctx, 'autoscaled-accelerator'),
        detectMonitoring(ctx).then(async (detected) => ({ detected, registered: await planRegistration(ctx, WORKLOAD, detected, 'auto') })),
      ]);
      await ctx.kube.create(
        metricsDeployment(ctx, {
          name: WORKLOAD,
          replicas: 1,
          initialMetrics: load(metric, LOW),
          accelerator: { claimTemplateName },
          annotations: registered.annotations,
        }),
      );
      await applyRegistration(ctx, registered);
      await waitForReplicas(ctx, 1, ctx.option('pod-autoscaling.ready-ms'));
      if (source.kind !== 'custom') {
        return { seen: `1 pod with one accelerator serves ${metric} (registered by ${registered.how})`, value: detected };
      }
      const ref = { groupVersion: source.groupVersion, resource: 'pods', name: '*', metric };
      const outcome = await untilAnswered(
        ctx,
        async () => {
          const list = await ctx.kube.customMetric(ref);
          return (list.items ?? []).length > 0 ? list : undefined;
        },
        { description: `${metric} of pods in ${source.groupVersion}`, deadlineMs: ctx.option('pod-autoscaling.metric-ms') },
      );
      if (!outcome.value) {
        // 404 ("could not find the metric") means not collected yet; any other failure means the
        // API could not be asked, which says nothing about the cluster.
        unansweredVerdict(outcome, {
          what: `read ${metric} from ${source.groupVersion}`,
          notCollected: (why) =>
            `the custom metrics API never reported ${metric} for the pods (${outcome.attempts} queries${why}); registered by ${registered.how}`,
          meansNotYet: [404],
        });
      }
      const values = (outcome.value.items ?? []).map((item) => `${item.describedObject?.name ?? '?'}=${item.value ?? '?'}`);
      return {
        seen: `1 pod with one accelerator each; ${source.groupVersion} reports ${metric}: ${values.join(', ')} (registered by ${registered.how})`,
        value: detected,
      };
    });

    const hpaMetric = await ctx.step('an HPA on the custom metric is created (directly or by KEDA)', async () => {
      if (source.kind === 'keda') {
        const { api, refused } = await answeringQueryApi(ctx, monitoring.endpoints);
        const serverAddress = api && inClusterUrl(api.endpoint);
        if (!api || !serverAddress) {
          throw new CheckFailure(
            `KEDA's Prometheus trigger needs a Prometheus query API inside the cluster, and none was found${refused.length ? `: ${refused.join('; ')}` : ''}`,
          );
        }
        const query = `sum(${metric}{namespace=${JSON.stringify(ctx.namespace)}})`;
        await ctx.kube.create({
          apiVersion: 'keda.sh/v1alpha1',
          kind: 'ScaledObject',
          metadata: { name: WORKLOAD },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: WORKLOAD },
            minReplicaCount: 1,
            maxReplicaCount: 2,
            pollingInterval: 5,
            advanced: { horizontalPodAutoscalerConfig: { behavior } },
            triggers: [{ type: 'prometheus', metadata: { serverAddress, query, threshold: String(TARGET) } }],
          },
        });
        const hpa = await ctx.kube
          .waitFor<V2HorizontalPodAutoscaler>(
            { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: ctx.namespace, name: KEDA_HPA },
            (object) => (object.spec?.metrics ?? []).some((spec) => spec.type === 'External'),
            { description: `KEDA's HPA ${KEDA_HPA}`, timeoutMs: ctx.option('pod-autoscaling.metric-ms') },
          )
          .catch(timeoutFails(async () => `KEDA made no HPA ${KEDA_HPA} for ScaledObject ${WORKLOAD}: ${await scaledObjectSays(ctx)}`));
        const spec = (hpa.spec?.metrics ?? []).find((one) => one.type === 'External')?.external;
        const labelSelector = Object.entries(spec?.metric.selector?.matchLabels ?? {})
          .map(([key, value]) => `${key}=${value}`)
          .join(',');
        return {
          seen: `ScaledObject ${WORKLOAD} (Prometheus trigger ${query} at ${serverAddress}, threshold ${TARGET}, 1..2 replicas, scale-down stabilisation ${stabilizationSeconds}s); KEDA made HPA ${KEDA_HPA} on External metric ${spec?.metric.name ?? '?'}`,
          value: { metric: spec?.metric.name ?? '', labelSelector },
        };
      }
      const metricSpec: V2MetricSpec =
        source.kind === 'custom'
          ? { type: 'Pods', pods: { metric: { name: metric }, target: { type: 'AverageValue', averageValue: String(TARGET) } } }
          : { type: 'External', external: { metric: { name: metric }, target: { type: 'AverageValue', averageValue: String(TARGET) } } };
      await ctx.kube.create({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: HPA },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: WORKLOAD },
          minReplicas: 1,
          maxReplicas: 2,
          metrics: [metricSpec],
          behavior,
        },
      });
      return {
        seen: `HPA ${HPA}: ${metricSpec.type} metric ${metric} average ${TARGET}, 1..2 replicas, scale-down stabilisation ${stabilizationSeconds}s`,
        value: { metric, labelSelector: '' },
      };
    });

    if (source.kind !== 'custom') {
      await ctx.step('the external metrics API reports the metric', async () => {
        const ref = { groupVersion: source.groupVersion, metric: hpaMetric.metric, labelSelector: hpaMetric.labelSelector || undefined };
        const described = `${hpaMetric.metric}${hpaMetric.labelSelector ? `{${hpaMetric.labelSelector}}` : ''} in ${source.groupVersion}`;
        const outcome = await untilAnswered(
          ctx,
          async () => {
            const list = await ctx.kube.externalMetric(ref);
            return (list.items ?? []).length > 0 ? list : undefined;
          },
          { description: described, deadlineMs: ctx.option('pod-autoscaling.metric-ms') },
        );
        if (!outcome.value) {
          unansweredVerdict(outcome, {
            what: `read ${described}`,
            notCollected: (why) => `the external metrics API never reported ${described} (${outcome.attempts} queries${why})`,
            meansNotYet: [404],
          });
        }
        return `${described} = ${(outcome.value.items ?? []).map((item) => item.value ?? '?').join(', ')}`;
      });
    }

    await ctx.step(`metric above target (${HIGH} > ${TARGET}): scales up onto an accelerator node`, async () => {
      const started = ctx.clock.now();
      const patched = await setLoad(ctx, metric, HIGH);
      await scaledTo(ctx, hpaName, 2, scaleTimeoutMs);
      const pods = await podsOf(ctx);
      // Each node looked at once, all together; judged pod by pod.
      const lookups = new Map<string, Promise<string | undefined>>();
      const nodes = pods.map((pod) => {
        if (pod.status?.phase !== 'Running') return Promise.resolve(undefined);
        const key = pod.spec?.nodeName ?? '';
        const lookup = lookups.get(key) ?? onAcceleratorNode(ctx, pod);
        lookups.set(key, lookup);
        lookup.catch(() => undefined); // awaited below, in order
        return lookup;
      });
      const placements: string[] = [];
      for (const [index, pod] of pods.entries()) {
        if (pod.status?.phase !== 'Running')
          throw new CheckFailure(`pod ${pod.metadata?.name ?? '?'} is ${pod.status?.phase ?? 'without a phase'} after scale-up`);
        const node = await nodes[index];
        if (!node)
          throw new CheckFailure(
            `pod ${pod.metadata?.name ?? '?'} runs on ${pod.spec?.nodeName ?? 'no node'}, which offers no ${ctx.profile.name} accelerator`,
          );
        placements.push(`${pod.metadata?.name ?? '?'} on ${node}`);
      }
      return `${patched} pod(s) report ${HIGH}; 2 replicas after ${seconds(ctx.clock.now() - started)}: ${placements.join('; ')}`;
    });

    await ctx.step(`metric below target (${LOW} < ${TARGET}): scales down`, async () => {
      const started = ctx.clock.now();
      await setLoad(ctx, metric, LOW);
      await scaledTo(ctx, hpaName, 1, scaleTimeoutMs + stabilizationSeconds * 1000);
      return `1 replica after ${seconds(ctx.clock.now() - started)}`;
    });
  },
});

interface MetricsApis {
  /** Served group/versions, preferred first. */
  custom: string[];
  external: string[];
  /** Where the external metrics API is served from (its APIService's Service). */
  externalService?: string;
  /** KEDA's ScaledObject API is served. */
  keda: boolean;
  /** APIServices present but not Available, and how availability was read. */
  notes: string[];
}

const API_SERVICES = [`v1beta2.${CUSTOM}`, `v1beta1.${CUSTOM}`, `v1beta1.${EXTERNAL}`];

/**
 * The metrics APIs served: their APIServices (one get each) and whether each is Available, as
 * the aggregator reports; discovery where APIServices cannot be read (no RBAC for them).
 */
async function metricsApis(ctx: ProbeContext): Promise<MetricsApis> {
  const apis: MetricsApis = { custom: [], external: [], keda: false, notes: [] };
  // Three independent reads and KEDA's discovery, sent together; judged in order.
  const reads = API_SERVICES.map((name) =>
    ctx.kube.get<V1APIService>({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', name }).then(
      (found) => ({ found }),
      (error: unknown) => ({ error }),
    ),
  );
  const keda = ctx.kube.resources('keda.sh/v1alpha1');
  keda.catch(() => undefined); // awaited below
  for (const [index, name] of API_SERVICES.entries()) {
    const [version, ...group] = name.split('.');
    const groupVersion = `${group.join('.')}/${version}`;
    const into = groupVersion.startsWith(CUSTOM) ? apis.custom : apis.external;
    const read = await reads[index];
    if ('error' in read) {
      if (apiErrorOf(read.error).code !== 403) throw read.error;
      apis.notes.push(`APIService ${name} cannot be read (403), so discovery decides`);
      if ((await ctx.kube.groupVersions(group.join('.'))).includes(groupVersion)) into.push(groupVersion);
      continue;
    }
    const apiService = read.found;
    if (!apiService) continue;
    const available = conditionsOf(apiService).find((condition) => condition.type === 'Available');
    if (available?.status === 'True') {
      into.push(groupVersion);
      const service = apiService.spec?.service;
      if (into === apis.external && service) apis.externalService = `${service.namespace ?? '?'}/${service.name ?? '?'}`;
    } else {
      apis.notes.push(`APIService ${name} is not Available (${describeCondition(conditionsOf(apiService), 'Available')})`);
    }
  }
  apis.keda = (await keda)?.some((resource) => resource.name === 'scaledobjects') ?? false;
  return apis;
}

interface ChosenSource {
  kind: Source;
  groupVersion: string;
  via?: string;
  why: string;
}

/** The metrics API to scale through: the option's, or custom, else KEDA, else external. */
function chooseSource(apis: MetricsApis, wanted: (typeof SOURCES)[number]): ChosenSource {
  // What is not served says why, with the APIServices found but not Available.
  const fail = (message: string): never => {
    throw new CheckFailure(apis.notes.length ? `${message}; ${apis.notes.join('; ')}` : message);
  };
  const custom = apis.custom[0];
  const external = apis.external[0];
  const via = apis.externalService && `APIService backed by ${apis.externalService}`;
  const nothing = `the custom metrics API (${CUSTOM}) is not served (no Available APIService ${API_SERVICES.slice(0, 2).join(' or ')})`;
  const noExternal = `the external metrics API (${EXTERNAL}) is not served (no Available APIService ${API_SERVICES[2]})`;
  if (wanted === 'custom' || (wanted === 'auto' && custom)) {
    if (!custom) fail(`metric source custom: ${nothing}`);
    return { kind: 'custom', groupVersion: custom, why: 'an HPA on a Pods metric reads it' };
  }
  if (wanted === 'auto' && !external) {
    fail(
      `no metrics API an HPA can scale on custom metrics through is served: ${nothing}, and ${noExternal}; install an adapter such as prometheus-adapter, or KEDA`,
    );
  }
  if (!external) fail(`metric source ${wanted}: ${noExternal}`);
  if (wanted === 'keda' || (wanted === 'auto' && apis.keda)) {
    if (!apis.keda) fail('metric source keda: KEDA is not installed (keda.sh/v1alpha1 ScaledObject is not served)');
    return { kind: 'keda', groupVersion: external, via, why: `KEDA's ScaledObject (keda.sh/v1alpha1) drives an HPA on an External metric` };
  }
  return { kind: 'external', groupVersion: external, via, why: 'an HPA on an External metric reads it' };
}

/** What KEDA says of the probe's ScaledObject (its Ready condition). */
async function scaledObjectSays(ctx: ProbeContext): Promise<string> {
  const scaledObject = await ctx.kube.get({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    namespace: ctx.namespace,
    name: WORKLOAD,
  });
  return scaledObject ? describeCondition(conditionsOf(scaledObject), 'Ready') : 'the ScaledObject is gone';
}

function load(metric: string, value: number): string {
  return exposition(metric, 'gauge', 'Load reported by the AI conformance autoscaling probe.', value);
}

/** Quantity strings as the metrics APIs write them: "100", "1500m", "2k". */
export function quantityValue(text: string): number {
  const match = /^([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const factor: Record<string, number> = {
    '': 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
  };
  return Number(match[1]) * (factor[match[2]] ?? Number.NaN);
}

async function podsOf(ctx: ProbeContext): Promise<V1Pod[]> {
  const pods = await ctx.kube.list<V1Pod>(
    { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace },
    { labelSelector: `app=${WORKLOAD}` },
  );
  return pods.filter((pod) => !pod.metadata?.deletionTimestamp);
}

async function setLoad(ctx: ProbeContext, metric: string, value: number): Promise<number> {
  // One patch per replica (at most two), sent together.
  const patched = await Promise.all(
    (await podsOf(ctx)).map(async (pod) => {
      const ref = { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: pod.metadata?.name ?? '' };
      try {
        await ctx.kube.patch(ref, { metadata: { annotations: { [METRICS_ANNOTATION]: load(metric, value) } } });
        return 1;
      } catch (error) {
        // The HPA may remove a pod between the list and the patch: a pod that is gone needs no load.
        if (!isNotFound(error)) throw error;
        return 0;
      }
    }),
  );
  return patched.reduce((sum: number, one) => sum + one, 0);
}

/** Whether the node the pod runs on offers the profile's accelerator (one node, one query). */
async function onAcceleratorNode(ctx: ProbeContext, pod: V1Pod): Promise<string | undefined> {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return undefined;
  if (ctx.profile.mechanism === 'extended-resource') {
    const node = await ctx.kube.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName });
    const count = node?.status?.allocatable?.[ctx.profile.resourceName ?? ''];
    return count && quantityValue(count) > 0 ? `${nodeName} (${ctx.profile.resourceName}: ${count})` : undefined;
  }
  const apiVersion = await requireDraApiVersion(ctx.kube);
  const slices = await ctx.kube.listPage<V1ResourceSlice>(
    { apiVersion, kind: 'ResourceSlice' },
    { fieldSelector: `spec.nodeName=${nodeName}`, limit: 50 },
  );
  const driver = ctx.profile.driver;
  const match = slices.items.some((slice) => !driver || slice.spec.driver === driver);
  return match ? `${nodeName} (ResourceSlice of ${driver ?? 'a DRA driver'})` : undefined;
}

async function waitForReplicas(ctx: ProbeContext, want: number, timeoutMs: number): Promise<V1Deployment> {
  return ctx.kube.waitFor<V1Deployment>(
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.namespace, name: WORKLOAD },
    (deployment) =>
      deployment.spec?.replicas === want && (deployment.status?.readyReplicas ?? 0) === want && (deployment.status?.replicas ?? 0) === want,
    { description: `Deployment ${WORKLOAD} at ${want} ready replica(s)`, timeoutMs },
  );
}

/** The HPA did not get there in time: the requirement is not met; say what the HPA reports. */
async function scaledTo(ctx: ProbeContext, hpaName: string, want: number, timeoutMs: number): Promise<void> {
  await waitForReplicas(ctx, want, timeoutMs).catch(
    timeoutFails(async () => {
      const hpa = await ctx.kube.get<V2HorizontalPodAutoscaler>({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        namespace: ctx.namespace,
        name: hpaName,
      });
      const conditions = conditionsOf(hpa);
      const said = ['ScalingActive', 'AbleToScale', 'ScalingLimited']
        .filter((type) => conditions.some((condition) => condition.type === type))
        .map((type) => describeCondition(conditions, type));
      return `Deployment ${WORKLOAD} did not reach ${want} ready replica(s) within ${seconds(timeoutMs)}; HPA${hpaName === HPA ? '' : ` ${hpaName}`} reports current ${hpa?.status?.currentReplicas ?? '?'}, desired ${hpa?.status?.desiredReplicas ?? '?'}${said.length ? `, ${said.join(', ')}` : ''}`;
    }),
  );
}
