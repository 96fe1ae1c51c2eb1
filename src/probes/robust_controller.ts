// robust_controller: an AI operator built on CRDs works reliably. Test plan (KAR-0063):
//   1. the operator (--operator, else detected among KubeRay, Kubeflow Trainer, KServe) is
//      installed: its CRDs are Established;
//   2. its controller pods are Running and Ready;
//   3. its validating webhook denies an invalid object (server-side dry-run create);
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
    'kserve-storage-uri': url('KServe: where the valid InferenceService loads its model from', 'gs://kfserving-examples/models/sklearn/1.0/model'),
  },
  images: Object.assign({}, ...AI_OPERATORS.map((operator) => operator.images)) as Record<string, string>,
  async run(ctx) {
    const { kube } = ctx;
    const { operator, apiVersion } = await ctx.step('the operator is installed and its CRDs are established', async () => {
      const { operator, crds } = await findInstalled(ctx);
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
        seen: `${operator.title} (${how}): ${crds.map((crd) => crd.metadata?.name ?? '?').join(', ')} Established; using ${using}`,
        value: { operator, apiVersion: using },
      };
    });

    // Both checks below judge the webhooks that cover the operator's kind: list them once.
    const covering = listCoveringWebhooks(ctx, operator);
    covering.catch(() => undefined); // each check awaits it and reports its failure itself

    await ctx.check('its controller pods are running', async () => {
      const webhooks = await covering;
      const pods = new Map<string, V1Pod>();
      const add = (list: V1Pod[]): void => list.forEach((pod) => pods.set(`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, pod));
      add(await kube.list<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ALL_NAMESPACES }, { labelSelector: operator.podSelector }));
      // The pods serving the webhook are the operator's too, whatever their labels.
      for (const { webhook } of webhooks) {
        const service = webhook.clientConfig.service;
        if (!service) continue;
        const found = await kube.get<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace: service.namespace, name: service.name });
        const selector = found?.spec?.selector;
        if (selector && Object.keys(selector).length > 0) {
          add(await kube.list<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: service.namespace }, { labelSelector: selectorOf(selector) }));
        }
      }
      if (pods.size === 0) throw new CheckFailure(`no ${operator.title} controller pod found (${operator.podSelector}, or behind its webhook Service)`);
      const notReady = [...pods.entries()].filter(
        ([, pod]) => pod.status?.phase !== 'Running' || !(pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      if (notReady.length > 0) {
        const states = notReady.map(([name, pod]) => `${name} ${pod.status?.phase ?? 'no phase'}`);
        throw new CheckFailure(`${operator.title} controller pods not running and ready: ${states.join(', ')}`);
      }
      return `${pods.size} ${operator.title} pod(s) Running and Ready: ${[...pods.keys()].join(', ')}`;
    });

    await ctx.check('its validating webhook rejects an invalid object', async () => {
      const webhooks = await covering;
      if (webhooks.length === 0) {
        throw new CheckFailure(`no ValidatingWebhookConfiguration covers ${operator.plural}.${operator.group}: invalid objects are not rejected`);
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
          throw new Error(`could not tell whether ${names} reject an invalid ${operator.kind}: webhook ${denier}, not the operator's, denied it first (HTTP ${code}): ${message}`);
        }
        throw error;
      }
      throw new CheckFailure(`an invalid ${operator.kind} was accepted (dry run) although webhooks ${names} cover ${operator.plural}`);
    });

    await ctx.check('a valid object is reconciled to ready', async () => {
      const ref = { apiVersion, kind: operator.kind, namespace: ctx.namespace, name: VALID_NAME };
      const settings = { images: ctx.images, trainerRuntime: ctx.option('trainer-runtime'), kserveStorageUri: ctx.option('kserve-storage-uri') };
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
}

async function findInstalled(ctx: ProbeContext): Promise<Installed> {
  const wanted = ctx.options.operator;
  const candidates = wanted ? [operatorNamed(wanted)] : AI_OPERATORS;
  if (candidates[0] === undefined) {
    throw new Error(`unknown operator "${wanted ?? ''}"; known: ${AI_OPERATORS.map((operator) => operator.name).join(', ')}`);
  }
  for (const operator of candidates) {
    if (!operator) continue;
    const crds: V1CustomResourceDefinition[] = [];
    for (const name of operator.crds) {
      const crd = await ctx.kube.get<V1CustomResourceDefinition>({ apiVersion: CRD_API, kind: 'CustomResourceDefinition', name });
      if (crd) crds.push(crd);
    }
    if (crds.some((crd) => crd.metadata?.name === operator.crds[0])) return { operator, crds };
  }
  const looked = candidates.map((operator) => `${operator?.title ?? '?'} (${operator?.crds[0] ?? '?'})`).join(', ');
  throw new CheckFailure(`no AI operator found: looked for ${looked}; name one with --operator`);
}

function servedVersion(crd: V1CustomResourceDefinition): string | undefined {
  const served = (crd.spec.versions ?? []).filter((version) => version.served);
  return (served.find((version) => version.storage) ?? served[0])?.name;
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

function selectorOf(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

interface CoveringWebhook {
  configuration: string;
  webhook: V1ValidatingWebhook;
}

async function listCoveringWebhooks(ctx: ProbeContext, operator: AiOperator): Promise<CoveringWebhook[]> {
  const configurations = await ctx.kube.list<V1ValidatingWebhookConfiguration>({ apiVersion: WEBHOOK_API, kind: 'ValidatingWebhookConfiguration' });
  return configurations.flatMap((configuration) =>
    (configuration.webhooks ?? [])
      .filter((webhook) => covers(webhook, operator))
      .map((webhook) => ({ configuration: configuration.metadata?.name ?? '?', webhook })),
  );
}
