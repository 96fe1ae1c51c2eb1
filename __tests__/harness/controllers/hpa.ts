// Simulated HorizontalPodAutoscaler controller (behaviour `hpa`, autoscaling/v2): Pods metrics
// with AverageValue targets, read per pod from the custom metrics API, and External metrics
// (AverageValue or Value targets) read from the external metrics API — each only when that
// aggregated API is registered, like the real HPA asking the APIService. It computes
// ceil(replicas * usage / target) within min/max and a 10% tolerance (an External AverageValue's
// usage is the metric's total over the current replicas, as upstream's GetExternalMetricReplicas),
// and writes the Deployment's replicas. Scale-down takes the highest recommendation of the last
// behavior.scaleDown.stabilizationWindowSeconds (default 300); scale-up that of
// behavior.scaleUp.stabilizationWindowSeconds (default 0).
// Parameters: syncMs (default 1000, the real loop is 15 s), timeScale (default 1; multiplies the
// stabilisation windows so scenarios can run in milliseconds: 0.01 makes 15 s into 150 ms).
import type { KObj } from '../types.js';
import { matchesLabelSelectorObject } from '../selectors.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import { CUSTOM_METRICS_GROUP, podMetricValues } from './custom-metrics.js';
import { externalMetricValues } from './external-metrics.js';
import { numberParam } from './monitoring-model.js';
import { arr, condition, isTerminal, quantity, rec, str } from './workload-model.js';

const HPAS = 'horizontalpodautoscalers.autoscaling';
const TOLERANCE = 0.1;

export const hpaController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const syncMs = numberParam(ctx.params, 'syncMs', 1000);
  const timeScale = numberParam(ctx.params, 'timeScale', 1);
  const history = new Map<string, { at: number; replicas: number }[]>();
  let stopped = false;

  const writeStatus = (hpa: KObj, status: Record<string, unknown>): void => {
    const before = rec(hpa.status);
    const strip = (value: Record<string, unknown>) =>
      JSON.stringify({
        ...value,
        conditions: arr(value.conditions).map(({ lastTransitionTime: _t, ...rest }) => rest),
        lastScaleTime: undefined,
      });
    if (strip(before) === strip(status)) return;
    ctx.store.mutate(HPAS, hpa.metadata.namespace, hpa.metadata.name ?? '', (obj) => ({ ...obj, status }), 'status');
  };

  const sync = (hpa: KObj): void => {
    const spec = rec(hpa.spec);
    const namespace = hpa.metadata.namespace ?? '';
    const target = rec(spec.scaleTargetRef);
    const minReplicas = Number(spec.minReplicas ?? 1);
    const maxReplicas = Number(spec.maxReplicas ?? 1);
    if (target.kind !== 'Deployment') return;
    const deployment = ctx.store.get('deployments.apps', namespace, str(target.name) ?? '');
    if (!deployment) {
      writeStatus(hpa, {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [condition('AbleToScale', 'False', 'FailedGetScale', `deployments/${str(target.name) ?? ''} not found`)],
      });
      return;
    }
    const current = Number(rec(deployment.spec).replicas ?? 1);
    const pods = ctx.store
      .list('pods', { namespace })
      .filter(
        (pod) =>
          !isTerminal(pod) && matchesLabelSelectorObject(rec(deployment.spec).selector, pod.metadata.labels as Record<string, string>),
      );
    const metric = arr(spec.metrics).find((m) => m.type === 'Pods' || m.type === 'External');
    if (!metric) return;
    const failed = (reason: string, message: string): void =>
      writeStatus(hpa, {
        currentReplicas: current,
        desiredReplicas: current,
        conditions: [condition('ScalingActive', 'False', reason, message)],
      });
    let ratio: number;
    let metricName: string;
    let currentMetric: Record<string, unknown>;
    if (metric.type === 'Pods') {
      metricName = str(rec(rec(metric.pods).metric).name) ?? '';
      const targetValue = quantity(rec(rec(metric.pods).target).averageValue);
      if (targetValue <= 0) return;
      if (!ctx.registry.groupVersion(CUSTOM_METRICS_GROUP, 'v1beta1')) {
        failed('FailedGetPodsMetric', `unable to get metric ${metricName}: no custom metrics API (${CUSTOM_METRICS_GROUP}) registered`);
        return;
      }
      const values = podMetricValues(ctx, namespace, metricName, pods);
      if (values.length === 0) {
        failed('FailedGetPodsMetric', `unable to get metric ${metricName}: no metrics returned from custom metrics API`);
        return;
      }
      const average = values.reduce((sum, v) => sum + v.value, 0) / values.length;
      ratio = average / targetValue;
      currentMetric = {
        type: 'Pods',
        pods: { metric: { name: metricName }, current: { averageValue: String(Math.round(average * 1000) / 1000) } },
      };
    } else {
      const external = rec(metric.external);
      metricName = str(rec(external.metric).name) ?? '';
      const selector = rec(rec(rec(external.metric).selector).matchLabels) as Record<string, string>;
      const target = rec(external.target);
      const perPod = target.type === 'AverageValue';
      const targetValue = quantity(perPod ? target.averageValue : target.value);
      if (targetValue <= 0) return;
      const answer = externalMetricValues(ctx, namespace, metricName, selector);
      if ('error' in answer) {
        failed(
          'FailedGetExternalMetric',
          `unable to get external metric ${namespace}/${metricName}: unable to fetch metrics from external metrics API: ${answer.error}`,
        );
        return;
      }
      const total = answer.values.reduce((sum, value) => sum + value, 0);
      ratio = perPod ? total / (targetValue * Math.max(current, 1)) : total / targetValue;
      const shown = String(Math.round((perPod ? total / Math.max(current, 1) : total) * 1000) / 1000);
      currentMetric = {
        type: 'External',
        external: {
          metric: { name: metricName, selector: rec(external.metric).selector },
          current: perPod ? { averageValue: shown } : { value: shown },
        },
      };
    }
    let recommendation = Math.abs(ratio - 1) <= TOLERANCE ? current : Math.ceil(current * ratio);
    recommendation = Math.min(maxReplicas, Math.max(minReplicas, recommendation));

    const key = `${namespace}/${hpa.metadata.name ?? ''}`;
    const now = Date.now();
    const behavior = rec(spec.behavior);
    const downWindow = Number(rec(behavior.scaleDown).stabilizationWindowSeconds ?? 300) * 1000 * timeScale;
    const upWindow = Number(rec(behavior.scaleUp).stabilizationWindowSeconds ?? 0) * 1000 * timeScale;
    const past = (history.get(key) ?? []).filter((entry) => now - entry.at <= Math.max(downWindow, upWindow));
    past.push({ at: now, replicas: recommendation });
    history.set(key, past);
    let desired = current;
    if (recommendation > current) desired = Math.min(...past.filter((e) => now - e.at <= upWindow).map((e) => e.replicas), recommendation);
    else if (recommendation < current)
      desired = Math.max(...past.filter((e) => now - e.at <= downWindow).map((e) => e.replicas), recommendation);
    desired = Math.min(maxReplicas, Math.max(minReplicas, desired));
    if (desired !== current) {
      ctx.store.mutate('deployments.apps', namespace, str(target.name) ?? '', (obj) => ({
        ...obj,
        spec: { ...rec(obj.spec), replicas: desired },
      }));
    }
    writeStatus(hpa, {
      currentReplicas: current,
      desiredReplicas: desired,
      ...(desired !== current
        ? { lastScaleTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') }
        : { lastScaleTime: rec(hpa.status).lastScaleTime }),
      currentMetrics: [currentMetric],
      conditions: [
        condition('AbleToScale', 'True', desired !== current ? 'SucceededRescale' : 'ReadyForNewScale', `recommended size ${desired}`),
        condition(
          'ScalingActive',
          'True',
          'ValidMetricFound',
          `the HPA was able to compute the replica count from ${metric.type === 'Pods' ? 'pods' : 'external'} metric ${metricName}`,
        ),
      ],
    });
  };

  const loop = (): void => {
    if (stopped) return;
    if (ctx.registry.byKey(HPAS)) {
      for (const hpa of ctx.store.list(HPAS)) {
        try {
          sync(hpa);
        } catch (error) {
          ctx.log(
            `hpa ${hpa.metadata.namespace ?? ''}/${hpa.metadata.name ?? ''}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
    ctx.after(syncMs, loop);
  };

  return {
    start() {
      ctx.after(syncMs, loop);
    },
    stop() {
      stopped = true;
    },
  };
};
