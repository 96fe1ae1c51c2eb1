// robust_controller: an AI operator built on CRDs works reliably. Test plan (KAR-0063):
//   1. the operator (--operator, else detected among KubeRay, Kubeflow Trainer, KServe) is
//      installed: its CRDs are Established;
//      (an operator whose CRDs were left behind by an uninstall, with no controller pod, gives way
//      to one that runs);
//   2. its controller pods are Running and Ready (finished or evicted pods are history, not
//      failures);
//   3. its own validating webhook (served by a Service in front of its pods, in their namespace)
//      denies an invalid object (server-side dry-run create). Other webhooks whose rules name the
//      group (Kueue's on rayclusters/trainjobs, policy engines) do not speak for the operator;
//   4. a valid object is reconciled to ready within the timeout, then deleted.

import type {
  KubernetesObject,
  V1CustomResourceDefinition,
  V1Pod,
  V1Service,
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { ALL_NAMESPACES } from '../kube/types.js';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { text, url } from './options.js';
import { apiErrorOf } from './lib/api-error.js';
import { impossibleFails } from './lib/verdicts.js';
import { conditionsOf, describeCondition, isTrue } from './lib/conditions.js';
import { AI_OPERATORS, operatorNamed, type AiOperator } from './lib/operators.js';
import { reportPods } from './lib/platform-facts.js';

const CRD_API = 'apiextensions.k8s.io/v1';
const WEBHOOK_API = 'admissionregistration.k8s.io/v1';
const RECONCILE_TIMEOUT_MS = 8 * 60_000;
const DELETE_TIMEOUT_MS = 60_000;
const INVALID_NAME = 'robust-controller-invalid';
const VALID_NAME = 'robust-controller-valid';

export const robustControllerProbe = defineProbe({
  id: 'robust_controller',
  timeoutMs: 10 * 60_000,
  options: {
    'trainer-runtime': text('Kubeflow Trainer: the ClusterTrainingRuntime the valid TrainJob runs on', 'torch-distributed'),
    'kserve-storage-uri': url(
      'KServe: where the valid InferenceService loads its model from',
      'gs://kfserving-examples/models/sklearn/1.0/model',
    ),
  },
  images: Object.assign({}, ...AI_OPERATORS.map((operator) => operator.images)) as Record<string, string>,
  async run(ctx) {
    const { kube } = ctx;
    const { operator, apiVersion, detectedPods } = await ctx.step('the operator is installed and its CRDs are established', async () => {
      const { operator, crds, shadowed, pods } = await findInstalled(ctx);
      const unready = crds.filter((crd) => !isTrue(conditionsOf(crd), 'Established'));
      if (unready.length > 0) {
        const states = unready.map((crd) => `${crd.metadata?.name ?? '?'}: ${describeCondition(conditionsOf(crd), 'Established')}`);
        throw new CheckFailure(`${operator.title} CRDs not established: ${states.join('; ')}`);
      }
      const primary = crds.find((crd) => crd.metadata?.name === operator.crds[0]);
      const version = primary ? servedVersion(primary) : undefined;
      if (!version) throw new CheckFailure(`${operator.crds[0]} serves no version`);
      const using = `${operator.group}/${version}`;
      const how = ctx.options.operator ? 'named with --operator' : 'detected';
      return {
        seen: `${operator.title} (${how}): ${crds.map((crd) => crd.metadata?.name ?? '?').join(', ')} Established; using ${using}${shadowed ? ` (${shadowed}'s CRDs are installed but no controller pod runs: left behind, not used)` : ''}`,
        value: { operator, apiVersion: using, detectedPods: pods },
      };
    });

    // Both checks below judge the operator's pods and the webhooks that cover its kind: list once
    // (detection may have listed the pods already), the webhooks at the same time.
    const pods = detectedPods ? Promise.resolve(detectedPods) : operatorPods(ctx, operator);
    const configurations = ctx.kube.list<V1ValidatingWebhookConfiguration>({
      apiVersion: WEBHOOK_API,
      kind: 'ValidatingWebhookConfiguration',
    });
    configurations.catch(() => undefined); // awaited below, through `covering`
    const covering = pods.then(async (found) => coveringWebhooks(ctx, operator, await configurations, found.live));
    pods.catch(() => undefined); // each check awaits them and reports a failure itself
    covering.catch(() => undefined);

    await ctx.check('its controller pods are running', async () => {
      const { live, finished } = await pods;
      const history =
        finished.length > 0 ? ` (${finished.length} finished or evicted pod(s) not counted: ${finished.map(podName).join(', ')})` : '';
      if (live.length === 0) throw new CheckFailure(`no ${operator.title} controller pod running (${operator.podSelector})${history}`);
      const notReady = live.filter(
        (pod) => pod.status?.phase !== 'Running' || !(pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      if (notReady.length > 0) {
        const states = notReady.map((pod) => `${podName(pod)} ${pod.status?.phase ?? 'no phase'}`);
        throw new CheckFailure(`${operator.title} controller pods not running and ready: ${states.join(', ')}${history}`);
      }
      return `${live.length} ${operator.title} pod(s) Running and Ready: ${live.map(podName).join(', ')}${history}`;
    });

    // The operator and its version, from the controller pods just listed (KServe's also run a proxy sidecar).
    await pods.then(
      (found) => reportPods(ctx, operator.title, found.live, `${apiVersion} served`, 'manager'),
      () =>
        ctx.fact({
          component: operator.title,
          source: `its controller pods (${operator.podSelector}) could not be listed`,
          detail: `${apiVersion} served`,
        }),
    );

    await ctx.check('its validating webhook rejects an invalid object', async () => {
      const all = await covering;
      if (all.length === 0) {
        throw new CheckFailure(
          `no ValidatingWebhookConfiguration covers ${operator.plural}.${operator.group}: invalid objects are not rejected`,
        );
      }
      const webhooks = all.filter((w) => w.own);
      const others = all.filter((w) => !w.own).map(({ configuration, webhook }) => `${configuration}/${webhook.name}`);
      if (webhooks.length === 0) {
        throw new CheckFailure(
          `no validating webhook of ${operator.title} covers ${operator.plural}.${operator.group} (none is served by a Service in front of its pods); ${others.join(', ')} cover it but belong to other components, so their verdicts do not speak for the operator`,
        );
      }
      const names = webhooks.map(({ configuration, webhook }) => `${configuration}/${webhook.name}`).join(', ');
      try {
        await kube.create(operator.invalidObject(apiVersion, INVALID_NAME), { dryRun: true });
      } catch (error) {
        const { code, message } = apiErrorOf(error);
        const denier = code !== undefined && code >= 400 && code < 500 ? denyingWebhook(message) : undefined;
        if (denier !== undefined && webhooks.some(({ webhook }) => webhook.name === denier)) {
          return `dry-run create of an invalid ${operator.kind} denied by ${denier} (HTTP ${code}): ${message}`;
        }
        if (denier !== undefined) {
          // Another webhook (e.g. a policy engine) answered first: the operator's verdict is unknown.
          throw new Error(
            `could not tell whether ${names} reject an invalid ${operator.kind}: webhook ${denier}, not the operator's, denied it first (HTTP ${code}): ${message}`,
            { cause: error },
          );
        }
        throw error;
      }
      throw new CheckFailure(`an invalid ${operator.kind} was accepted (dry run) although webhooks ${names} cover ${operator.plural}`);
    });

    await ctx.check('a valid object is reconciled to ready', async () => {
      const ref = { apiVersion, kind: operator.kind, namespace: ctx.namespace, name: VALID_NAME };
      const settings = {
        images: ctx.images,
        trainerRuntime: ctx.option('trainer-runtime'),
        kserveStorageUri: ctx.option('kserve-storage-uri'),
      };
      await kube.create(operator.validObject(apiVersion, VALID_NAME, settings));
      const started = ctx.clock.now();
      await kube
        .waitFor<KubernetesObject>(ref, (object) => operator.ready(object), {
          description: `${operator.kind} ${VALID_NAME} ready`,
          timeoutMs: RECONCILE_TIMEOUT_MS,
        })
        .catch(impossibleFails);
      const seconds = ((ctx.clock.now() - started) / 1000).toFixed(1);
      await kube.delete(ref);
      await kube.waitForDeletion(ref, { description: `${operator.kind} ${VALID_NAME} deleted`, timeoutMs: DELETE_TIMEOUT_MS });
      return `${operator.kind} ${VALID_NAME} reconciled to ready in ${seconds}s, then deleted`;
    });
  },
});

interface Installed {
  operator: AiOperator;
  crds: V1CustomResourceDefinition[];
  /** An operator found first whose CRDs are there but whose controller is not. */
  shadowed?: string;
  /** Its controller pods, where detection listed them. */
  pods?: OperatorPods;
}

interface OperatorPods {
  /** Pods that are, or will be, the controller. */
  live: V1Pod[];
  /** Succeeded or Failed (an evicted pod is Failed): history, not the controller. */
  finished: V1Pod[];
}

const podName = (pod: V1Pod): string => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;

async function operatorPods(ctx: ProbeContext, operator: AiOperator): Promise<OperatorPods> {
  const pods = await ctx.kube.list<V1Pod>(
    { apiVersion: 'v1', kind: 'Pod', namespace: ALL_NAMESPACES },
    { labelSelector: operator.podSelector },
  );
  const done = (pod: V1Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  return { live: pods.filter((pod) => !done(pod)), finished: pods.filter(done) };
}

async function findInstalled(ctx: ProbeContext): Promise<Installed> {
  const wanted = ctx.options.operator;
  const candidates = wanted ? [operatorNamed(wanted)] : AI_OPERATORS;
  if (candidates[0] === undefined) {
    throw new Error(`unknown operator "${wanted ?? ''}"; known: ${AI_OPERATORS.map((operator) => operator.name).join(', ')}`);
  }
  // Every candidate's CRDs, read together (a fixed handful of GETs), then judged in order.
  const present = await Promise.all(
    candidates.map(async (operator) => {
      if (!operator) return [];
      const crds = await Promise.all(
        operator.crds.map((name) =>
          ctx.kube.get<V1CustomResourceDefinition>({ apiVersion: CRD_API, kind: 'CustomResourceDefinition', name }),
        ),
      );
      return crds.filter((crd): crd is V1CustomResourceDefinition => crd !== undefined);
    }),
  );
  // CRDs outlive an uninstalled operator: prefer one whose controller runs, else the first found.
  let leftover: Installed | undefined;
  for (const [index, operator] of candidates.entries()) {
    if (!operator) continue;
    const crds = present[index];
    if (!crds.some((crd) => crd.metadata?.name === operator.crds[0])) continue;
    if (wanted) return { operator, crds };
    const pods = await operatorPods(ctx, operator);
    if (pods.live.length > 0) return { operator, crds, pods, ...(leftover ? { shadowed: leftover.operator.title } : {}) };
    leftover ??= { operator, crds, pods };
  }
  if (leftover) return leftover;
  const looked = candidates.map((operator) => `${operator?.title ?? '?'} (${operator?.crds[0] ?? '?'})`).join(', ');
  throw new CheckFailure(`no AI operator found: looked for ${looked}; name one with --operator`);
}

function servedVersion(crd: V1CustomResourceDefinition): string | undefined {
  const served = crd.spec.versions.filter((version) => version.served);
  return (served.find((version) => version.storage) ?? served.at(0))?.name;
}

// Exact group and plural only: a catch-all webhook (Gatekeeper, Kyverno: apiGroups ['*']) is not
// the operator's, so neither its pods nor its denials speak for the operator.
function covers(webhook: V1ValidatingWebhook, operator: AiOperator): boolean {
  return (webhook.rules ?? []).some(
    (rule) =>
      (rule.apiGroups ?? []).includes(operator.group) &&
      (rule.resources ?? []).includes(operator.plural) &&
      (rule.operations ?? []).some((operation) => operation === 'CREATE' || operation === '*'),
  );
}

/** The webhook named in the API server's denial: `admission webhook "NAME" denied the request: ...`. */
function denyingWebhook(message: string): string | undefined {
  return /admission webhook "([^"]+)" denied the request/i.exec(message)?.[1];
}

interface CoveringWebhook {
  configuration: string;
  webhook: V1ValidatingWebhook;
  /** Served by a Service, in the operator's namespace, whose selector picks the operator's pods. */
  own: boolean;
}

function selects(selector: Record<string, string> | undefined, pod: V1Pod): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (
    selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value)
  );
}

async function coveringWebhooks(
  ctx: ProbeContext,
  operator: AiOperator,
  configurations: V1ValidatingWebhookConfiguration[],
  pods: V1Pod[],
): Promise<CoveringWebhook[]> {
  const covering = configurations.flatMap((configuration) =>
    (configuration.webhooks ?? [])
      .filter((webhook) => covers(webhook, operator))
      .map((webhook) => ({ configuration: configuration.metadata?.name ?? '?', webhook })),
  );
  const namespaces = new Set(pods.map((pod) => pod.metadata?.namespace));
  // One Service read per covering webhook (a handful), sent together.
  return Promise.all(
    covering.map(async (entry) => {
      const service = entry.webhook.clientConfig.service;
      let own = false;
      if (service && namespaces.has(service.namespace)) {
        const found = await ctx.kube.get<V1Service>({
          apiVersion: 'v1',
          kind: 'Service',
          namespace: service.namespace,
          name: service.name,
        });
        own = pods.some((pod) => pod.metadata?.namespace === service.namespace && selects(found?.spec?.selector, pod));
      }
      return { ...entry, own };
    }),
  );
}
