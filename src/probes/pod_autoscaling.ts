// pod_autoscaling (MUST): the HorizontalPodAutoscaler scales pods that use accelerators on custom
// metrics.
//
// Test plan:
//  1. The custom metrics API (custom.metrics.k8s.io) is served.
//  2. A Deployment whose pods each take one accelerator from the profile and serve a custom
//     metric; the metric reaches the custom metrics API.
//  3. An HPA (autoscaling/v2) on that Pods metric, 1..2 replicas, scale-down stabilisation low.
//  4. Metric above target: the Deployment scales up and the new pod runs on an accelerator node.
//  5. Metric below target: it scales back down.
// The metric is driven by patching each pod's annotation, which the pod serves as its /metrics.
// Step 2 re-asks an aggregated API (no watch exists for metric values) with a bounded backoff.

import type { V1Deployment, V1Node, V1Pod, V1ResourceSlice, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration, seconds as wholeSeconds } from './options.js';
import { exposition, metricsDeployment, METRICS_ANNOTATION } from './lib/metrics-workload.js';
import { planRegistration } from './lib/metrics-registration.js';
import { detectMonitoring } from './lib/prometheus-api.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE } from './lib/probe-pod.js';
import { requireDraApiVersion } from './lib/dra.js';
import { prepareAcceleratorRequest } from './lib/accelerator.js';
import { seconds, untilAnswered } from './lib/probe-timing.js';
import { conditionsOf, describeCondition } from './lib/conditions.js';
import { isNotFound, timeoutFails, unansweredVerdict } from './lib/verdicts.js';

const WORKLOAD = 'autoscaled';
const HPA = 'autoscaled';
export const LOAD_METRIC = 'ai_conformance_probe_load';
const TARGET = 10;
const HIGH = 100;
const LOW = 0;

export const podAutoscalingProbe = defineProbe({
  id: 'pod_autoscaling',
  shares: ['accelerators'],
  // Above its own waits (ready 180 s, metric 300 s, up 300 s, down 300 s + stabilisation).
  timeoutMs: 1_200_000,
  options: {
    'pod-autoscaling.ready-ms': duration(180_000, 'how long the first pod may take to be ready'),
    'pod-autoscaling.metric-ms': duration(300_000, 'how long the custom metric may take to reach the custom metrics API'),
    'pod-autoscaling.scale-ms': duration(300_000, 'how long each scale-up and scale-down may take'),
    'pod-autoscaling.scale-down-stabilization-seconds': wholeSeconds(15, "the HPA's scale-down stabilisation window", 3600),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const stabilizationSeconds = ctx.option('pod-autoscaling.scale-down-stabilization-seconds');
    const scaleTimeoutMs = ctx.option('pod-autoscaling.scale-ms');

    const metricsGroupVersion = await ctx.step('the custom metrics API is served', async () => {
      const version = await customMetricsVersion(ctx);
      if (!version) {
        throw new CheckFailure(
          'the custom metrics API (custom.metrics.k8s.io) is not served: no APIService for a custom metrics adapter such as prometheus-adapter',
        );
      }
      return { seen: `${version} served`, value: version };
    });
    const metric = { groupVersion: metricsGroupVersion, resource: 'pods', name: '*', metric: LOAD_METRIC };

    await ctx.step('a Deployment whose pods use an accelerator serves the custom metric', async () => {
      const { claimTemplateName } = await prepareAcceleratorRequest(ctx, 'autoscaled-accelerator');
      const registered = await planRegistration(ctx, WORKLOAD, await detectMonitoring(ctx), 'auto');
      await ctx.kube.create(
        metricsDeployment(ctx, {
          name: WORKLOAD,
          replicas: 1,
          initialMetrics: load(LOW),
          accelerator: { claimTemplateName },
          annotations: registered.annotations,
        }),
      );
      if (Object.keys(registered.namespaceLabels).length) {
        await ctx.kube.patch(
          { apiVersion: 'v1', kind: 'Namespace', name: ctx.namespace },
          { metadata: { labels: registered.namespaceLabels } },
        );
      }
      for (const object of registered.objects) await ctx.kube.create(object);
      await waitForReplicas(ctx, 1, ctx.option('pod-autoscaling.ready-ms'));
      const outcome = await untilAnswered(
        ctx,
        async () => {
          const list = await ctx.kube.customMetric(metric);
          return (list.items ?? []).length > 0 ? list : undefined;
        },
        { description: `${LOAD_METRIC} of pods in ${metricsGroupVersion}`, deadlineMs: ctx.option('pod-autoscaling.metric-ms') },
      );
      if (!outcome.value) {
        // 404 ("could not find the metric") means not collected yet; any other failure means the
        // API could not be asked, which says nothing about the cluster.
        unansweredVerdict(outcome, {
          what: `read ${LOAD_METRIC} from ${metricsGroupVersion}`,
          notCollected: (why) =>
            `the custom metrics API never reported ${LOAD_METRIC} for the pods (${outcome.attempts} queries${why}); registered by ${registered.how}`,
          meansNotYet: [404],
        });
      }
      const values = (outcome.value.items ?? []).map((item) => `${item.describedObject?.name ?? '?'}=${item.value ?? '?'}`);
      return `1 pod with one accelerator each; ${metricsGroupVersion} reports ${LOAD_METRIC}: ${values.join(', ')} (registered by ${registered.how})`;
    });

    await ctx.step('an HPA on the custom metric is created', async () => {
      await ctx.kube.create({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: HPA },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: WORKLOAD },
          minReplicas: 1,
          maxReplicas: 2,
          metrics: [
            { type: 'Pods', pods: { metric: { name: LOAD_METRIC }, target: { type: 'AverageValue', averageValue: String(TARGET) } } },
          ],
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0 },
            scaleDown: { stabilizationWindowSeconds: stabilizationSeconds, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
          },
        },
      });
      return `HPA ${HPA}: Pods metric ${LOAD_METRIC} average ${TARGET}, 1..2 replicas, scale-down stabilisation ${stabilizationSeconds}s`;
    });

    await ctx.step(`metric above target (${HIGH} > ${TARGET}): scales up onto an accelerator node`, async () => {
      const started = ctx.clock.now();
      const patched = await setLoad(ctx, HIGH);
      await scaledTo(ctx, 2, scaleTimeoutMs);
      const pods = await podsOf(ctx);
      const placements: string[] = [];
      for (const pod of pods) {
        if (pod.status?.phase !== 'Running')
          throw new CheckFailure(`pod ${pod.metadata?.name ?? '?'} is ${pod.status?.phase ?? 'without a phase'} after scale-up`);
        const node = await onAcceleratorNode(ctx, pod);
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
      await setLoad(ctx, LOW);
      await scaledTo(ctx, 1, scaleTimeoutMs + stabilizationSeconds * 1000);
      return `1 replica after ${seconds(ctx.clock.now() - started)}`;
    });
  },
});

function load(value: number): string {
  return exposition(LOAD_METRIC, 'gauge', 'Load reported by the AI conformance autoscaling probe.', value);
}

async function customMetricsVersion(ctx: ProbeContext): Promise<string | undefined> {
  const served = await ctx.kube.groupVersions('custom.metrics.k8s.io');
  return served.find((version) => version.endsWith('/v1beta2')) ?? served[0];
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

async function setLoad(ctx: ProbeContext, value: number): Promise<number> {
  let patched = 0;
  for (const pod of await podsOf(ctx)) {
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: pod.metadata?.name ?? '' };
    try {
      await ctx.kube.patch(ref, { metadata: { annotations: { [METRICS_ANNOTATION]: load(value) } } });
      patched += 1;
    } catch (error) {
      // The HPA may remove a pod between the list and the patch: a pod that is gone needs no load.
      if (!isNotFound(error)) throw error;
    }
  }
  return patched;
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
async function scaledTo(ctx: ProbeContext, want: number, timeoutMs: number): Promise<void> {
  await waitForReplicas(ctx, want, timeoutMs).catch(
    timeoutFails(async () => {
      const hpa = await ctx.kube.get<V2HorizontalPodAutoscaler>({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        namespace: ctx.namespace,
        name: HPA,
      });
      const conditions = conditionsOf(hpa);
      const said = ['ScalingActive', 'AbleToScale', 'ScalingLimited']
        .filter((type) => conditions.some((condition) => condition.type === type))
        .map((type) => describeCondition(conditions, type));
      return `Deployment ${WORKLOAD} did not reach ${want} ready replica(s) within ${seconds(timeoutMs)}; HPA reports current ${hpa?.status?.currentReplicas ?? '?'}, desired ${hpa?.status?.desiredReplicas ?? '?'}${said.length ? `, ${said.join(', ')}` : ''}`;
    }),
  );
}
