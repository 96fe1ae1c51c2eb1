// advanced_inference_ingress: a Gateway API Inference Extension (GAIE) implementation routes
// requests to models hosted on the cluster through an endpoint picker. Test plan (the objects are
// those of GAIE v1.6.0's conformance base resources, scaled down):
//   1. the InferencePool API (inference.networking.k8s.io/v1) is served;
//   2. a GatewayClass is accepted by its controller;
//   3. an InferencePool over model-server pods, with its endpoint picker (GAIE's lightweight
//      EPP), becomes ready: the picker Deployment is available and the Gateway reports the pool's
//      references resolved (status.parents[].ResolvedRefs);
//   4. an HTTPRoute from a Gateway to the pool is accepted and resolved by the implementation
//      (route Accepted and ResolvedRefs, pool Accepted for that Gateway);
//   5. requests sent from a pod to the Gateway's address, each carrying GAIE's conformance header
//      test-epp-endpoint-selection naming one pool member, are answered by that member (the echo
//      server answers with its pod name): the Gateway routes through the picker, not round-robin.
//      A Gateway with no address ends in `manual`, naming the evidence to attach.

import type { KubernetesObject, V1Deployment, V1Pod, V1Role, V1RoleBinding, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { WaitTimeout } from '../kube/types.js';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration, text } from './options.js';
import { conditionsOf, describeCondition, findCondition, isTrue, type Condition } from './lib/conditions.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, RESTRICTED_CONTAINER, waitForPod } from './lib/probe-pod.js';
import { SHELL_CONTAINER, lineValue, shellPod } from './lib/shell-pod.js';
import { impossibleFails, unschedulableFails } from './lib/verdicts.js';

const POOL_API = 'inference.networking.k8s.io/v1';
const GATEWAY_API = 'gateway.networking.k8s.io/v1';
const MODEL_SERVER_IMAGE = 'gaie-model-server';
const MODEL_SERVER_DEFAULT = 'gcr.io/k8s-staging-gateway-api/echo-basic:v20251106-v1.3.0-263-g47c3435c';
const EPP_IMAGE = 'gaie-endpoint-picker';
const EPP_DEFAULT = 'registry.k8s.io/gateway-api-inference-extension/lwepp:v1.6.0';
const POOL = 'aii-pool';
const MODELS = 'aii-model-server';
const EPP = 'aii-endpoint-picker';
const GATEWAY = 'aii-gateway';
const ROUTE = 'aii-route';
const CLIENT = 'aii-client';
const PATH = '/ai-conformance-inference';
const HTTP_LINE = 'AI_CONFORMANCE_HTTP';
/** GAIE's conformance hook: the picker restricts its choice to the listed pod IPs (lwepp honours it). */
const SELECTION_HEADER = 'test-epp-endpoint-selection';
const REQUESTS_PER_MEMBER = 3;
/**
 * Each request's limit, by busybox `timeout` as ai_inference does: wget's own -T segfaults in some
 * busybox builds, and an unreachable address would otherwise hang wget for its 900 s default.
 */
const REQUEST_TIMEOUT_S = 10;
/** A pod IP as it may go into the client's shell script (IPv4 or IPv6, nothing else). */
const POD_IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)$/;

interface PoolParent {
  parentRef?: { name?: string; namespace?: string };
  conditions?: Condition[];
}

interface StatusWithParents extends KubernetesObject {
  spec?: { controllerName?: string };
  status?: { parents?: PoolParent[]; addresses?: { value?: string }[]; conditions?: Condition[] };
}

export const advancedInferenceIngressProbe = defineProbe({
  id: 'advanced_inference_ingress',
  // Above its waits (180 s each, the first three concurrent in effect), so they report.
  timeoutMs: 10 * 60_000,
  options: {
    'gateway-class': text('the GatewayClass to use; by default the first one a controller accepted'),
    'advanced-inference-ingress.wait-ms': duration(
      180_000,
      'how long each wait (Deployments available, pool and route status, the client pod) may take',
    ),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT, [MODEL_SERVER_IMAGE]: MODEL_SERVER_DEFAULT, [EPP_IMAGE]: EPP_DEFAULT },
  async run(ctx) {
    const waitMs = ctx.option('advanced-inference-ingress.wait-ms');
    const { kube } = ctx;
    await ctx.step('the InferencePool API is served', async () => {
      const resources = await kube.resources(POOL_API);
      if (!resources?.some((resource) => resource.name === 'inferencepools')) {
        const alpha = await kube.groupVersions('inference.networking.x-k8s.io');
        throw new CheckFailure(
          `${POOL_API} inferencepools is not served: the Gateway API Inference Extension (v1.0 or later) is not installed${alpha.length ? ` (only the pre-GA ${alpha.join(', ')} is served)` : ''}`,
        );
      }
      const extra = (await kube.groupVersions('inference.networking.x-k8s.io')).join(', ');
      return `${POOL_API} inferencepools is served${extra ? `; also ${extra}` : ''}`;
    });

    const className = await ctx.step('a GatewayClass is accepted by its controller', async () => {
      if (!(await kube.isServed(GATEWAY_API)))
        throw new CheckFailure(`${GATEWAY_API} is not served: no Gateway API implementation to route to the pool`);
      const wanted = ctx.option('gateway-class');
      const classes = await kube.list<StatusWithParents>({ apiVersion: GATEWAY_API, kind: 'GatewayClass' });
      const candidates = wanted ? classes.filter((c) => c.metadata?.name === wanted) : classes;
      const chosen = candidates.find((c) => isTrue(conditionsOf(c), 'Accepted'));
      if (!chosen?.metadata?.name) {
        throw new CheckFailure(
          wanted
            ? `GatewayClass ${wanted} (--probe-option gateway-class) does not exist or is not accepted`
            : `no GatewayClass is accepted (classes: ${classes.map((c) => c.metadata?.name).join(', ') || 'none'})`,
        );
      }
      return {
        seen: `GatewayClass ${chosen.metadata.name} accepted by ${chosen.spec?.controllerName ?? '?'}`,
        value: chosen.metadata.name,
      };
    });

    // Everything is created at once; each check below waits for its part.
    await kube.create(modelServers(ctx));
    for (const object of endpointPicker(ctx)) await kube.create(object);
    await kube.create({
      apiVersion: POOL_API,
      kind: 'InferencePool',
      metadata: { name: POOL },
      spec: {
        selector: { matchLabels: { app: MODELS } },
        targetPorts: [{ number: 3000 }],
        endpointPickerRef: { name: EPP, port: { number: 9002 } },
      },
    });
    await kube.create({
      apiVersion: GATEWAY_API,
      kind: 'Gateway',
      metadata: { name: GATEWAY },
      spec: {
        gatewayClassName: className,
        listeners: [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } }],
      },
    });
    await kube.create({
      apiVersion: GATEWAY_API,
      kind: 'HTTPRoute',
      metadata: { name: ROUTE },
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: GATEWAY, sectionName: 'http' }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: PATH } }],
            backendRefs: [{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: POOL }],
          },
        ],
      },
    });

    const poolReady = await ctx.check('an InferencePool with its endpoint picker becomes ready', async () => {
      const models = await deploymentAvailable(ctx, MODELS, waitMs);
      await deploymentAvailable(ctx, EPP, waitMs);
      const pool = await kube
        .waitFor<StatusWithParents>(
          { apiVersion: POOL_API, kind: 'InferencePool', namespace: ctx.namespace, name: POOL },
          (object) => {
            const conditions = parentFor(object)?.conditions ?? [];
            return isTrue(conditions, 'ResolvedRefs');
          },
          { description: `InferencePool ${POOL} ResolvedRefs for Gateway ${GATEWAY}`, timeoutMs: waitMs },
        )
        .catch(async (error: unknown) => {
          const last = await kube.get<StatusWithParents>({
            apiVersion: POOL_API,
            kind: 'InferencePool',
            namespace: ctx.namespace,
            name: POOL,
          });
          const parent = last ? parentFor(last) : undefined;
          if (parent) throw new CheckFailure(`InferencePool ${POOL}: ${describeCondition(parent.conditions ?? [], 'ResolvedRefs')}`);
          if (last)
            throw new CheckFailure(
              `InferencePool ${POOL} has no status for Gateway ${GATEWAY}: no controller of class ${className} manages InferencePools (${error instanceof Error ? error.message : String(error)})`,
            );
          throw error;
        });
      return `pool ${POOL} over ${models.status?.readyReplicas ?? 0} model server(s); endpoint picker ${EPP} available; ${describeCondition(parentFor(pool)?.conditions ?? [], 'ResolvedRefs')}`;
    });

    const routed = await ctx.check('an HTTPRoute to the pool is accepted and resolved by the Gateway', async () => {
      const route = await kube
        .waitFor<StatusWithParents>(
          { apiVersion: GATEWAY_API, kind: 'HTTPRoute', namespace: ctx.namespace, name: ROUTE },
          (object) => {
            const conditions = parentFor(object)?.conditions ?? [];
            if (findCondition(conditions, 'Accepted')?.status === 'False')
              return `HTTPRoute ${ROUTE} not accepted: ${describeCondition(conditions, 'Accepted')}`;
            if (findCondition(conditions, 'ResolvedRefs')?.status === 'False')
              return `HTTPRoute ${ROUTE} does not resolve the pool: ${describeCondition(conditions, 'ResolvedRefs')}`;
            return isTrue(conditions, 'Accepted') && isTrue(conditions, 'ResolvedRefs');
          },
          { description: `HTTPRoute ${ROUTE} Accepted and ResolvedRefs`, timeoutMs: waitMs },
        )
        .catch(impossibleFails);
      const pool = await kube.get<StatusWithParents>({ apiVersion: POOL_API, kind: 'InferencePool', namespace: ctx.namespace, name: POOL });
      const poolConditions = (pool && parentFor(pool)?.conditions) ?? [];
      if (!isTrue(poolConditions, 'Accepted'))
        throw new CheckFailure(
          `InferencePool ${POOL} is not accepted by Gateway ${GATEWAY}: ${describeCondition(poolConditions, 'Accepted')}`,
        );
      return `HTTPRoute ${ROUTE} ${describeCondition(parentFor(route)?.conditions ?? [], 'Accepted')}, ${describeCondition(parentFor(route)?.conditions ?? [], 'ResolvedRefs')}; pool ${describeCondition(poolConditions, 'Accepted')}`;
    });
    if (!poolReady || !routed) return;

    const gateway = await kube.get<StatusWithParents>({
      apiVersion: GATEWAY_API,
      kind: 'Gateway',
      namespace: ctx.namespace,
      name: GATEWAY,
    });
    const address = (gateway?.status?.addresses ?? [])
      .map((a) => a.value)
      .find((value): value is string => typeof value === 'string' && value !== '');
    if (!address) {
      // Status alone does not show that requests go through the picker: a human must show one that did.
      return ctx.manual(
        `Gateway ${GATEWAY} (class ${className}) reports no address, so no request could be sent through it. Attach, from a client that reaches the Gateway, ` +
          `the answers to requests for ${PATH} sent with the header '${SELECTION_HEADER}: <pod IP>' naming each pool member in turn, ` +
          `each answered by the pod named (the echo server's "pod" field), with the Gateway, HTTPRoute and InferencePool status`,
      );
    }
    await ctx.check('requests through the Gateway reach the pool member its endpoint picker selects', async () => {
      const url = `http://${address.includes(':') && !address.startsWith('[') ? `[${address}]` : address}${PATH}`;
      const members = await kube.list<V1Pod>(
        { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace },
        { labelSelector: `app=${MODELS}` },
      );
      const targets = members
        .map((pod) => ({ name: pod.metadata?.name ?? '', ip: pod.status?.podIP ?? '' }))
        .filter((member) => member.name !== '' && POD_IP.test(member.ip))
        .sort((a, b) => a.name.localeCompare(b.name));
      if (targets.length < 2)
        throw new Error(
          `pool ${POOL} has ${targets.length} model server(s) with a pod IP; two are needed to tell the picker's choice from chance`,
        );
      // Each member in turn, several times: a Gateway spreading requests without its picker
      // answers from the member named only by chance (about 1 in 2^${REQUESTS_PER_MEMBER * 2} here).
      const requests = targets.flatMap((target, t) =>
        Array.from({ length: REQUESTS_PER_MEMBER }, (_, n) => ({ target, line: `${HTTP_LINE}_${t}_${n}` })),
      );
      const script = requests
        .map(
          ({ target, line }) =>
            `echo "${line} $(timeout ${REQUEST_TIMEOUT_S} wget -q -O - --header '${SELECTION_HEADER}: ${target.ip}' ${url} 2>&1)"`,
        )
        .join('\n');
      await kube.create(shellPod(ctx, { name: CLIENT, script }));
      await waitForPod(ctx, CLIENT, 'completed', waitMs).catch(unschedulableFails);
      const log = await kube.podLogs(ctx.namespace, CLIENT, SHELL_CONTAINER);
      const strays: string[] = [];
      for (const { target, line } of requests) {
        const answer = lineValue(log, line) ?? '';
        const pod = answeringPod(answer);
        if (pod === undefined)
          throw new CheckFailure(`GET ${url} from pod ${CLIENT} did not reach a model server: ${answer.slice(0, 300) || 'no answer'}`);
        if (pod !== target.name) strays.push(`${target.name} (${target.ip}) asked for, ${pod} answered`);
      }
      if (strays.length) {
        throw new CheckFailure(
          `the Gateway does not route through the endpoint picker: of ${requests.length} requests each naming one member with ${SELECTION_HEADER}, ${strays.length} were answered by another pod (${strays.join('; ')})`,
        );
      }
      return `GET ${url} from pod ${CLIENT}: ${requests.length} requests with ${SELECTION_HEADER} naming ${targets.map((t) => t.name).join(' and ')} in turn were each answered by the member named`;
    });
  },
});

/** The pod an echo-basic answer names, or undefined when the answer is not one. */
function answeringPod(answer: string): string | undefined {
  try {
    const parsed = JSON.parse(answer) as { pod?: unknown };
    return typeof parsed.pod === 'string' ? parsed.pod : undefined;
  } catch {
    return undefined;
  }
}

function parentFor(object: StatusWithParents): PoolParent | undefined {
  return (object.status?.parents ?? []).find((parent) => parent.parentRef?.name === GATEWAY);
}

function modelServers(ctx: ProbeContext): V1Deployment {
  const labels = { app: MODELS };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: MODELS, namespace: ctx.namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'echoserver',
              image: ctx.images.resolve(MODEL_SERVER_IMAGE),
              ports: [{ containerPort: 3000 }],
              readinessProbe: { httpGet: { path: '/', port: 3000 }, periodSeconds: 2 },
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
              securityContext: RESTRICTED_CONTAINER,
            },
          ],
        },
      },
    },
  };
}

/** The endpoint picker and what it needs: a ServiceAccount allowed to read pods and pools here. */
function endpointPicker(ctx: ProbeContext): (V1ServiceAccount | V1Role | V1RoleBinding | V1Service | V1Deployment)[] {
  const labels = { app: EPP };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: EPP } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: EPP },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['inference.networking.k8s.io'], resources: ['inferencepools'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: EPP },
      subjects: [{ kind: 'ServiceAccount', name: EPP, namespace: ctx.namespace }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: EPP },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: EPP },
      spec: { selector: labels, ports: [{ protocol: 'TCP', port: 9002, targetPort: 9002, appProtocol: 'http2' }], type: 'ClusterIP' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: EPP },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: EPP,
            containers: [
              {
                name: 'epp',
                image: ctx.images.resolve(EPP_IMAGE),
                args: [
                  '--pool-name',
                  POOL,
                  '--pool-namespace',
                  ctx.namespace,
                  '--zap-encoder',
                  'json',
                  '--grpc-port',
                  '9002',
                  '--grpc-health-port',
                  '9003',
                ],
                ports: [{ containerPort: 9002 }, { containerPort: 9003 }],
                readinessProbe: { grpc: { port: 9003, service: 'inference-extension' }, periodSeconds: 2 },
                resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
                securityContext: RESTRICTED_CONTAINER,
              },
            ],
          },
        },
      },
    },
  ];
}

/** Waits for one of our Deployments; a timeout says what its pods are waiting on (an image pull, say). */
async function deploymentAvailable(ctx: ProbeContext, name: string, timeoutMs: number): Promise<V1Deployment> {
  try {
    return await ctx.kube.waitFor<V1Deployment>(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.namespace, name },
      (deployment) =>
        isTrue(conditionsOf(deployment), 'Available') && (deployment.status?.readyReplicas ?? 0) >= (deployment.spec?.replicas ?? 1),
      { description: `Deployment ${name} available`, timeoutMs },
    );
  } catch (error) {
    if (!(error instanceof WaitTimeout)) impossibleFails(error);
    const pods = await ctx.kube.list<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace }, { labelSelector: `app=${name}` });
    const waiting = pods.flatMap((pod) =>
      (pod.status?.containerStatuses ?? []).flatMap((status) => {
        const w = status.state?.waiting;
        return w?.reason ? [`pod ${pod.metadata?.name ?? '?'}: ${w.reason}${w.message ? ` ${w.message}` : ''}`] : [];
      }),
    );
    throw new Error(`${error.message}${waiting.length ? `; ${waiting.join('; ')}` : ''}`, { cause: error });
  }
}
