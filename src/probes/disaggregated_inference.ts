// disaggregated_inference: a disaggregated inference solution runs, with prefill and decode as
// separately scalable components. Test plan:
//   1. find installed solutions, at a bounded cost: llm-d model services (workloads whose pods
//      carry llm-d.ai/role, the label llm-d's endpoint picker filters prefill and decode pods on:
//      Deployments, found through their pods, and LeaderWorkerSets), NVIDIA Dynamo
//      DynamoGraphDeployments (nvidia.com v1beta1 components, or v1alpha1 services) and KServe
//      LLMInferenceServices with a prefill section (serving.kserve.io);
//   2. an instance has its prefill and decode phases as separate components, each with its own
//      replica count and its own scale handle (a Deployment or LeaderWorkerSet with a scale
//      subresource, a Dynamo service's replicas, a KServe section's replicas), so each scales on
//      its own: observed, not exercised (the probe scales nothing it did not create);
//   3. both components are running, by each component's own status: ready replicas of its
//      workload, the graph's per-service status (Dynamo), the per-workload condition (KServe).
// An instance with one phase only (llm-d without the P/D split) ends in manual, naming the phase
// missing: the probe cannot tell it from a split deployment it does not recognise.
// Deploying a solution is out of scope (it needs the vendor's models and accelerators): without
// one the probe asks for manual evidence, naming what it looked for.

import type { KubernetesObject, V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { ALL_NAMESPACES } from '../kube/types.js';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { WaitTimeout } from '../kube/types.js';
import { duration } from './options.js';
import { conditionsOf, describeCondition, findCondition, isTrue } from './lib/conditions.js';

const ROLE_LABEL = 'llm-d.ai/role';
/**
 * The values of ROLE_LABEL, as llm-d's router reads them (llm-d/llm-d-router,
 * pkg/epp/framework/plugins/scheduling/filter/bylabel/roles.go): its prefill filter takes prefill
 * and encode-prefill workers; workers labelled prefill-decode (or the deprecated `both`, or
 * encode-prefill-decode) run both phases in one workload, so they are not disaggregated.
 */
const PHASE_OF_ROLE: Record<string, string> = {
  prefill: 'prefill',
  'encode-prefill': 'prefill',
  decode: 'decode',
  'prefill-decode': 'prefill-decode',
  both: 'prefill-decode',
  'encode-prefill-decode': 'prefill-decode',
};
const ROLE_SELECTOR = `${ROLE_LABEL} in (${Object.keys(PHASE_OF_ROLE).join(',')})`;
const PAGE = 100;

interface Component {
  /** prefill or decode */
  role: string;
  /** "Deployment llm-d/ms-prefill" */
  name: string;
  replicas: number;
  /** Ready replicas from the component's own status; undefined where the solution reports none. */
  ready?: number;
  /** The component's own readiness where it is a condition, not a count (KServe's per-workload conditions). */
  condition?: { ready: boolean; text: string };
  /** How it scales on its own ("deployments/scale"), or undefined when it has no scale handle of its own. */
  scale?: string;
  /** The workload itself, when it is one the probe can wait on (Deployment, LeaderWorkerSet). */
  ref?: { apiVersion: string; kind: string; namespace: string; name: string };
}

interface Instance {
  /** What it is: "llm-d model service llama (namespace llm-d)". */
  what: string;
  components: Component[];
  /** Why the instance as a whole is not ready, when its controller says so. */
  notReady?: string;
}

interface ScalableWorkload extends KubernetesObject {
  spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: { replicas?: number; readyReplicas?: number };
}

export const disaggregatedInferenceProbe = defineProbe({
  id: 'disaggregated_inference',
  // Above its wait for starting components (60 s), so that wait reports.
  timeoutMs: 3 * 60_000,
  options: {
    'disaggregated-inference.ready-ms': duration(
      60_000,
      'how long a prefill or decode workload without a ready replica may take to get one',
    ),
  },
  async run(ctx) {
    const instances = await ctx.step('a disaggregated inference solution is installed', async () => {
      const instances = [...(await llmd(ctx)), ...(await dynamo(ctx)), ...(await kserve(ctx))];
      if (instances.length === 0) {
        ctx.manual(
          `no disaggregated inference deployment found (looked for workloads whose pods are labelled ${ROLE_LABEL}=prefill|decode as llm-d deploys them, NVIDIA Dynamo DynamoGraphDeployments and KServe LLMInferenceServices with a prefill section): deploy one with separate prefill and decode instances and re-run, or attach kubectl get deploy,lws -A -l '${ROLE_LABEL}' -o wide (a Deployment of llm-d's modelservice chart carries the label on its pods only: kubectl get pods -A -l '${ROLE_LABEL}' -o wide) and the solution's own status`,
        );
      }
      return {
        seen: instances
          .map((instance) => `${instance.what}: ${describeComponents(instance.components) || 'no prefill or decode component'}`)
          .join('; '),
        value: instances,
      };
    });

    // Judged on the instance that comes closest: one with both phases, ready if any is.
    const split = instances.filter((i) => ROLES.every((role) => i.components.some((c) => c.role === role)));
    const candidate = split.find((i) => i.notReady === undefined && i.components.every(isRunning)) ?? split.at(0);

    const chosen = await ctx.step('prefill and decode are separate, separately scalable components', async () => {
      if (!candidate) {
        // One phase only: a deployment without the P/D split, or a split this probe does not read.
        const phases = instances.map((i) => {
          const roles = [...new Set(i.components.map((c) => c.role))];
          const missing = ROLES.filter((role) => !roles.includes(role));
          return `${i.what} runs ${roles.join(' and ') || 'neither phase'} (${i.components.map((c) => c.name).join(', ') || 'no component'}) with no ${missing.join(' or ')} component`;
        });
        return ctx.manual(
          `no instance has both a prefill and a decode component: ${phases.join('; ')}. Deploy it with prefill/decode disaggregation (for llm-d, its P/D guide: workloads labelled ${ROLE_LABEL}=prefill and =decode) and re-run, or attach the solution's prefill and decode workloads (kubectl get deploy,lws -A -l '${ROLE_LABEL}' -o wide) and its status`,
        );
      }
      const unscalable = candidate.components.filter((c) => c.scale === undefined);
      if (unscalable.length > 0)
        throw new CheckFailure(
          `${candidate.what}: ${unscalable.map((c) => `${c.role} ${c.name} has no replica count or scale subresource of its own`).join('; ')}`,
        );
      const text = candidate.components.map((c) => `${c.role} ${c.name} (${c.replicas} replica(s), scales by ${c.scale})`).join(', ');
      return { seen: `${candidate.what}: ${text}; observed, not exercised (nothing was scaled)`, value: candidate };
    });

    await ctx.check('the prefill and decode components are running', async () => {
      const candidate = chosen;
      // A workload still starting (a rollout, a scale-up) gets a short while to have a ready replica.
      for (const component of candidate.components) {
        const ref = component.ref;
        if (component.ready !== 0 || !ref) continue;
        const ready = await ctx.kube
          .waitFor<ScalableWorkload>(ref, (object) => (object.status?.readyReplicas ?? 0) > 0, {
            description: `${component.name} has a ready replica`,
            timeoutMs: ctx.option('disaggregated-inference.ready-ms'),
          })
          .catch((error: unknown) => {
            if (error instanceof WaitTimeout) return undefined;
            throw error;
          });
        if (ready) component.ready = ready.status?.readyReplicas ?? 0;
      }
      const unreported = candidate.components.filter((c) => c.ready === undefined && c.condition === undefined);
      if (unreported.length > 0) {
        return ctx.manual(
          `${candidate.what} reports no status of its own for ${unreported.map((c) => `${c.role} ${c.name}`).join(', ')}: attach the ready replicas of each of its prefill and decode workloads (kubectl get pods -o wide for each)`,
        );
      }
      const idle = candidate.components.filter((c) => !isRunning(c));
      if (candidate.notReady) throw new CheckFailure(`${candidate.what} is not ready: ${candidate.notReady}`);
      if (idle.length > 0)
        throw new CheckFailure(
          `${candidate.what}: ${idle.map((c) => `${c.role} ${c.name} ${c.condition ? `is not ready (${c.condition.text})` : `has no ready replica (0/${c.replicas})`}`).join('; ')}`,
        );
      return `${candidate.what}: ${describeComponents(candidate.components)}`;
    });
  },
});

const ROLES = ['prefill', 'decode'];

function isRunning(component: Component): boolean {
  return component.condition ? component.condition.ready : (component.ready ?? 0) > 0;
}

/** One page of the kind across the cluster: the cost does not grow with the cluster. */
async function page<T extends KubernetesObject>(ctx: ProbeContext, apiVersion: string, kind: string, labelSelector?: string): Promise<T[]> {
  return (
    await ctx.kube.listPage<T>(
      { apiVersion, kind, namespace: ALL_NAMESPACES },
      { limit: PAGE, ...(labelSelector ? { labelSelector } : {}) },
    )
  ).items;
}

/** The kind discovery names for a resource of a served group/version, if served. */
async function servedKind(ctx: ProbeContext, groupVersion: string, resource: string): Promise<string | undefined> {
  return (await ctx.kube.resources(groupVersion))?.find((r) => r.name === resource)?.kind;
}

/**
 * llm-d: prefill and decode workloads of one model, grouped by namespace and llm-d.ai/model.
 * llm-d-modelservice (v0.4, templates/_helpers.tpl) puts ROLE_LABEL on a LeaderWorkerSet's own
 * labels but on a Deployment's selector and pod template only, so Deployments are found from
 * their pods (pod -> ReplicaSet -> Deployment): one page of pods, one get per distinct owner.
 */
async function llmd(ctx: ProbeContext): Promise<Instance[]> {
  const workloads = new Map<string, { kind: string; object: ScalableWorkload }>();
  const add = (kind: string, object: ScalableWorkload) =>
    workloads.set(`${kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`, { kind, object });
  for (const object of await page<V1Deployment>(ctx, 'apps/v1', 'Deployment', ROLE_SELECTOR)) add('Deployment', object);
  for (const object of await deploymentsOfPods(ctx)) add('Deployment', object);
  if (await ctx.kube.isServed('leaderworkerset.x-k8s.io/v1')) {
    for (const object of await page<ScalableWorkload>(ctx, 'leaderworkerset.x-k8s.io/v1', 'LeaderWorkerSet', ROLE_SELECTOR))
      add('LeaderWorkerSet', object);
  }
  // Each workload is its own object with its own replicas; its kind's scale subresource is the handle.
  const scaleOf = new Map<string, string | undefined>();
  for (const [kind, groupVersion, resource] of [
    ['Deployment', 'apps/v1', 'deployments'],
    ['LeaderWorkerSet', 'leaderworkerset.x-k8s.io/v1', 'leaderworkersets'],
  ] as const) {
    if (![...workloads.values()].some((w) => w.kind === kind)) continue;
    const served = (await ctx.kube.resources(groupVersion))?.some((r) => r.name === `${resource}/scale`);
    scaleOf.set(kind, served ? `${resource}/scale` : undefined);
  }
  const byModel = new Map<string, Instance>();
  for (const { kind, object } of workloads.values()) {
    // The pod template's labels are what the router sees; the workload's own may add the model.
    const labels = { ...object.metadata?.labels, ...object.spec?.template?.metadata?.labels };
    const namespace = object.metadata?.namespace ?? '?';
    const model = labels['llm-d.ai/model'] ?? '(no llm-d.ai/model label)';
    const key = `${namespace}/${model}`;
    const instance = byModel.get(key) ?? { what: `llm-d model ${model} (namespace ${namespace})`, components: [] };
    const apiVersion = kind === 'Deployment' ? 'apps/v1' : 'leaderworkerset.x-k8s.io/v1';
    const role = labels[ROLE_LABEL] ?? '?';
    instance.components.push({
      role: PHASE_OF_ROLE[role] ?? role,
      name: `${kind} ${namespace}/${object.metadata?.name ?? '?'}${PHASE_OF_ROLE[role] === role ? '' : ` (${ROLE_LABEL}=${role})`}`,
      replicas: object.spec?.replicas ?? 1,
      ready: object.status?.readyReplicas ?? 0,
      scale: scaleOf.get(kind),
      ref: { apiVersion, kind, namespace, name: object.metadata?.name ?? '' },
    });
    byModel.set(key, instance);
  }
  return [...byModel.values()];
}

/** The Deployments whose pods carry ROLE_LABEL, through each pod's ReplicaSet. */
async function deploymentsOfPods(ctx: ProbeContext): Promise<V1Deployment[]> {
  const controllerOf = (object: KubernetesObject, kind: string) =>
    object.metadata?.ownerReferences?.find((ref) => ref.controller === true && ref.kind === kind)?.name;
  const replicaSets = new Set<string>();
  for (const pod of await page<V1Pod>(ctx, 'v1', 'Pod', ROLE_SELECTOR)) {
    const owner = controllerOf(pod, 'ReplicaSet');
    if (owner && pod.metadata?.namespace) replicaSets.add(`${pod.metadata.namespace}/${owner}`);
  }
  const deployments = new Set<string>();
  for (const key of replicaSets) {
    const [namespace = '', name = ''] = key.split('/');
    const replicaSet = await ctx.kube.get<V1ReplicaSet>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, name });
    const owner = replicaSet ? controllerOf(replicaSet, 'Deployment') : undefined;
    if (owner) deployments.add(`${namespace}/${owner}`);
  }
  const found: V1Deployment[] = [];
  for (const key of deployments) {
    const [namespace = '', name = ''] = key.split('/');
    const deployment = await ctx.kube.get<V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
    if (deployment) found.push(deployment);
  }
  return found;
}

interface DynamoService {
  componentType?: string;
  subComponentType?: string;
  replicas?: number;
}

interface DynamoReplicas {
  readyReplicas?: number;
  replicas?: number;
}

/**
 * NVIDIA Dynamo's graph (ai-dynamo/dynamo deploy/operator/api): v1beta1, the storage version,
 * lists `spec.components` (name, type, replicas) with `status.components` by name; the deprecated
 * v1alpha1 maps `spec.services` by name (componentType, subComponentType, replicas) with
 * `status.services`. Both have status.state and the Ready condition.
 */
interface DynamoGraph extends KubernetesObject {
  spec?: {
    components?: (DynamoService & { name?: string; type?: string })[];
    services?: Record<string, DynamoService>;
  };
  status?: {
    state?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    components?: Record<string, DynamoReplicas>;
    services?: Record<string, DynamoReplicas>;
  };
}

/** A graph's prefill and decode workers: type/componentType prefill|decode, or worker with subComponentType, else the name. */
function dynamoRole(name: string, service: DynamoService & { type?: string }): string | undefined {
  const type = service.type ?? service.componentType;
  if (type === 'prefill' || type === 'decode') return type;
  if (service.subComponentType) return service.subComponentType;
  return /prefill/i.test(name) ? 'prefill' : /decode/i.test(name) ? 'decode' : undefined;
}

/** Dynamo: a graph's worker components marked prefill or decode. */
async function dynamo(ctx: ProbeContext): Promise<Instance[]> {
  const versions = await ctx.kube.groupVersions('nvidia.com');
  const version = versions.find((gv) => gv.endsWith('/v1beta1')) ?? versions.find((gv) => gv.endsWith('/v1alpha1'));
  const graphKind = version ? await servedKind(ctx, version, 'dynamographdeployments') : undefined;
  if (!version || !graphKind) return [];
  const graphs = await page<DynamoGraph>(ctx, version, graphKind);
  return graphs.map((graph) => {
    const beta = graph.spec?.components !== undefined;
    const entries: [string, DynamoService & { type?: string }][] = beta
      ? (graph.spec?.components ?? []).map((component) => [component.name ?? '?', component])
      : Object.entries(graph.spec?.services ?? {});
    const components: Component[] = [];
    for (const [name, service] of entries) {
      const role = dynamoRole(name, service);
      if (role !== 'prefill' && role !== 'decode') continue;
      // Each is deployed as its own DynamoComponentDeployment with its own replicas.
      const status = (beta ? graph.status?.components : graph.status?.services)?.[name];
      components.push({
        role,
        name: `${beta ? 'component' : 'service'} ${name}`,
        replicas: service.replicas ?? 1,
        ...(typeof status?.readyReplicas === 'number' ? { ready: status.readyReplicas } : {}),
        scale: beta ? `spec.components[name=${name}].replicas` : `spec.services.${name}.replicas`,
      });
    }
    const ready = isTrue(conditionsOf(graph), 'Ready') || graph.status?.state === 'successful';
    return {
      what: `DynamoGraphDeployment ${graph.metadata?.namespace ?? '?'}/${graph.metadata?.name ?? '?'}`,
      components,
      notReady: ready ? undefined : `state ${graph.status?.state ?? 'unknown'}, ${describeCondition(conditionsOf(graph), 'Ready')}`,
    };
  });
}

interface LlmService extends KubernetesObject {
  spec?: { replicas?: number; prefill?: { replicas?: number } };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** KServe: an LLMInferenceService with a prefill section runs prefill and decode apart. */
async function kserve(ctx: ProbeContext): Promise<Instance[]> {
  const versions = await ctx.kube.groupVersions('serving.kserve.io');
  const version = versions.find((gv) => gv.endsWith('/v1alpha2')) ?? versions.find((gv) => gv.endsWith('/v1alpha1'));
  const serviceKind = version ? await servedKind(ctx, version, 'llminferenceservices') : undefined;
  if (!version || !serviceKind) return [];
  const services = await page<LlmService>(ctx, version, serviceKind);
  return services
    .filter((service) => service.spec?.prefill !== undefined)
    .map((service) => {
      const conditions = conditionsOf(service);
      // The controller runs each section as its own Deployment and reports each in a condition.
      const workload = (type: string) =>
        findCondition(conditions, type) ? { ready: isTrue(conditions, type), text: describeCondition(conditions, type) } : undefined;
      const prefill = workload('PrefillWorkloadReady');
      const decode = workload('MainWorkloadReady');
      return {
        what: `LLMInferenceService ${service.metadata?.namespace ?? '?'}/${service.metadata?.name ?? '?'}`,
        components: [
          {
            role: 'prefill',
            name: 'spec.prefill',
            replicas: service.spec?.prefill?.replicas ?? 1,
            scale: 'spec.prefill.replicas',
            ...(prefill ? { condition: prefill } : {}),
          },
          {
            role: 'decode',
            name: 'spec (decode)',
            replicas: service.spec?.replicas ?? 1,
            scale: 'spec.replicas',
            ...(decode ? { condition: decode } : {}),
          },
        ],
        notReady: isTrue(conditions, 'Ready') ? undefined : describeCondition(conditions, 'Ready'),
      };
    });
}

function describeComponents(components: Component[]): string {
  return components
    .map((c) => `${c.role} ${c.name} ${c.condition ? c.condition.text : `${c.ready ?? '?'}/${c.replicas} ready`}`)
    .join(', ');
}
