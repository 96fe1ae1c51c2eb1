// ai_inference: the platform routes inference traffic through the Gateway API. Test plan (the
// upstream suite's TestAiInference checks only that the gateway.networking.k8s.io/v1 resources are
// served; this plan also has an implementation program them):
//   1. the Gateway API CRDs gatewayclasses, gateways and httproutes are Established (grpcroutes and
//      referencegrants are reported);
//   2. a GatewayClass has a live controller: Accepted=True for its current generation and, for an
//      implementation the probe knows (Envoy Gateway, Istio, kgateway), a running controller pod.
//      Classes left by an uninstalled implementation are skipped; --probe-option gateway-class
//      restricts the choice to one class;
//   3. live classes are tried in turn (controller seen running first) until one works: a Gateway of
//      the class, created in the probe namespace, is Accepted and Programmed, and
//   4. an HTTPRoute to two backends, weighted 80/20, with a rule matching the model header
//      (x-gateway-model-name) that sends to the second, is Accepted with its references resolved.
//      Classes that were tried and failed are reported with why;
//   5. where the Gateway has an address a pod can reach, two tiny backends (each answers with its
//      own name) get requests from a pod: those with the header must all reach the matched backend,
//      those without must split as the weights say, within a binomial tolerance. A Gateway with no
//      address reachable from a pod leaves this check out (an observation says why): the MUST's
//      test plan is the API's, so it still passes on steps 1-4.

import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration, text } from './options.js';
import { conditionsOf, describeCondition, findCondition, isTrue, type Condition } from './lib/conditions.js';
import { liveClasses, type ClassCandidate, type GatewayClassObject } from './lib/gateway-classes.js';
import { reportGatewayFacts } from './lib/platform-facts.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, waitForPod } from './lib/probe-pod.js';
import { SHELL_CONTAINER, lineValues, shellPod } from './lib/shell-pod.js';
import { impossibleFails, isNotFound, timeoutFails, unschedulableFails } from './lib/verdicts.js';

const GROUP = 'gateway.networking.k8s.io';
const REQUIRED = ['gatewayclasses', 'gateways', 'httproutes'];
const REPORTED = ['grpcroutes', 'referencegrants'];
const CRD_API = 'apiextensions.k8s.io/v1';
const WAIT_MS = 120_000;
const GATEWAY = 'ai-inference-gateway';
const ROUTE = 'ai-inference-route';
const PATH = '/v1/chat/completions';
const PORT = 8080;
const BACKEND_LABEL = 'ai-conformance.cncf.io/backend';
const BACKENDS = [
  { name: 'ai-inference-model-a', weight: 80 },
  { name: 'ai-inference-model-b', weight: 20 },
] as const;
/** The header OpenAI-compatible gateways route on (Gateway API Inference Extension's model name). */
const MODEL_HEADER = 'x-gateway-model-name';
/** The backend the header rule sends to. */
const MATCHED = BACKENDS[1].name;
const REACH = 'ai-inference-reach';
const CLIENT = 'ai-inference-client';
const HTTP_LINE = 'AI_CONFORMANCE_HTTP';
/** Tries before the data plane must answer from a backend (Gateway API conformance allows seconds to converge). */
const REACH_TRIES = 10;
/** Consecutive backend answers that show the route is programmed (as Gateway API conformance requires 3). */
const CONSISTENT = 3;
/**
 * Each request's limit, by busybox `timeout` (an unreachable address would otherwise hang wget for
 * its 900 s default; its own -T segfaults in some busybox builds): a killed request prints nothing.
 */
const REQUEST_TIMEOUT_S = 5;
const PLAIN_REQUESTS = 200;
const HEADER_REQUESTS = 20;
/** Standard deviations of the binomial a weighted split may stray (a false failure about 1 in 16,000). */
const Z = 4;
/** A Gateway address that may go into the client's shell script: a host name, IPv4 or IPv6, nothing else. */
const PLAIN_HOST = /^[A-Za-z0-9.:-]+$/;

const OPTIONS = {
  'gateway-class': text('the GatewayClass to use; by default every class with a live controller is tried in turn until one works'),
  // Cloud load balancers take minutes to get an address; an in-cluster proxy takes seconds.
  'ai-inference.programmed-ms': duration(
    600_000,
    'how long the Gateway may take to be Accepted and Programmed (cloud load balancers take minutes)',
  ),
  'ai-inference.accepted-ms': duration(
    60_000,
    "how long a class's controller may take to act on a Gateway (set Accepted); a class whose controller does not is taken as having none",
  ),
};

export const aiInferenceProbe = defineProbe({
  id: 'ai_inference',
  timeoutMs: 15 * 60_000,
  options: OPTIONS,
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const { kube } = ctx;
    const versions = await ctx.step('the Gateway API CRDs are established', async () => {
      const served = new Map<string, string>();
      const seen: string[] = [];
      const problems: string[] = [];
      // Five independent reads: sent together, judged in order.
      const plurals = [...REQUIRED, ...REPORTED];
      const crds = await Promise.all(
        plurals.map((plural) =>
          kube.get<V1CustomResourceDefinition>({ apiVersion: CRD_API, kind: 'CustomResourceDefinition', name: `${plural}.${GROUP}` }),
        ),
      );
      for (const [index, plural] of plurals.entries()) {
        const crd = crds[index];
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
    const classesApi = `${GROUP}/${versions.get('gatewayclasses') ?? 'v1'}`;
    const api: GatewayApi = {
      gateways: `${GROUP}/${versions.get('gateways') ?? 'v1'}`,
      routes: `${GROUP}/${versions.get('httproutes') ?? 'v1'}`,
    };

    const candidates = await ctx.step('a GatewayClass is accepted by a controller', async () => {
      const wanted = ctx.option('gateway-class');
      const classes = await kube.list<GatewayClassObject>({
        apiVersion: classesApi,
        kind: 'GatewayClass',
      });
      if (classes.length === 0) throw new CheckFailure('no GatewayClass exists: no Gateway API controller is installed');
      if (wanted && !classes.some((gatewayClass) => gatewayClass.metadata?.name === wanted)) {
        throw new CheckFailure(`GatewayClass ${wanted} (--probe-option gateway-class) does not exist`);
      }
      const live = await liveClasses(kube, classes, wanted);
      for (const skipped of live.skipped) ctx.observe(`GatewayClass skipped: ${skipped}`);
      if (live.candidates.length === 0) throw new CheckFailure(`no GatewayClass is accepted by a controller: ${live.skipped.join('; ')}`);
      const [first, ...others] = live.candidates;
      const then = others.length ? `; then ${others.map((candidate) => candidate.name).join(', ')}` : '';
      const skipped = live.skipped.length ? `; skipped ${live.skipped.join('; ')}` : '';
      return {
        seen: `GatewayClass ${first.name} accepted by ${first.controllerName} (${first.liveness})${then}${skipped}; ${classes.length} class(es) present`,
        value: live.candidates,
      };
    });

    // The backends every attempt routes to: created once (together: nothing orders them), ready
    // while the Gateways are programmed.
    await Promise.all(
      BACKENDS.flatMap((backend) => [
        kube.create({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: backend.name },
          spec: { selector: { [BACKEND_LABEL]: backend.name }, ports: [{ name: 'http', port: PORT, targetPort: PORT }] },
        }),
        kube.create(backendPod(ctx, backend.name)),
      ]),
    );

    const chosen = await ctx.step('a Gateway is accepted and programmed', async () => {
      const tried: string[] = [];
      const couldNotCheck: string[] = [];
      for (const [index, candidate] of candidates.entries()) {
        try {
          const outcome = await attempt(ctx, api, candidate, index);
          const before = tried.length ? `; tried before: ${tried.join('; ')}` : '';
          return { seen: `${outcome.gatewaySeen}${before}`, value: outcome };
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          const why = `${candidate.name}: ${error instanceof Error ? error.message : String(error)}`;
          ctx.observe(`GatewayClass tried and failed: ${why}`);
          tried.push(why);
          if (!(error instanceof CheckFailure)) couldNotCheck.push(candidate.name);
        }
      }
      const summary = `no live GatewayClass programs a Gateway with the weighted, header-matched HTTPRoute: ${tried.join('; ')}`;
      // A class that could not be checked might have worked: nothing can be concluded.
      if (couldNotCheck.length > 0) throw new Error(`could not check GatewayClass ${couldNotCheck.join(', ')}: ${summary}`);
      throw new CheckFailure(summary);
    });

    await ctx.step('an HTTPRoute with weighted backends and a header match is accepted', () => Promise.resolve(chosen.routeSeen));

    // The platform facts are reads nothing below depends on: gathered while the backends start.
    const [reach] = await Promise.all([reachGateway(ctx, chosen), reportGatewayFacts(ctx, classesApi, chosen.className)]);
    if (reach.kind === 'unreachable') {
      ctx.observe(`traffic through the Gateway not checked: ${reach.why}`);
      return;
    }
    await ctx.check('requests through the Gateway follow the weights and the header match', async () => {
      if (reach.kind === 'not-routed') throw new CheckFailure(reach.why);
      const url = reach.url;
      const get = (header: string): string => `$(timeout ${REQUEST_TIMEOUT_S} wget -q -O -${header} ${url} 2>&1)`;
      const script = [
        `for i in $(seq ${PLAIN_REQUESTS}); do echo "${HTTP_LINE} plain ${get('')}"; done`,
        `for i in $(seq ${HEADER_REQUESTS}); do echo "${HTTP_LINE} header ${get(` --header '${MODEL_HEADER}: ${MATCHED}'`)}"; done`,
      ].join('\n');
      await kube.create(shellPod(ctx, { name: CLIENT, script }));
      await waitForPod(ctx, CLIENT, 'completed', WAIT_MS).catch(unschedulableFails);
      const log = await kube.podLogs(ctx.namespace, CLIENT, SHELL_CONTAINER);
      const answers = (kind: string): string[] => lineValues(log, `${HTTP_LINE} ${kind}`);
      const plain = tally(answers('plain'));
      const header = tally(answers('header'));
      if (header.sent < HEADER_REQUESTS || plain.sent < PLAIN_REQUESTS)
        throw new Error(`pod ${CLIENT} printed ${plain.sent + header.sent} of ${PLAIN_REQUESTS + HEADER_REQUESTS} answers`);
      const strays = header.sent - (header.by.get(MATCHED) ?? 0);
      if (strays > 0)
        throw new CheckFailure(
          `the header match is not honoured: of ${header.sent} requests with ${MODEL_HEADER}: ${MATCHED}, ${strays} did not reach ${MATCHED} (${describeTally(header)})`,
        );
      if (plain.errors.length > PLAIN_REQUESTS / 20)
        throw new CheckFailure(
          `${plain.errors.length} of ${plain.sent} requests without the header got no backend answer (first: ${plain.errors[0] ?? ''})`,
        );
      const answered = plain.sent - plain.errors.length;
      const [heavy, light] = BACKENDS;
      const share = heavy.weight / (heavy.weight + light.weight);
      const expected = answered * share;
      const tolerance = Z * Math.sqrt(answered * share * (1 - share));
      const hits = plain.by.get(heavy.name) ?? 0;
      const bounds = `weights ${heavy.weight}/${light.weight}: ${heavy.name} expected ${expected.toFixed(0)} ± ${tolerance.toFixed(0)}, ${Z} standard deviations of the binomial for ${answered} requests`;
      if (Math.abs(hits - expected) > tolerance || (plain.by.get(light.name) ?? 0) === 0)
        throw new CheckFailure(`requests without the header do not split as weighted: ${describeTally(plain)} (${bounds})`);
      return `GET ${url} from pod ${CLIENT}: ${header.sent} requests with ${MODEL_HEADER}: ${MATCHED} all reached ${MATCHED}; ${answered} without it split ${describeTally(plain)} (${bounds})`;
    });
  },
});

interface GatewayApi {
  gateways: string;
  routes: string;
}

interface Attempt {
  className: string;
  gateway: string;
  addresses: string[];
  gatewaySeen: string;
  routeSeen: string;
}

interface GatewayObject extends KubernetesObject {
  status?: { addresses?: { value?: string }[]; conditions?: Condition[] };
}

interface RouteParentStatus {
  parentRef?: { name?: string; namespace?: string };
  controllerName?: string;
  conditions?: Condition[];
}

interface HTTPRouteObject extends KubernetesObject {
  status?: { parents?: RouteParentStatus[] };
}

type AiInferenceContext = ProbeContext<typeof OPTIONS>;

/**
 * One class: its Gateway is acted on within accepted-ms and Programmed within programmed-ms, and
 * the HTTPRoute on it is Accepted with ResolvedRefs. Throws CheckFailure when the class does not
 * work (its Gateway and route are deleted again), anything else when it could not be checked.
 */
async function attempt(ctx: AiInferenceContext, api: GatewayApi, candidate: ClassCandidate, index: number): Promise<Attempt> {
  const { kube } = ctx;
  const suffix = index === 0 ? '' : `-${index + 1}`;
  const gatewayRef = { apiVersion: api.gateways, kind: 'Gateway', namespace: ctx.namespace, name: `${GATEWAY}${suffix}` };
  const routeRef = { apiVersion: api.routes, kind: 'HTTPRoute', namespace: ctx.namespace, name: `${ROUTE}${suffix}` };
  const className = candidate.name;
  // A route may name a Gateway before it exists (its parent status then waits for it): both go together.
  await Promise.all([
    kube.create({
      ...gatewayRef,
      metadata: { name: gatewayRef.name },
      spec: {
        gatewayClassName: className,
        listeners: [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } }],
      },
    }),
    kube.create({ ...routeRef, metadata: { name: routeRef.name }, spec: routeSpec(gatewayRef.name) }),
  ]);
  try {
    const started = ctx.clock.now();
    const lastGateway = async (): Promise<string> => {
      const gateway = await kube.get<GatewayObject>(gatewayRef);
      const conditions = conditionsOf(gateway);
      return `Gateway ${gatewayRef.name}: ${describeCondition(conditions, 'Accepted')}, ${describeCondition(conditions, 'Programmed')}`;
    };
    await kube
      .waitFor<GatewayObject>(
        gatewayRef,
        (object) => {
          const accepted = findCondition(conditionsOf(object), 'Accepted');
          if (accepted?.status === 'False')
            return `Gateway ${gatewayRef.name} rejected: ${describeCondition(conditionsOf(object), 'Accepted')}`;
          return accepted?.status === 'True';
        },
        {
          description: `Gateway ${gatewayRef.name} Accepted`,
          timeoutMs: Math.min(ctx.option('ai-inference.accepted-ms'), ctx.option('ai-inference.programmed-ms')),
        },
      )
      .catch(impossibleFails)
      .catch(
        timeoutFails(
          async () =>
            `no controller acted on Gateway ${gatewayRef.name} within ${seconds(ctx.option('ai-inference.accepted-ms'))} (${await lastGateway()}): class ${className} has no live controller`,
        ),
      );
    const gateway = await kube
      .waitFor<GatewayObject>(gatewayRef, (object) => isTrue(conditionsOf(object), 'Programmed'), {
        description: `Gateway ${gatewayRef.name} Programmed`,
        timeoutMs: Math.max(1, ctx.option('ai-inference.programmed-ms') - (ctx.clock.now() - started)),
      })
      .catch(
        timeoutFails(async () => `not Programmed within ${seconds(ctx.option('ai-inference.programmed-ms'))}: ${await lastGateway()}`),
      );
    const addresses = (gateway.status?.addresses ?? [])
      .map((address) => address.value)
      .filter((value): value is string => typeof value === 'string' && value !== '');
    const gatewaySeen = `Gateway ${gatewayRef.name} (class ${className}) Accepted and Programmed in ${((ctx.clock.now() - started) / 1000).toFixed(1)}s${addresses.length ? `, address ${addresses.join(', ')}` : ''}`;

    const parentOf = (route: HTTPRouteObject | undefined): RouteParentStatus | undefined =>
      (route?.status?.parents ?? []).find((status) => status.parentRef?.name === gatewayRef.name);
    const route = await kube
      .waitFor<HTTPRouteObject>(
        routeRef,
        (object) => {
          const conditions = conditionsOf(parentOf(object)?.conditions ?? []);
          if (findCondition(conditions, 'Accepted')?.status === 'False') {
            return `HTTPRoute ${routeRef.name} not accepted by Gateway ${gatewayRef.name}: ${describeCondition(conditions, 'Accepted')}`;
          }
          return isTrue(conditions, 'Accepted') && isTrue(conditions, 'ResolvedRefs');
        },
        { description: `HTTPRoute ${routeRef.name} Accepted with ResolvedRefs by Gateway ${gatewayRef.name}`, timeoutMs: WAIT_MS },
      )
      .catch(impossibleFails)
      .catch(
        timeoutFails(async () => {
          const conditions = conditionsOf(parentOf(await kube.get<HTTPRouteObject>(routeRef))?.conditions ?? []);
          return `HTTPRoute ${routeRef.name} not Accepted with ResolvedRefs within ${seconds(WAIT_MS)}: ${describeCondition(conditions, 'Accepted')}, ${describeCondition(conditions, 'ResolvedRefs')}`;
        }),
      );
    const split = BACKENDS.map((backend) => `${backend.name}=${backend.weight}`).join('/');
    const routeSeen = `HTTPRoute ${routeRef.name} (header ${MODEL_HEADER}: ${MATCHED} to ${MATCHED}; weights ${split} otherwise) Accepted and ResolvedRefs by ${parentOf(route)?.controllerName ?? 'the controller'}`;
    return { className, gateway: gatewayRef.name, addresses, gatewaySeen, routeSeen };
  } catch (error) {
    // A class that did not work keeps no Gateway (a cloud load balancer costs money) for the next one.
    if (error instanceof CheckFailure) {
      for (const ref of [routeRef, gatewayRef])
        await kube.delete(ref).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
    }
    throw error;
  }
}

/** Two rules on the model path: the header sends to the second backend; without it, the weights split. */
function routeSpec(gateway: string): Record<string, unknown> {
  const path = { type: 'PathPrefix', value: PATH };
  return {
    parentRefs: [{ name: gateway, sectionName: 'http' }],
    rules: [
      {
        matches: [{ path, headers: [{ type: 'Exact', name: MODEL_HEADER, value: MATCHED }] }],
        backendRefs: [{ name: MATCHED, port: PORT }],
      },
      { matches: [{ path }], backendRefs: BACKENDS.map((backend) => ({ name: backend.name, port: PORT, weight: backend.weight })) },
    ],
  };
}

/** busybox httpd serving one file, the backend's own name, at the model path. */
function backendPod(ctx: ProbeContext, name: string): ReturnType<typeof shellPod> {
  const root = '/tmp/www';
  const dir = `${root}${PATH.slice(0, PATH.lastIndexOf('/'))}`;
  return shellPod(ctx, {
    name,
    labels: { [BACKEND_LABEL]: name },
    script: `mkdir -p ${dir} && echo ${name} > ${root}${PATH} && exec httpd -f -p ${PORT} -h ${root}`,
    readinessProbe: { httpGet: { path: PATH, port: PORT }, periodSeconds: 1 },
  });
}

type Reach = { kind: 'routed'; url: string } | { kind: 'unreachable'; why: string } | { kind: 'not-routed'; why: string };

/**
 * Whether a pod reaches the Gateway and its data plane answers from the route's backends: the URL
 * to send the sample to; why traffic cannot be checked (no address, or no try got any answer);
 * or why the Gateway answers without routing.
 */
async function reachGateway(ctx: AiInferenceContext, chosen: Attempt): Promise<Reach> {
  const address = chosen.addresses.find((value) => PLAIN_HOST.test(value));
  if (!address)
    return {
      kind: 'unreachable',
      why: chosen.addresses.length
        ? `Gateway ${chosen.gateway} reports no plain host address (${chosen.addresses.join(', ')})`
        : `Gateway ${chosen.gateway} reports no address in status.addresses`,
    };
  const url = `http://${address.includes(':') ? `[${address}]` : address}${PATH}`;
  await Promise.all(BACKENDS.map((backend) => waitForPod(ctx, backend.name, 'printed', WAIT_MS)));
  const script = `for i in $(seq ${REACH_TRIES}); do echo "${HTTP_LINE} $(timeout ${REQUEST_TIMEOUT_S} wget -q -O - ${url} 2>&1)"; sleep 1; done`;
  await ctx.kube.create(shellPod(ctx, { name: REACH, script }));
  await waitForPod(ctx, REACH, 'completed', WAIT_MS + REACH_TRIES * (REQUEST_TIMEOUT_S + 1) * 1000);
  const answers = lineValues(await ctx.kube.podLogs(ctx.namespace, REACH, SHELL_CONTAINER), HTTP_LINE);
  ctx.observe(`GET ${url} from pod ${REACH}, ${answers.length} tries: ${[...new Set(answers)].join(' | ').slice(0, 500)}`);
  const names: readonly string[] = BACKENDS.map((backend) => backend.name);
  const last = answers.slice(-CONSISTENT);
  if (last.length === CONSISTENT && last.every((answer) => names.includes(answer))) return { kind: 'routed', url };
  if (
    answers.every((answer) => /can't connect|timed out|bad address|Network is unreachable|No route to host/i.test(answer) || answer === '')
  )
    return {
      kind: 'unreachable',
      why: `no request from pod ${REACH} to ${url} got an answer (${answers.at(-1) ?? 'no output'}): the address is not reachable from pods`,
    };
  return {
    kind: 'not-routed',
    why: `the Gateway at ${url} answers but does not route to the HTTPRoute's backends: the last ${CONSISTENT} of ${answers.length} answers were ${last.join(' | ').slice(0, 300)}`,
  };
}

interface Tally {
  sent: number;
  by: Map<string, number>;
  errors: string[];
}

function tally(answers: string[]): Tally {
  const names: readonly string[] = BACKENDS.map((backend) => backend.name);
  const by = new Map<string, number>();
  const errors: string[] = [];
  for (const answer of answers) {
    if (names.includes(answer)) by.set(answer, (by.get(answer) ?? 0) + 1);
    else errors.push(answer.slice(0, 200));
  }
  return { sent: answers.length, by, errors };
}

function describeTally(result: Tally): string {
  const parts = BACKENDS.map((backend) => `${backend.name} ${result.by.get(backend.name) ?? 0}`);
  if (result.errors.length) parts.push(`no backend ${result.errors.length}`);
  return parts.join(', ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

function crdState(crd: V1CustomResourceDefinition): { ok: boolean; text: string } {
  const conditions = conditionsOf(crd);
  const ok = isTrue(conditions, 'Established') && isTrue(conditions, 'NamesAccepted');
  const versions = crd.spec.versions.filter((version) => version.served).map((version) => version.name);
  const text = ok
    ? `${crd.spec.names.plural} (${versions.join('/')})`
    : `${crd.spec.names.plural} not established: ${describeCondition(conditions, 'Established')}, ${describeCondition(conditions, 'NamesAccepted')}`;
  return { ok, text };
}

/** The Gateway API version objects are created in: v1 where served, else the first served. */
function servedVersion(crd: V1CustomResourceDefinition): string | undefined {
  const served = crd.spec.versions.filter((version) => version.served).map((version) => version.name);
  return served.includes('v1') ? 'v1' : served[0];
}
