// The AI operators robust_controller knows how to exercise: where their CRDs and pods are, an
// object that is valid by the CRD schema but that the operator's webhook must reject, and a
// small valid object with the status the operator writes once it reconciled it.

import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectWithSpec, WaitVerdict } from '../../kube/types.js';
import type { ImageCatalog } from '../types.js';
import { conditionsOf, describeCondition, findCondition, isTrue } from './conditions.js';

/** Images (overridable for air-gapped clusters) and the robust_controller options they use. */
export interface OperatorSettings {
  images: ImageCatalog;
  /** The ClusterTrainingRuntime a TrainJob runs on. */
  trainerRuntime: string;
  /** Where a KServe InferenceService loads its model from. */
  kserveStorageUri: string;
}

export interface AiOperator {
  /** The --operator value. */
  name: string;
  title: string;
  group: string;
  /** CRDs the operator installs; the first is the one the probe creates objects of. */
  crds: string[];
  kind: string;
  plural: string;
  /** Labels of the operator's controller pods (any namespace), used with the webhook's Service. */
  podSelector: string;
  images: Readonly<Record<string, string>>;
  /** Passes the CRD schema; the operator's validating webhook must deny it. */
  invalidObject(apiVersion: string, name: string): ObjectWithSpec;
  validObject(apiVersion: string, name: string, settings: OperatorSettings): ObjectWithSpec;
  /** True once reconciled to ready; a string when the operator reports it can never get there. */
  ready(object: KubernetesObject): WaitVerdict;
}

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

function rayHead(images: ImageCatalog | undefined): Record<string, unknown> {
  return {
    rayStartParams: {},
    template: {
      spec: {
        containers: [
          {
            name: 'ray-head',
            image: images ? images.resolve('ray') : 'rayproject/ray:2.52.0',
            resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
            securityContext: { ...RESTRICTED, runAsUser: 1000 },
          },
        ],
      },
    },
  };
}

function rayWorkers(groupNames: string[]): Record<string, unknown>[] {
  return groupNames.map((groupName) => ({
    groupName,
    replicas: 0,
    minReplicas: 0,
    maxReplicas: 1,
    rayStartParams: {},
    template: { spec: { containers: [{ name: 'ray-worker', image: 'rayproject/ray:2.52.0' }] } },
  }));
}

const kuberay: AiOperator = {
  name: 'kuberay',
  title: 'KubeRay',
  group: 'ray.io',
  crds: ['rayclusters.ray.io', 'rayjobs.ray.io', 'rayservices.ray.io'],
  kind: 'RayCluster',
  plural: 'rayclusters',
  podSelector: 'app.kubernetes.io/name=kuberay-operator',
  images: { ray: 'rayproject/ray:2.52.0' },
  // KubeRay's webhook requires worker group names to be unique; the schema cannot say so.
  invalidObject: (apiVersion, name) => ({
    apiVersion,
    kind: 'RayCluster',
    metadata: { name },
    spec: { headGroupSpec: rayHead(undefined), workerGroupSpecs: rayWorkers(['workers', 'workers']) },
  }),
  validObject: (apiVersion, name, settings) => ({
    apiVersion,
    kind: 'RayCluster',
    metadata: { name },
    spec: { headGroupSpec: rayHead(settings.images) },
  }),
  ready: (object) => {
    const state = (object as { status?: { state?: string; reason?: string } }).status;
    if (state?.state === 'failed') return `RayCluster failed: ${state.reason ?? 'no reason given'}`;
    return state?.state === 'ready' || isTrue(conditionsOf(object), 'Ready');
  },
};

const trainer: AiOperator = {
  name: 'kubeflow-trainer',
  title: 'Kubeflow Trainer',
  group: 'trainer.kubeflow.org',
  crds: ['trainjobs.trainer.kubeflow.org', 'trainingruntimes.trainer.kubeflow.org', 'clustertrainingruntimes.trainer.kubeflow.org'],
  kind: 'TrainJob',
  plural: 'trainjobs',
  podSelector: 'app.kubernetes.io/name=trainer',
  images: {},
  // The validator rejects a TrainJob whose runtime does not exist.
  invalidObject: (apiVersion, name) => ({
    apiVersion,
    kind: 'TrainJob',
    metadata: { name },
    spec: { runtimeRef: { apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime', name: 'ai-conformance-no-such-runtime' } },
  }),
  validObject: (apiVersion, name, settings) => ({
    apiVersion,
    kind: 'TrainJob',
    metadata: { name },
    spec: {
      runtimeRef: { apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime', name: settings.trainerRuntime },
      trainer: { numNodes: 1, command: ['python', '-c', 'print("ai-conformance")'] },
    },
  }),
  ready: (object) => {
    const conditions = conditionsOf(object);
    if (isTrue(conditions, 'Failed')) return `TrainJob failed: ${describeCondition(conditions, 'Failed')}`;
    return isTrue(conditions, 'Complete');
  },
};

const kserve: AiOperator = {
  name: 'kserve',
  title: 'KServe',
  group: 'serving.kserve.io',
  crds: ['inferenceservices.serving.kserve.io', 'servingruntimes.serving.kserve.io'],
  kind: 'InferenceService',
  plural: 'inferenceservices',
  podSelector: 'control-plane=kserve-controller-manager',
  images: {},
  // The validator requires exactly one predictor implementation.
  invalidObject: (apiVersion, name) => ({
    apiVersion,
    kind: 'InferenceService',
    metadata: { name },
    spec: { predictor: { sklearn: { storageUri: 'gs://invalid/a' }, xgboost: { storageUri: 'gs://invalid/b' } } },
  }),
  validObject: (apiVersion, name, settings) => ({
    apiVersion,
    kind: 'InferenceService',
    metadata: { name },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: settings.kserveStorageUri,
        },
      },
    },
  }),
  ready: (object) => findCondition(conditionsOf(object), 'Ready')?.status === 'True',
};

export const AI_OPERATORS: readonly AiOperator[] = [kuberay, trainer, kserve];

export function operatorNamed(name: string): AiOperator | undefined {
  const wanted = name.toLowerCase().replace(/[\s_]/g, '-');
  return AI_OPERATORS.find((operator) => operator.name === wanted || operator.title.toLowerCase().replace(/\s/g, '-') === wanted);
}
