// Simulated Kubeflow Trainer v2 (behaviour `operator` with `model: kubeflow-trainer`), modelled on
// v2.3.0 (fixtures/scenarios/addons/kubeflow-trainer-v2.3.0.yaml):
//   - its validating webhook validator.trainjob.trainer.kubeflow.org denies a TrainJob whose
//     spec.runtimeRef names a (Cluster)TrainingRuntime that does not exist; it answers only while
//     a ValidatingWebhookConfiguration lists that webhook;
//   - a TrainJob runs as a JobSet in Trainer; here its pods are created directly (JobSet is not
//     modelled): trainer.numNodes (else the runtime's mlPolicy.numNodes, else 1) pods of the
//     runtime's `node` container, with the TrainJob's image/command/args when given, owned by the
//     TrainJob; when all succeed it gets Complete=True (JobsCompleted), when one fails Failed=True.
// Parameters (shared with the KubeRay model): webhook enforce|allow, reconcile (default true),
// reconcileDelayMs (default 0: time before the controller acts; the realistic clock sets it).
import { ApiError } from '../errors.js';
import type { KObj, StoreEvent } from '../types.js';
import { isRecord, textOf } from '../types.js';
import type { AdmissionRequest, Controller, ControllerContext } from './types.js';

const GROUP = 'trainer.kubeflow.org';
const TRAINJOBS = `trainjobs.${GROUP}`;
const WEBHOOK_CONFIGURATIONS = 'validatingwebhookconfigurations.admissionregistration.k8s.io';
export const TRAINJOB_WEBHOOK = 'validator.trainjob.trainer.kubeflow.org';
const JOBSET_LABEL = 'jobset.sigs.k8s.io/jobset-name';

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function runtimeOf(ctx: ControllerContext, trainJob: KObj): KObj | undefined {
  const ref = record(record(trainJob.spec).runtimeRef);
  const name = textOf(ref.name);
  return ref.kind === 'TrainingRuntime'
    ? ctx.store.get(`trainingruntimes.${GROUP}`, trainJob.metadata.namespace, name)
    : ctx.store.get(`clustertrainingruntimes.${GROUP}`, undefined, name);
}

export function trainerModel(ctx: ControllerContext): Controller {
  const enforce = ctx.params.webhook !== 'allow';
  const reconcile = ctx.params.reconcile !== false;
  const delayMs = typeof ctx.params.reconcileDelayMs === 'number' ? ctx.params.reconcileDelayMs : 0;
  const unsubscribe: (() => void)[] = [];

  const webhookRegistered = (): boolean =>
    ctx.store
      .list(WEBHOOK_CONFIGURATIONS)
      .some((configuration) => list(configuration.webhooks).some((webhook) => webhook.name === TRAINJOB_WEBHOOK));

  const validate = (req: AdmissionRequest): void => {
    const trainJob = req.object;
    if (!trainJob || runtimeOf(ctx, trainJob)) return;
    const ref = record(record(trainJob.spec).runtimeRef);
    const kind = textOf(ref.kind, 'ClusterTrainingRuntime');
    const name = textOf(ref.name);
    const message = `admission webhook "${TRAINJOB_WEBHOOK}" denied the request: spec.runtimeRef: Invalid value: "${name}": ${kind}.${GROUP} "${name}" not found: specified trainingRuntime must be created before the TrainJob is created`;
    throw new ApiError(422, 'Invalid', message, {
      name: trainJob.metadata.name,
      group: GROUP,
      kind: 'TrainJob',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.runtimeRef', message }],
    });
  };

  const podsOf = (trainJob: KObj): KObj[] =>
    ctx.store
      .list('pods', { namespace: trainJob.metadata.namespace })
      .filter((pod) => pod.metadata.labels?.[JOBSET_LABEL] === trainJob.metadata.name);

  const start = (trainJob: KObj): void => {
    if (trainJob.metadata.deletionTimestamp || podsOf(trainJob).length > 0) return;
    const runtime = runtimeOf(ctx, trainJob);
    if (!runtime) return;
    const trainer = record(record(trainJob.spec).trainer);
    const replicated = list(record(record(record(runtime.spec).template).spec).replicatedJobs);
    const node = replicated.find((job) => job.name === 'node') ?? replicated.at(-1);
    const podSpec = record(record(record(record(node?.template).spec).template).spec);
    const [container = { name: 'node' }] = list(podSpec.containers);
    const count = Number(trainer.numNodes ?? record(record(runtime.spec).mlPolicy).numNodes ?? 1) || 1;
    for (let index = 0; index < count; index++) {
      ctx.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${trainJob.metadata.name ?? ''}-node-0-${index}-`,
          namespace: trainJob.metadata.namespace,
          labels: {
            [JOBSET_LABEL]: trainJob.metadata.name ?? '',
            'jobset.sigs.k8s.io/replicatedjob-name': 'node',
            'batch.kubernetes.io/job-completion-index': String(index),
          },
          ownerReferences: [
            {
              apiVersion: `${GROUP}/v1alpha1`,
              kind: 'TrainJob',
              name: trainJob.metadata.name ?? '',
              uid: trainJob.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          ...podSpec,
          restartPolicy: 'Never',
          containers: [
            {
              ...container,
              ...(trainer.image ? { image: trainer.image } : {}),
              ...(trainer.command ? { command: trainer.command } : {}),
              ...(trainer.args ? { args: trainer.args } : {}),
            },
          ],
        },
      });
    }
  };

  const onPod = (event: StoreEvent): void => {
    const name = event.object.metadata.labels?.[JOBSET_LABEL];
    if (!name || event.type === 'DELETED') return;
    const trainJob = ctx.store.get(TRAINJOBS, event.object.metadata.namespace, name);
    if (!trainJob) return;
    const phases = podsOf(trainJob).map((pod) => record(pod.status).phase);
    const failed = phases.includes('Failed');
    if (!failed && !phases.every((phase) => phase === 'Succeeded')) return;
    const now = new Date().toISOString();
    const conditions = failed
      ? [{ type: 'Failed', status: 'True', reason: 'JobsFailed', message: 'TrainJob is failed', lastTransitionTime: now }]
      : [{ type: 'Complete', status: 'True', reason: 'JobsCompleted', message: 'TrainJob is completed', lastTransitionTime: now }];
    ctx.store.mutate(
      TRAINJOBS,
      trainJob.metadata.namespace,
      name,
      (obj) => {
        if (list(record(obj.status).conditions).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'))
          return undefined;
        return { ...obj, status: { ...record(obj.status), conditions } };
      },
      'status',
    );
  };

  return {
    start(): void {
      ctx.registerAdmission((req) => {
        if (req.resource !== TRAINJOBS || req.subresource || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
        if (enforce && webhookRegistered()) validate(req);
      });
      if (!reconcile) return;
      unsubscribe.push(
        ctx.watch(TRAINJOBS, (event) => {
          if (event.type === 'DELETED') return;
          if (delayMs > 0)
            ctx.after(delayMs, () => {
              const current = ctx.store.get(TRAINJOBS, event.object.metadata.namespace, event.object.metadata.name ?? '');
              if (current) start(current);
            });
          else start(event.object);
        }),
      );
      unsubscribe.push(ctx.watch('pods', onPod));
    },
    stop(): void {
      for (const off of unsubscribe.splice(0)) off();
    },
  };
}
