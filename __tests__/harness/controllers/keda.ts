// Simulated KEDA (behaviour `keda`; add-on addons/keda.yaml): the operator and its metrics server,
// as kedacore/keda 2.x behaves (controllers/keda/hpa.go, Prometheus scaler docs).
//  - For each ScaledObject (keda.sh/v1alpha1) it creates the HPA `keda-hpa-<name>` (owned by the
//    ScaledObject, labels app.kubernetes.io/name=keda-hpa-<name>, managed-by keda-operator, plus
//    the ScaledObject's own): scaleTargetRef (default apps/v1 Deployment), min
//    max(minReplicaCount, 1) (default 1), max maxReplicaCount (default 100), the behavior of
//    spec.advanced.horizontalPodAutoscalerConfig, and per trigger i an External metric
//    `s<i>-<type>` selected by scaledobject.keda.sh/name=<name>, target AverageValue = threshold
//    (metricType AverageValue, the default; Value when set). Status: Ready, Active,
//    hpaName, externalMetricNames. A missing scale target makes Ready False.
//  - Its metrics server serves external.metrics.k8s.io/v1beta1 (APIService pointing at
//    keda/keda-operator-metrics-apiserver): a `prometheus` trigger's value is its `query`
//    evaluated on what the simulated Prometheus scraped, when `serverAddress` names a Service of
//    the cluster (http://NAME.NAMESPACE.svc[.cluster.local][:PORT]); an empty answer is 0
//    (ignoreNullValues defaults to true). Other trigger types answer an error.
import type { KObj } from '../types.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import { serveExternalMetrics } from './external-metrics.js';
import { monitoringModel } from './monitoring-model.js';
import { instantQuery } from './prometheus.js';
import { arr, condition, rec, str } from './workload-model.js';

const SCALED_OBJECTS = 'scaledobjects.keda.sh';
const HPAS = 'horizontalpodautoscalers.autoscaling';
const NAME_LABEL = 'scaledobject.keda.sh/name';

const hpaName = (scaledObject: KObj): string => `keda-hpa-${scaledObject.metadata.name ?? ''}`.slice(0, 63);

export const kedaController: ControllerFactory = (ctx: ControllerContext): Controller => {
  /** A trigger's value now, or why KEDA's scaler cannot say. */
  const triggerValue = (trigger: Record<string, unknown>): { value: number } | { error: string } => {
    if (trigger.type !== 'prometheus') return { error: `scaler ${str(trigger.type) ?? '?'} is not simulated` };
    const metadata = rec(trigger.metadata);
    const address = str(metadata.serverAddress) ?? '';
    const host = /^https?:\/\/([^/:]+)/.exec(address)?.[1] ?? '';
    const service = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/.exec(host);
    if (!service || !ctx.store.get('services', service[2], service[1]))
      return { error: `error inspecting prometheus metrics: Get "${address}/api/v1/query": dial tcp: lookup ${host}: no such host` };
    const answer = instantQuery(monitoringModel(ctx).series(), str(metadata.query) ?? '');
    if ('error' in answer) return { error: `prometheus query api returned error: ${answer.error}` };
    if (answer.samples.length > 1) return { error: 'prometheus query returned multiple elements' };
    return { value: answer.samples[0]?.value ?? 0 };
  };

  const metricsOf = (scaledObject: KObj): Record<string, unknown>[] =>
    arr(rec(scaledObject.spec).triggers).map((trigger, index) => {
      const threshold = str(rec(trigger.metadata).threshold) ?? '0';
      const target =
        trigger.metricType === 'Value' ? { type: 'Value', value: threshold } : { type: 'AverageValue', averageValue: threshold };
      return {
        type: 'External',
        external: {
          metric: {
            name: `s${index}-${str(trigger.type) ?? ''}`,
            selector: { matchLabels: { [NAME_LABEL]: scaledObject.metadata.name ?? '' } },
          },
          target,
        },
      };
    });

  const writeStatus = (scaledObject: KObj, status: Record<string, unknown>): void => {
    // Conditions compared without their transition times, so an unchanged status is not rewritten.
    const strip = (value: unknown) =>
      JSON.stringify({
        ...rec(value),
        conditions: arr(rec(value).conditions).map((one) => ({ ...one, lastTransitionTime: undefined })),
      });
    if (strip(scaledObject.status) === strip(status)) return;
    ctx.store.mutate(
      SCALED_OBJECTS,
      scaledObject.metadata.namespace,
      scaledObject.metadata.name ?? '',
      (obj) => ({ ...obj, status }),
      'status',
    );
  };

  const reconcile = (scaledObject: KObj): void => {
    if (scaledObject.metadata.deletionTimestamp) return;
    const namespace = scaledObject.metadata.namespace ?? '';
    const spec = rec(scaledObject.spec);
    const targetRef = rec(spec.scaleTargetRef);
    const kind = str(targetRef.kind) ?? 'Deployment';
    const targetName = str(targetRef.name) ?? '';
    if (kind !== 'Deployment' || !ctx.store.get('deployments.apps', namespace, targetName)) {
      writeStatus(scaledObject, {
        conditions: [
          condition(
            'Ready',
            'False',
            'ScaledObjectCheckFailed',
            `ScaledObject doesn't have correct scaleTargetRef specification: ${kind} ${targetName} not found`,
          ),
          condition('Active', 'False', 'ScalerNotActive', 'Scaling is not performed because triggers are not active'),
        ],
      });
      return;
    }
    const name = hpaName(scaledObject);
    const metrics = metricsOf(scaledObject);
    const hpa: KObj = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {
        name,
        namespace,
        labels: {
          'app.kubernetes.io/name': name,
          'app.kubernetes.io/part-of': scaledObject.metadata.name ?? '',
          'app.kubernetes.io/managed-by': 'keda-operator',
          ...(scaledObject.metadata.labels ?? {}),
        },
        ownerReferences: [
          {
            apiVersion: 'keda.sh/v1alpha1',
            kind: 'ScaledObject',
            name: scaledObject.metadata.name ?? '',
            uid: scaledObject.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        scaleTargetRef: { apiVersion: str(targetRef.apiVersion) ?? 'apps/v1', kind, name: targetName },
        minReplicas: Math.max(Number(spec.minReplicaCount ?? 1), 1),
        maxReplicas: Number(spec.maxReplicaCount ?? 100),
        metrics,
        ...(rec(rec(spec.advanced).horizontalPodAutoscalerConfig).behavior
          ? { behavior: rec(rec(spec.advanced).horizontalPodAutoscalerConfig).behavior }
          : {}),
      },
    };
    const existing = ctx.store.get(HPAS, namespace, name);
    if (!existing) ctx.store.create(HPAS, hpa);
    else if (JSON.stringify(existing.spec) !== JSON.stringify(hpa.spec))
      ctx.store.mutate(HPAS, namespace, name, (obj) => ({ ...obj, spec: hpa.spec }));
    const values = arr(spec.triggers).map(triggerValue);
    const active = values.some((value) => 'value' in value && value.value > 0);
    writeStatus(scaledObject, {
      hpaName: name,
      scaleTargetKind: `apps/v1.${kind}`,
      externalMetricNames: metrics.map((metric) => str(rec(rec(metric.external).metric).name) ?? ''),
      conditions: [
        condition('Ready', 'True', 'ScaledObjectReady', 'ScaledObject is defined correctly and is ready for scaling'),
        active
          ? condition('Active', 'True', 'ScalerActive', 'Scaling is performed because triggers are active')
          : condition('Active', 'False', 'ScalerNotActive', 'Scaling is not performed because triggers are not active'),
        condition('Fallback', 'False', 'NoFallbackFound', 'No fallbacks are active on this scaled object'),
      ],
    });
  };

  return {
    start() {
      serveExternalMetrics(ctx, { namespace: 'keda', name: 'keda-operator-metrics-apiserver' }, (namespace, metric, selector) => {
        const scaledObject = ctx.store.get(SCALED_OBJECTS, namespace, selector[NAME_LABEL] ?? '');
        const index = /^s(\d+)-/.exec(metric)?.[1];
        const trigger = index === undefined ? undefined : arr(rec(scaledObject?.spec).triggers)[Number(index)];
        if (!scaledObject || !trigger) return { error: `no matching metrics found for ${metric}`, status: 404 };
        const value = triggerValue(trigger);
        return 'error' in value ? { error: value.error, status: 500 } : { values: [value.value] };
      });
      ctx.watch([SCALED_OBJECTS, 'deployments.apps'], (event) => {
        if (event.resource === SCALED_OBJECTS) {
          if (event.type !== 'DELETED') reconcile(event.object);
          return;
        }
        // A scale target that appears later makes its ScaledObjects ready.
        if (!ctx.registry.byKey(SCALED_OBJECTS)) return;
        for (const scaledObject of ctx.store.list(SCALED_OBJECTS, { namespace: event.object.metadata.namespace }))
          if (str(rec(rec(scaledObject.spec).scaleTargetRef).name) === event.object.metadata.name) reconcile(scaledObject);
      });
    },
  };
};
