// Simulated KubeRay operator (behaviour `operator`, default `model: kuberay`), enough for robust_controller:
//   - its validating webhook (vraycluster.kb.io) denies RayClusters whose worker group names
//     repeat, as KubeRay's does; it answers only while a ValidatingWebhookConfiguration routing
//     rayclusters to it exists, so removing that configuration removes the validation;
//   - it reconciles a RayCluster by creating the head pod (owned by the cluster, so the garbage
//     collector removes it) and marks the cluster `ready` once that pod is Running and Ready.
// Parameters: webhook: enforce (default) | allow (the configuration exists but the webhook lets
// everything through, as a failurePolicy Ignore webhook whose backend is down); reconcile: false
// leaves RayClusters untouched.
import { ApiError } from '../errors.js';
import type { KObj, StoreEvent } from '../types.js';
import { isRecord, textOf } from '../types.js';
import type { AdmissionRequest, Controller, ControllerContext, ControllerFactory } from './types.js';
import { trainerModel } from './trainer.js';

const RAYCLUSTERS = 'rayclusters.ray.io';
const WEBHOOK_CONFIGURATIONS = 'validatingwebhookconfigurations.admissionregistration.k8s.io';
const WEBHOOK_NAME = 'vraycluster.kb.io';
const CLUSTER_LABEL = 'ray.io/cluster';
const NODE_TYPE_LABEL = 'ray.io/node-type';

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function webhookRegistered(ctx: ControllerContext): boolean {
  return ctx.store
    .list(WEBHOOK_CONFIGURATIONS)
    .some((configuration) => list(configuration.webhooks).some((webhook) => webhook.name === WEBHOOK_NAME));
}

function validate(req: AdmissionRequest): void {
  const cluster = req.object;
  if (!cluster) return;
  const seen = new Set<string>();
  list(record(cluster.spec).workerGroupSpecs).forEach((group, index) => {
    const name = textOf(group.groupName);
    if (seen.has(name)) {
      const message = `admission webhook "${WEBHOOK_NAME}" denied the request: RayCluster.ray.io "${cluster.metadata.name ?? ''}" is invalid: spec.workerGroupSpecs[${index}].groupName: Duplicate value: "${name}": worker group names must be unique`;
      throw new ApiError(422, 'Invalid', message, {
        name: cluster.metadata.name,
        group: 'ray.io',
        kind: 'RayCluster',
        causes: [
          { reason: 'FieldValueDuplicate', field: `spec.workerGroupSpecs[${index}].groupName`, message: `Duplicate value: "${name}"` },
        ],
      });
    }
    seen.add(name);
  });
}

function isRunningAndReady(pod: KObj): boolean {
  const status = record(pod.status);
  return status.phase === 'Running' && list(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

export const operatorController: ControllerFactory = (ctx: ControllerContext): Controller => {
  // `model: kubeflow-trainer` is Kubeflow Trainer v2 (./trainer.ts); the default is KubeRay.
  if (ctx.params.model === 'kubeflow-trainer') return trainerModel(ctx);
  const mode = ctx.params.webhook === 'allow' ? 'allow' : 'enforce';
  const reconcile = ctx.params.reconcile !== false;
  const unsubscribe: (() => void)[] = [];

  const headPodName = (cluster: KObj): string => `${cluster.metadata.name ?? ''}-head`;

  const ensureHeadPod = (cluster: KObj): void => {
    if (cluster.metadata.deletionTimestamp) return;
    const namespace = cluster.metadata.namespace;
    if (ctx.store.get('pods', namespace, headPodName(cluster))) return;
    const template = record(record(record(cluster.spec).headGroupSpec).template);
    ctx.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: headPodName(cluster),
        namespace,
        labels: {
          ...(record(record(template.metadata).labels) as Record<string, string>),
          [CLUSTER_LABEL]: cluster.metadata.name ?? '',
          [NODE_TYPE_LABEL]: 'head',
        },
        ownerReferences: [
          {
            apiVersion: 'ray.io/v1',
            kind: 'RayCluster',
            name: cluster.metadata.name ?? '',
            uid: cluster.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: record(template.spec),
    });
    ctx.store.mutate(
      RAYCLUSTERS,
      namespace,
      cluster.metadata.name ?? '',
      (obj) => ({ ...obj, status: { ...record(obj.status), state: 'unhealthy', desiredWorkerReplicas: 0 } }),
      'status',
    );
  };

  const onHeadPod = (event: StoreEvent): void => {
    const pod = event.object;
    const labels = pod.metadata.labels ?? {};
    if (event.type === 'DELETED' || labels[NODE_TYPE_LABEL] !== 'head' || !labels[CLUSTER_LABEL] || !isRunningAndReady(pod)) return;
    ctx.store.mutate(
      RAYCLUSTERS,
      pod.metadata.namespace,
      labels[CLUSTER_LABEL],
      (obj) => {
        if (record(obj.status).state === 'ready') return undefined;
        const now = new Date().toISOString();
        return {
          ...obj,
          status: {
            ...record(obj.status),
            state: 'ready',
            readyWorkerReplicas: 0,
            head: { podName: pod.metadata.name, podIP: record(pod.status).podIP },
            conditions: [
              { type: 'HeadPodReady', status: 'True', reason: 'HeadPodRunningAndReady', message: '', lastTransitionTime: now },
              {
                type: 'RayClusterProvisioned',
                status: 'True',
                reason: 'AllPodRunningAndReadyFirstTime',
                message: '',
                lastTransitionTime: now,
              },
            ],
          },
        };
      },
      'status',
    );
  };

  return {
    start(): void {
      ctx.registerAdmission((req) => {
        if (req.resource !== RAYCLUSTERS || req.subresource || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
        if (mode === 'allow' || !webhookRegistered(ctx)) return;
        validate(req);
      });
      if (!reconcile) return;
      unsubscribe.push(ctx.watch(RAYCLUSTERS, (event) => (event.type === 'DELETED' ? undefined : ensureHeadPod(event.object))));
      unsubscribe.push(ctx.watch('pods', onHeadPod));
    },
    stop(): void {
      for (const off of unsubscribe.splice(0)) off();
    },
  };
};
