// ai_inference: the platform routes inference traffic through the Gateway API. Test plan:
//   1. the Gateway API CRDs gatewayclasses, gateways and httproutes are Established (grpcroutes and
//      referencegrants are reported);
//   2. a GatewayClass is accepted by a controller (status Accepted=True);
//   3. a Gateway of that class, created in the probe namespace, is Accepted and Programmed;
//   4. an HTTPRoute with weighted backends and a model-header match is Accepted by the Gateway and
//      its backend references resolve.

import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { CheckFailure, defineProbe } from './types.js';
import { duration, text } from './options.js';
import { conditionsOf, describeCondition, findCondition, isTrue, type Condition } from './lib/conditions.js';
import { impossibleFails } from './lib/verdicts.js';
import { reportGatewayFacts } from './lib/platform-facts.js';

const GROUP = 'gateway.networking.k8s.io';
const REQUIRED = ['gatewayclasses', 'gateways', 'httproutes'];
const REPORTED = ['grpcroutes', 'referencegrants'];
const CRD_API = 'apiextensions.k8s.io/v1';
const WAIT_MS = 120_000;
const GATEWAY = 'ai-inference-gateway';
const ROUTE = 'ai-inference-route';
const BACKENDS = [
  { name: 'ai-inference-model-a', weight: 80 },
  { name: 'ai-inference-model-b', weight: 20 },
];
/** The header OpenAI-compatible gateways route on (Gateway API Inference Extension's model name). */
const MODEL_HEADER = 'x-gateway-model-name';

export const aiInferenceProbe = defineProbe({
  id: 'ai_inference',
  timeoutMs: 15 * 60_000,
  options: {
    'gateway-class': text('the GatewayClass to use; by default the first one a controller accepted'),
    // Cloud load balancers take minutes to get an address; an in-cluster proxy takes seconds.
    'ai-inference.programmed-ms': duration(
      600_000,
      'how long the Gateway may take to be Accepted and Programmed (cloud load balancers take minutes)',
    ),
  },
  async run(ctx) {
    const { kube } = ctx;
    const versions = await ctx.step('the Gateway API CRDs are established', async () => {
      const served = new Map<string, string>();
      const seen: string[] = [];
      const problems: string[] = [];
      for (const plural of [...REQUIRED, ...REPORTED]) {
        const crd = await kube.get<V1CustomResourceDefinition>({
          apiVersion: CRD_API,
          kind: 'CustomResourceDefinition',
          name: `${plural}.${GROUP}`,
        });
        const required = REQUIRED.includes(plural);
        if (!crd) {
          (required ? problems : seen).push(`${plural} ${required ? 'missing' : 'absent'}`);
          continue;
        }
        const state = crdState(crd);
        const version = servedVersion(crd);
        if (version) served.set(plural, version);
        if (required && (!state.ok || !version)) problems.push(state.text);
        else seen.push(state.text);
      }
      if (problems.length > 0)
        throw new CheckFailure(`Gateway API CRDs not ready: ${problems.join('; ')} (seen: ${seen.join(', ') || 'nothing else'})`);
      return { seen: `established: ${seen.join(', ')}`, value: served };
    });
    const gatewayApi = (plural: string): string => `${GROUP}/${versions.get(plural) ?? 'v1'}`;

    const className = await ctx.step('a GatewayClass is accepted by a controller', async () => {
      const wanted = ctx.option('gateway-class');
      const classes = await kube.list<GatewayClassObject>({ apiVersion: gatewayApi('gatewayclasses'), kind: 'GatewayClass' });
      if (classes.length === 0) throw new CheckFailure('no GatewayClass exists: no Gateway API controller is installed');
      const candidates = wanted ? classes.filter((gatewayClass) => gatewayClass.metadata?.name === wanted) : classes;
      if (wanted && candidates.length === 0) {
        throw new CheckFailure(`GatewayClass ${wanted} (--probe-option gateway-class) does not exist`);
      }
      const chosen = candidates.find((gatewayClass) => isTrue(conditionsOf(gatewayClass), 'Accepted'));
      if (!chosen?.metadata?.name) {
        const states = candidates.map((gatewayClass) => {
          const conditions = conditionsOf(gatewayClass);
          // A class nobody acted on has no Accepted condition (or the CRD default, Pending).
          const untouched = !findCondition(conditions, 'Accepted') || findCondition(conditions, 'Accepted')?.reason === 'Pending';
          const state = untouched ? 'no controller has acted on it' : describeCondition(conditions, 'Accepted');
          return `${gatewayClass.metadata?.name ?? '?'} (controllerName ${gatewayClass.spec?.controllerName ?? 'unset'}): ${state}`;
        });
        throw new CheckFailure(`no GatewayClass is accepted by a controller: ${states.join('; ')}`);
      }
      const name = chosen.metadata.name;
      return {
        seen: `GatewayClass ${name} accepted by ${chosen.spec?.controllerName ?? '?'} (${classes.length} class(es) present)`,
        value: name,
      };
    });

    await reportGatewayFacts(ctx, gatewayApi('gatewayclasses'), className);

    await ctx.step('a Gateway is accepted and programmed', async () => {
      const ref = { apiVersion: gatewayApi('gateways'), kind: 'Gateway', namespace: ctx.namespace, name: GATEWAY };
      await kube.create({
        ...ref,
        metadata: { name: GATEWAY },
        spec: {
          gatewayClassName: className,
          listeners: [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } }],
        },
      });
      const started = ctx.clock.now();
      const gateway = await kube
        .waitFor<GatewayObject>(
          ref,
          (object) => {
            const conditions = conditionsOf(object);
            const acceptedCondition = findCondition(conditions, 'Accepted');
            if (acceptedCondition?.status === 'False') return `Gateway ${GATEWAY} rejected: ${describeCondition(conditions, 'Accepted')}`;
            return acceptedCondition?.status === 'True' && isTrue(conditions, 'Programmed');
          },
          { description: `Gateway ${GATEWAY} Accepted and Programmed`, timeoutMs: ctx.option('ai-inference.programmed-ms') },
        )
        .catch(impossibleFails);
      const addresses = (gateway.status?.addresses ?? [])
        .map((address) => address.value)
        .filter((value): value is string => typeof value === 'string');
      const seconds = ((ctx.clock.now() - started) / 1000).toFixed(1);
      return `Gateway ${GATEWAY} (class ${className}) Accepted and Programmed in ${seconds}s${addresses.length ? `, address ${addresses.join(', ')}` : ''}`;
    });

    await ctx.step('an HTTPRoute with weighted backends and a header match is accepted', async () => {
      for (const backend of BACKENDS) {
        await kube.create({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: backend.name },
          spec: { selector: { 'ai-conformance.cncf.io/backend': backend.name }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
        });
      }
      const ref = { apiVersion: gatewayApi('httproutes'), kind: 'HTTPRoute', namespace: ctx.namespace, name: ROUTE };
      await kube.create({
        ...ref,
        metadata: { name: ROUTE },
        spec: {
          parentRefs: [{ name: GATEWAY, sectionName: 'http' }],
          rules: [
            {
              matches: [
                {
                  path: { type: 'PathPrefix', value: '/v1/chat/completions' },
                  headers: [{ type: 'Exact', name: MODEL_HEADER, value: 'conformance-probe' }],
                },
              ],
              backendRefs: BACKENDS.map((backend) => ({ name: backend.name, port: 8080, weight: backend.weight })),
            },
          ],
        },
      });
      const route = await kube
        .waitFor<HTTPRouteObject>(
          ref,
          (object) => {
            const parent = (object.status?.parents ?? []).find((status) => status.parentRef?.name === GATEWAY);
            if (!parent) return false;
            const conditions = conditionsOf(parent.conditions ?? []);
            if (findCondition(conditions, 'Accepted')?.status === 'False') {
              return `HTTPRoute ${ROUTE} not accepted by Gateway ${GATEWAY}: ${describeCondition(conditions, 'Accepted')}`;
            }
            return isTrue(conditions, 'Accepted') && isTrue(conditions, 'ResolvedRefs');
          },
          { description: `HTTPRoute ${ROUTE} Accepted with ResolvedRefs by Gateway ${GATEWAY}`, timeoutMs: WAIT_MS },
        )
        .catch(impossibleFails);
      const parent = (route.status?.parents ?? []).find((status) => status.parentRef?.name === GATEWAY);
      const split = BACKENDS.map((backend) => `${backend.name}=${backend.weight}`).join('/');
      return `HTTPRoute ${ROUTE} (header ${MODEL_HEADER}, weights ${split}) Accepted and ResolvedRefs by ${parent?.controllerName ?? 'the controller'}`;
    });
  },
});

interface GatewayObject extends KubernetesObject {
  status?: { addresses?: { value?: string }[]; conditions?: Condition[] };
}

interface GatewayClassObject extends KubernetesObject {
  spec?: { controllerName?: string };
}

interface RouteParentStatus {
  parentRef?: { name?: string; namespace?: string };
  controllerName?: string;
  conditions?: Condition[];
}

interface HTTPRouteObject extends KubernetesObject {
  status?: { parents?: RouteParentStatus[] };
}

function crdState(crd: V1CustomResourceDefinition): { ok: boolean; text: string } {
  const conditions = conditionsOf(crd);
  const ok = isTrue(conditions, 'Established') && isTrue(conditions, 'NamesAccepted');
  const versions = (crd.spec.versions ?? []).filter((version) => version.served).map((version) => version.name);
  const text = ok
    ? `${crd.spec.names.plural} (${versions.join('/')})`
    : `${crd.spec.names.plural} not established: ${describeCondition(conditions, 'Established')}, ${describeCondition(conditions, 'NamesAccepted')}`;
  return { ok, text };
}

/** The Gateway API version objects are created in: v1 where served, else the first served. */
function servedVersion(crd: V1CustomResourceDefinition): string | undefined {
  const served = (crd.spec.versions ?? []).filter((version) => version.served).map((version) => version.name);
  return served.includes('v1') ? 'v1' : served[0];
}
