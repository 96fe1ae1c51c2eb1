// A Gateway implementation's support for the Gateway API Inference Extension (v1.x, InferencePool
// inference.networking.k8s.io/v1), as Envoy Gateway, kgateway or Istio provide it beside the
// `gateway` controller: for every HTTPRoute of its Gateways that routes to an InferencePool, the
// pool gets a status.parents entry for that Gateway with `Accepted` (True/Accepted while the
// route is accepted, else False/HTTPRouteNotAccepted) and `ResolvedRefs` (True/ResolvedRefs once
// the endpointPickerRef Service exists and a Ready pod backs it, else False/InvalidExtensionRef).
// Requests a pod sends to the Gateway's address (see ../runtime.ts) follow the route's path
// prefix to a Ready pool member chosen by the endpoint picker; the member answers as
// gateway-api's echo-basic does (JSON naming its pod), which the conformance suite's model
// servers run. The picker is GAIE v1.6.0's lwepp: a request carrying the conformance suite's
// `test-epp-endpoint-selection: ip[,ip:port...]` header goes to a listed member (any member when
// none is listed or none matches), else to any member. Parameters: controllerName (as the gateway
// controller's), pickEndpoints (default true; false models a picker that never answers: requests
// get 503, as Envoy's ext-proc failure with failureMode FailClose), bypassPicker (default false;
// true models a Gateway that round-robins requests over the pool's pods without consulting the picker,
// as GAIE's failureMode FailOpen lets an implementation do when the picker is not reached).
import { registerClusterHttp } from '../runtime.js';
import { parseLabelSelector } from '../selectors.js';
import type { KObj, StoreEvent } from '../types.js';
import { textOf } from '../types.js';
import type { ControllerFactory } from './types.js';
import { arr, conditionTrue, podReady, rec, type Condition } from './util.js';

const POOLS = 'inferencepools.inference.networking.k8s.io';
const POOL_GROUP = 'inference.networking.k8s.io';
const ROUTES = 'httproutes.gateway.networking.k8s.io';
const GATEWAYS = 'gateways.gateway.networking.k8s.io';
const CLASSES = 'gatewayclasses.gateway.networking.k8s.io';

export const inferenceExtensionController: ControllerFactory = (ctx) => {
  const controllerName = typeof ctx.params.controllerName === 'string' ? ctx.params.controllerName : 'example.net/gateway-controller';
  const pickEndpoints = ctx.params.pickEndpoints !== false;
  const bypassPicker = ctx.params.bypassPicker === true;
  /** Without the picker the proxy round-robins (Envoy's default lb policy), in member-name order. */
  let roundRobin = 0;
  const unsubscribe: (() => void)[] = [];

  const ours = (gateway: KObj | undefined): boolean => {
    const className = rec(gateway?.spec).gatewayClassName;
    const gatewayClass = typeof className === 'string' ? ctx.store.get(CLASSES, undefined, className) : undefined;
    return rec(gatewayClass?.spec).controllerName === controllerName;
  };

  const poolRefs = (route: KObj): { rule: Record<string, unknown>; name: string }[] =>
    arr(rec(route.spec).rules).flatMap((rule) =>
      arr(rule.backendRefs)
        .filter((ref) => ref.group === POOL_GROUP && ref.kind === 'InferencePool')
        .map((ref) => ({ rule, name: String(ref.name) })),
    );

  const readyPods = (namespace: string | undefined, selector: Record<string, unknown>): KObj[] => {
    const text = Object.entries(selector)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
    if (text === '') return [];
    return ctx.store
      .list('pods', { namespace, labelSelector: parseLabelSelector(text) })
      .filter((pod) => podReady(pod) && !pod.metadata.deletionTimestamp);
  };

  /** Why the pool's endpoint picker cannot answer, or undefined when it can. */
  const pickerProblem = (pool: KObj): string | undefined => {
    const ref = rec(rec(pool.spec).endpointPickerRef);
    const name = textOf(ref.name);
    const service = ctx.store.get('services', pool.metadata.namespace, name);
    if (!service) return `endpoint picker Service ${name} not found`;
    if (readyPods(pool.metadata.namespace, rec(rec(service.spec).selector)).length === 0)
      return `endpoint picker Service ${name} has no ready endpoints`;
    return undefined;
  };

  const condition = (pool: KObj, type: string, status: string, reason: string, message: string): Condition => ({
    type,
    status,
    reason,
    message,
    observedGeneration: pool.metadata.generation ?? 1,
  });

  const reconcilePool = (pool: KObj): void => {
    if (pool.metadata.deletionTimestamp) return;
    const parents: Record<string, unknown>[] = [];
    for (const route of ctx.store.list(ROUTES, { namespace: pool.metadata.namespace })) {
      if (!poolRefs(route).some((ref) => ref.name === pool.metadata.name)) continue;
      for (const parentRef of arr(rec(route.spec).parentRefs)) {
        const gatewayNamespace = typeof parentRef.namespace === 'string' ? parentRef.namespace : route.metadata.namespace;
        const gateway = ctx.store.get(GATEWAYS, gatewayNamespace, String(parentRef.name));
        if (!ours(gateway)) continue;
        const routeParent = arr(rec(route.status).parents).find((p) => rec(p.parentRef).name === parentRef.name);
        const accepted = arr(routeParent?.conditions).some((c) => c.type === 'Accepted' && c.status === 'True');
        const problem = pickerProblem(pool);
        parents.push({
          parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: parentRef.name, namespace: gatewayNamespace },
          conditions: [
            accepted
              ? condition(pool, 'Accepted', 'True', 'Accepted', 'InferencePool has been accepted by the Gateway')
              : condition(
                  pool,
                  'Accepted',
                  'False',
                  'HTTPRouteNotAccepted',
                  `HTTPRoute ${route.metadata.name ?? ''} is not accepted by the Gateway`,
                ),
            problem === undefined
              ? condition(pool, 'ResolvedRefs', 'True', 'ResolvedRefs', 'all references resolved')
              : condition(pool, 'ResolvedRefs', 'False', 'InvalidExtensionRef', problem),
          ],
        });
      }
    }
    const strip = (items: unknown): string =>
      JSON.stringify(arr(items).map((p) => ({ ...p, conditions: arr(p.conditions).map(({ lastTransitionTime: _t, ...rest }) => rest) })));
    if (strip(rec(pool.status).parents) === strip(parents)) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const stamped = parents.map((p) => ({ ...p, conditions: arr(p.conditions).map((c) => ({ ...c, lastTransitionTime: now })) }));
    ctx.store.mutate(
      POOLS,
      pool.metadata.namespace,
      pool.metadata.name ?? '',
      (obj) => ({ ...obj, status: { ...rec(obj.status), parents: stamped } }),
      'status',
    );
  };

  const reconcileAll = (): void => {
    if (!ctx.store.registry.byKey(POOLS)) return;
    for (const pool of ctx.store.list(POOLS)) reconcilePool(pool);
  };

  /** A request to a Gateway address: route by path prefix to a pool, then to a Ready member. */
  const serve = (url: URL, headers: Record<string, string>): { status: number; body: string } | undefined => {
    if (!ctx.store.registry.byKey(POOLS)) return undefined;
    const gateway = ctx.store.list(GATEWAYS).find((g) => ours(g) && arr(rec(g.status).addresses).some((a) => a.value === url.hostname));
    if (!gateway) return undefined;
    for (const route of ctx.store.list(ROUTES)) {
      const attached = arr(rec(route.spec).parentRefs).some(
        (p) => p.name === gateway.metadata.name && (p.namespace ?? route.metadata.namespace) === gateway.metadata.namespace,
      );
      const routeParent = arr(rec(route.status).parents).find((p) => rec(p.parentRef).name === gateway.metadata.name);
      if (!attached || !arr(routeParent?.conditions).some((c) => c.type === 'Accepted' && c.status === 'True')) continue;
      for (const { rule, name } of poolRefs(route)) {
        const prefixes = arr(rule.matches).map((m) => textOf(rec(m.path).value, '/'));
        if (!(prefixes.length === 0 ? ['/'] : prefixes).some((prefix) => url.pathname.startsWith(prefix))) continue;
        const pool = ctx.store.get(POOLS, route.metadata.namespace, name);
        if (!pool) return { status: 500, body: 'no healthy upstream' };
        if (!bypassPicker && (!pickEndpoints || pickerProblem(pool)))
          return {
            status: 503,
            body: 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure',
          };
        const members = readyPods(
          pool.metadata.namespace,
          rec(rec(pool.spec).selector).matchLabels ? rec(rec(rec(pool.spec).selector).matchLabels) : rec(rec(pool.spec).selector),
        );
        const listed = (headers['test-epp-endpoint-selection'] ?? '')
          .split(',')
          .map((entry) => entry.trim().replace(/:\d+$/, ''))
          .filter(Boolean);
        const selected = bypassPicker ? [] : members.filter((pod) => listed.includes(textOf(rec(pod.status).podIP)));
        const candidates = selected.length ? selected : members;
        const member = bypassPicker
          ? [...candidates]
              .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
              .at(roundRobin++ % candidates.length)
          : candidates.at(Math.floor(Math.random() * candidates.length));
        if (!member) return { status: 503, body: 'no healthy upstream' };
        return {
          status: 200,
          body: JSON.stringify({
            path: url.pathname,
            host: url.host,
            method: 'GET',
            namespace: member.metadata.namespace,
            ingress: '',
            service: '',
            pod: member.metadata.name,
          }),
        };
      }
    }
    // No rule to a pool matched: the gateway controller's data plane answers (its other rules, or 404).
    return undefined;
  };

  return {
    start(): void {
      const onAny = (_event: StoreEvent): void => reconcileAll();
      if (ctx.store.registry.byKey(POOLS))
        unsubscribe.push(
          ctx.watch(POOLS, (event) => {
            if (event.type !== 'DELETED') reconcilePool(event.object);
          }),
        );
      unsubscribe.push(ctx.watch([ROUTES, 'services'], onAny, { replay: false }));
      // Pool members and pickers becoming Ready change ResolvedRefs.
      unsubscribe.push(
        ctx.watch(
          'pods',
          (event) => {
            if (event.type === 'DELETED' || conditionTrue(event.object, 'Ready') !== conditionTrue(event.old ?? event.object, 'Ready'))
              reconcileAll();
          },
          { replay: false },
        ),
      );
      // The CRD may be created after start (kubectl apply of the extension's manifests).
      unsubscribe.push(
        ctx.watch(
          'customresourcedefinitions.apiextensions.k8s.io',
          (event) => {
            if (event.object.metadata.name === POOLS && event.type === 'ADDED' && ctx.store.registry.byKey(POOLS))
              unsubscribe.push(
                ctx.watch(POOLS, (e) => {
                  if (e.type !== 'DELETED') reconcilePool(e.object);
                }),
              );
          },
          { replay: false },
        ),
      );
      unsubscribe.push(registerClusterHttp(ctx.store, serve));
    },
    stop(): void {
      for (const off of unsubscribe.splice(0)) off();
    },
  };
};
