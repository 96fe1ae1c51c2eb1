// Simulated Gateway API implementation (behaviour `gateway`). Like a real controller it only
// touches GatewayClasses naming its controllerName, and Gateways/HTTPRoutes attached to them:
//   GatewayClass -> Accepted=True; Gateway -> Accepted + Programmed with an address;
//   HTTPRoute parents -> Accepted (listener allows the route's namespace) and ResolvedRefs
//   (every backendRef Service exists; re-evaluated when Services change). InferencePool backendRefs
//   resolve only where the scenario runs `inference-extension` for this controller (the
//   implementation supports the Gateway API Inference Extension), else InvalidKind.
// Parameters: controllerName (default example.net/gateway-controller); acceptClasses (default
// true; false models a controller that is installed but rejects its classes); programDelayMs
// (default 0: time from an accepted Gateway to Programmed; the realistic clock sets it).
// implementation: `envoy-gateway` models Envoy Gateway v1.9 (internal/gatewayapi/status/gateway.go):
// each Gateway gets a proxy Service envoy-<ns>-<name>-<hash> in `proxyNamespace`
// (envoy-gateway-system) whose type comes from the EnvoyProxy named by the Gateway's
// spec.infrastructure.parametersRef or the class's spec.parametersRef (LoadBalancer when none);
// the address is the Service's cluster IP (ClusterIP), a node address (NodePort) or a load
// balancer IP (LoadBalancer, only when `loadBalancer` is true: kind has none), and without an
// address the Gateway is Programmed=False, AddressNotAssigned.
// Data plane (Envoy's, as both Envoy Gateway and cloud-provider-kind run it): a request a pod sends
// to a Programmed Gateway's address and a listener's port follows the accepted HTTPRoutes attached
// to it. Rules match by path (Exact, PathPrefix), method and headers (Exact), the most specific
// winning as the Gateway API orders them (exact path, longest prefix, method, most header
// matches, then route age and rule order); the rule's Service backendRefs are chosen at random in
// proportion to their weights (Envoy's weighted clusters), and the request goes to a Ready pod
// behind the Service's selector, at the targetPort, which answers as that pod's server does
// (../runtime.ts podHttpAnswer). No rule: 404; no Ready endpoint: 503. Rules to an InferencePool
// are left to `inference-extension`. Parameters that break it: `weights: false` (weights ignored,
// backends chosen evenly), `headerMatches: false` (rules with header matches never match),
// `reachable: false` (the address is not reachable from pods), `programRoutes: false` (the proxy
// answers 404 to everything: routes accepted in status never reach it), `addresses: false` (Programmed with
// no status.addresses), `seed` (the random choice's seed).
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import type { KObj, StoreEvent } from '../types.js';
import { isRecord, textOf } from '../types.js';
import { podHttpAnswer, registerClusterHttp } from '../runtime.js';
import { parseLabelSelector } from '../selectors.js';
import { podReady } from './util.js';

const GROUP = 'gateway.networking.k8s.io';
const CLASSES = `gatewayclasses.${GROUP}`;
const GATEWAYS = `gateways.${GROUP}`;
const ROUTES = `httproutes.${GROUP}`;
const ENVOY_PROXIES = 'envoyproxies.gateway.envoyproxy.io';

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function condition(obj: KObj, type: string, status: Condition['status'], reason: string, message: string): Condition {
  return { type, status, reason, message, observedGeneration: obj.metadata.generation ?? 1, lastTransitionTime: new Date().toISOString() };
}

/** Same conditions apart from timestamps: writing them again would only loop. */
function sameConditions(a: unknown, b: Condition[]): boolean {
  const strip = (items: unknown): string => JSON.stringify(list(items).map(({ lastTransitionTime: _ignored, ...rest }) => rest));
  return strip(a) === strip(b);
}

export const gatewayController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const controllerName = typeof ctx.params.controllerName === 'string' ? ctx.params.controllerName : 'example.net/gateway-controller';
  const acceptClasses = ctx.params.acceptClasses !== false;
  const unsubscribe: (() => void)[] = [];
  let addressCounter = 10;
  const envoy = ctx.params.implementation === 'envoy-gateway';
  const proxyNamespace = typeof ctx.params.proxyNamespace === 'string' ? ctx.params.proxyNamespace : 'envoy-gateway-system';
  const loadBalancer = ctx.params.loadBalancer !== false;
  /** false: Gateways are Programmed without status.addresses (an implementation that reports none). */
  const reportAddresses = ctx.params.addresses !== false;
  const programDelayMs = typeof ctx.params.programDelayMs === 'number' ? ctx.params.programDelayMs : 0;
  /** Gateways whose programming delay has passed (namespace/name). */
  const programmed = new Set<string>();
  const inference = record(ctx.scenario.behaviours?.['inference-extension']);
  const supportsInferencePools =
    ctx.scenario.behaviours?.['inference-extension'] !== undefined &&
    ctx.scenario.behaviours['inference-extension'] !== false &&
    (inference.controllerName ?? 'example.net/gateway-controller') === controllerName;

  const ourClass = (name: unknown): KObj | undefined => {
    if (typeof name !== 'string') return undefined;
    const gatewayClass = ctx.store.get(CLASSES, undefined, name);
    return gatewayClass && record(gatewayClass.spec).controllerName === controllerName ? gatewayClass : undefined;
  };

  const classAccepted = (gatewayClass: KObj): boolean =>
    list(record(gatewayClass.status).conditions).some((c) => c.type === 'Accepted' && c.status === 'True');

  const reconcileClass = (gatewayClass: KObj): void => {
    if (!ourClass(gatewayClass.metadata.name)) return;
    const conditions = acceptClasses
      ? [condition(gatewayClass, 'Accepted', 'True', 'Accepted', `accepted by ${controllerName}`)]
      : [condition(gatewayClass, 'Accepted', 'False', 'InvalidParameters', `${controllerName} rejects this class`)];
    if (sameConditions(record(gatewayClass.status).conditions, conditions)) return;
    ctx.store.mutate(
      CLASSES,
      undefined,
      gatewayClass.metadata.name ?? '',
      (obj) => ({ ...obj, status: { ...record(obj.status), conditions } }),
      'status',
    );
    for (const gateway of ctx.store.list(GATEWAYS)) reconcileGateway(gateway);
  };

  /** The EnvoyProxy attached to the Gateway (its own parametersRef first, then the class's). */
  const envoyServiceType = (gateway: KObj, gatewayClass: KObj): string => {
    const own = record(record(record(gateway.spec).infrastructure).parametersRef);
    const ofClass = record(record(gatewayClass.spec).parametersRef);
    const ref =
      own.kind === 'EnvoyProxy'
        ? { name: own.name, namespace: gateway.metadata.namespace }
        : ofClass.kind === 'EnvoyProxy'
          ? { name: ofClass.name, namespace: ofClass.namespace }
          : undefined;
    const proxy = ref
      ? ctx.store.get(ENVOY_PROXIES, typeof ref.namespace === 'string' ? ref.namespace : undefined, String(ref.name))
      : undefined;
    const type = record(record(record(record(proxy?.spec).provider).kubernetes).envoyService).type;
    return typeof type === 'string' ? type : 'LoadBalancer';
  };

  const proxyServiceName = (gateway: KObj): string => {
    const key = `${gateway.metadata.namespace ?? ''}/${gateway.metadata.name ?? ''}`;
    let hash = 0;
    for (const ch of key) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) >>> 0;
    return `envoy-${gateway.metadata.namespace ?? ''}-${gateway.metadata.name ?? ''}-${hash.toString(16).padStart(8, '0').slice(0, 8)}`;
  };

  /** Envoy Gateway: the proxy Service for the Gateway, and the addresses it yields. */
  const envoyAddresses = (gateway: KObj, gatewayClass: KObj): { value: string; type: string }[] => {
    const type = envoyServiceType(gateway, gatewayClass);
    const name = proxyServiceName(gateway);
    const ports = list(record(gateway.spec).listeners).map((listener) => ({
      name: `http-${String(listener.port)}`,
      port: listener.port,
      protocol: 'TCP',
      targetPort: 10080,
    }));
    const labels = {
      'app.kubernetes.io/name': 'envoy',
      'app.kubernetes.io/component': 'proxy',
      'app.kubernetes.io/managed-by': 'envoy-gateway',
      'gateway.envoyproxy.io/owning-gateway-name': gateway.metadata.name ?? '',
      'gateway.envoyproxy.io/owning-gateway-namespace': gateway.metadata.namespace ?? '',
    };
    let service = ctx.store.get('services', proxyNamespace, name);
    if (service && record(service.spec).type !== type) {
      ctx.store.delete('services', proxyNamespace, name);
      service = undefined;
    }
    if (!service) {
      if (!ctx.store.get('namespaces', undefined, proxyNamespace))
        ctx.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: proxyNamespace } });
      service = ctx.store.create('services', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name,
          namespace: proxyNamespace,
          labels,
          ownerReferences: [
            {
              apiVersion: `${GROUP}/v1`,
              kind: 'GatewayClass',
              name: gatewayClass.metadata.name ?? '',
              uid: gatewayClass.metadata.uid ?? '',
            },
          ],
        },
        spec: { type, selector: labels, ports },
      });
      if (type === 'LoadBalancer' && loadBalancer) {
        const ip = `172.18.255.${addressCounter++}`;
        service =
          ctx.store.mutate(
            'services',
            proxyNamespace,
            name,
            (obj) => ({ ...obj, status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } } }),
            'status',
          ) ?? service;
      }
    }
    const spec = record(service.spec);
    if (type === 'ClusterIP')
      return (Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP])
        .filter((ip): ip is string => typeof ip === 'string' && ip !== 'None')
        .map((value) => ({ type: 'IPAddress', value }));
    if (type === 'NodePort') {
      return ctx.store.list('nodes').flatMap((node) =>
        list(record(node.status).addresses)
          .filter((a) => a.type === 'InternalIP')
          .map((a) => ({ type: 'IPAddress', value: String(a.address) })),
      );
    }
    return list(record(record(service.status).loadBalancer).ingress).map((ingress) =>
      ingress.ip ? { type: 'IPAddress', value: textOf(ingress.ip) } : { type: 'Hostname', value: String(ingress.hostname) },
    );
  };

  const reconcileGateway = (gateway: KObj): void => {
    const gatewayClass = ourClass(record(gateway.spec).gatewayClassName);
    if (!gatewayClass || gateway.metadata.deletionTimestamp) return;
    const accepted = classAccepted(gatewayClass);
    const key = `${gateway.metadata.namespace ?? ''}/${gateway.metadata.name ?? ''}`;
    if (accepted && programDelayMs > 0 && !programmed.has(key)) {
      // A real data plane takes time (proxy Deployment rollout, load balancer): program it later.
      programmed.add(key);
      ctx.after(programDelayMs, () => {
        const current = ctx.store.get(GATEWAYS, gateway.metadata.namespace, gateway.metadata.name ?? '');
        if (current) reconcileGateway(current);
      });
      return;
    }
    const status = record(gateway.status);
    const addresses =
      !accepted || !reportAddresses
        ? []
        : envoy
          ? envoyAddresses(gateway, gatewayClass)
          : Array.isArray(status.addresses) && status.addresses.length > 0
            ? list(status.addresses).map((a) => ({ type: String(a.type), value: String(a.value) }))
            : [{ type: 'IPAddress', value: `172.18.255.${addressCounter++}` }];
    const programmedCondition =
      addresses.length > 0 || !reportAddresses
        ? condition(
            gateway,
            'Programmed',
            'True',
            'Programmed',
            envoy ? 'Address assigned to the Gateway, 1/1 envoy replicas available' : 'gateway programmed',
          )
        : condition(gateway, 'Programmed', 'False', 'AddressNotAssigned', 'No addresses have been assigned to the Gateway');
    const conditions = accepted
      ? [condition(gateway, 'Accepted', 'True', 'Accepted', 'gateway accepted'), programmedCondition]
      : [condition(gateway, 'Accepted', 'False', 'InvalidGatewayClass', 'GatewayClass is not accepted')];
    if (sameConditions(status.conditions, conditions) && JSON.stringify(status.addresses ?? []) === JSON.stringify(addresses)) return;
    const listeners = list(record(gateway.spec).listeners).map((listener) => ({
      name: listener.name,
      supportedKinds: [{ group: GROUP, kind: 'HTTPRoute' }],
      attachedRoutes: 0,
      conditions: [condition(gateway, 'Programmed', accepted ? 'True' : 'False', accepted ? 'Programmed' : 'Invalid', '')],
    }));
    ctx.store.mutate(
      GATEWAYS,
      gateway.metadata.namespace,
      gateway.metadata.name ?? '',
      (obj) => {
        const { addresses: _old, ...rest } = record(obj.status);
        return { ...obj, status: { ...rest, conditions, ...(addresses.length > 0 ? { addresses } : {}), listeners } };
      },
      'status',
    );
    for (const route of ctx.store.list(ROUTES, { namespace: gateway.metadata.namespace })) reconcileRoute(route);
  };

  /** Envoy Gateway removes a deleted Gateway's proxy Service (its owner is the class, not the Gateway). */
  const onGatewayDeleted = (gateway: KObj): void => {
    programmed.delete(`${gateway.metadata.namespace ?? ''}/${gateway.metadata.name ?? ''}`);
    if (!envoy) return;
    const name = proxyServiceName(gateway);
    if (ctx.store.get('services', proxyNamespace, name)) ctx.store.delete('services', proxyNamespace, name);
  };

  /** Whether a listener of the Gateway admits routes from the route's namespace. */
  const admits = (gateway: KObj, routeNamespace: string | undefined): boolean =>
    list(record(gateway.spec).listeners).some((listener) => {
      const from = record(record(record(listener.allowedRoutes).namespaces)).from ?? 'Same';
      return from === 'All' || (from === 'Same' && gateway.metadata.namespace === routeNamespace);
    });

  const reconcileRoute = (route: KObj): void => {
    if (route.metadata.deletionTimestamp) return;
    const namespace = route.metadata.namespace;
    const spec = record(route.spec);
    const missing = list(spec.rules)
      .flatMap((rule) => list(rule.backendRefs))
      .filter((ref) => (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '')
      .filter((ref) => !ctx.store.get('services', typeof ref.namespace === 'string' ? ref.namespace : namespace, String(ref.name)))
      .map((ref) => String(ref.name));
    const pools = list(spec.rules)
      .flatMap((rule) => list(rule.backendRefs))
      .filter((ref) => ref.group === 'inference.networking.k8s.io' && ref.kind === 'InferencePool')
      .map((ref) => String(ref.name));
    const poolMissing = supportsInferencePools
      ? pools.filter(
          (name) =>
            !ctx.store.registry.byKey('inferencepools.inference.networking.k8s.io') ||
            !ctx.store.get('inferencepools.inference.networking.k8s.io', namespace, name),
        )
      : [];
    const resolved = (): Condition => {
      if (pools.length > 0 && !supportsInferencePools)
        return condition(
          route,
          'ResolvedRefs',
          'False',
          'InvalidKind',
          `unsupported backend kind InferencePool (inference.networking.k8s.io): ${pools.join(', ')}`,
        );
      if (missing.length > 0 || poolMissing.length > 0)
        return condition(
          route,
          'ResolvedRefs',
          'False',
          'BackendNotFound',
          `backends not found: ${[...missing, ...poolMissing].join(', ')}`,
        );
      return condition(route, 'ResolvedRefs', 'True', 'ResolvedRefs', 'all references resolved');
    };
    const parents: Record<string, unknown>[] = [];
    for (const parentRef of list(spec.parentRefs)) {
      const gatewayNamespace = typeof parentRef.namespace === 'string' ? parentRef.namespace : namespace;
      const gateway = ctx.store.get(GATEWAYS, gatewayNamespace, String(parentRef.name));
      if (!gateway || !ourClass(record(gateway.spec).gatewayClassName)) continue;
      const accepted = admits(gateway, namespace);
      parents.push({
        parentRef: {
          group: GROUP,
          kind: 'Gateway',
          name: parentRef.name,
          ...(parentRef.sectionName ? { sectionName: parentRef.sectionName } : {}),
        },
        controllerName,
        conditions: [
          accepted
            ? condition(route, 'Accepted', 'True', 'Accepted', 'route accepted')
            : condition(route, 'Accepted', 'False', 'NotAllowedByListeners', 'no listener admits routes from this namespace'),
          resolved(),
        ],
      });
    }
    if (parents.length === 0) return;
    const strip = (items: unknown): string =>
      JSON.stringify(
        list(items).map((parent) => ({
          ...parent,
          conditions: list(parent.conditions).map(({ lastTransitionTime: _t, ...rest }) => rest),
        })),
      );
    if (strip(record(route.status).parents) === strip(parents)) return;
    ctx.store.mutate(
      ROUTES,
      namespace,
      route.metadata.name ?? '',
      (obj) => ({ ...obj, status: { ...record(obj.status), parents } }),
      'status',
    );
  };

  // The data plane.
  const honourWeights = ctx.params.weights !== false;
  const honourHeaders = ctx.params.headerMatches !== false;
  const reachableFromPods = ctx.params.reachable !== false;
  /** false: the proxy never gets the routes (xDS not pushed): every request is answered 404. */
  const programRoutes = ctx.params.programRoutes !== false;
  /** mulberry32: a seeded choice, so a scenario's traffic is the same on every run. */
  let seed = typeof ctx.params.seed === 'number' ? ctx.params.seed : 1;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  /** How specific a match is, as the Gateway API orders them; undefined when it does not match. */
  const matchRank = (match: Record<string, unknown>, url: URL, headers: Record<string, string>): number[] | undefined => {
    const path = record(match.path);
    const type = typeof path.type === 'string' ? path.type : 'PathPrefix';
    const value = typeof path.value === 'string' ? path.value : '/';
    const pathOk =
      type === 'Exact'
        ? url.pathname === value
        : value === '/' || url.pathname === value.replace(/\/$/, '') || url.pathname.startsWith(`${value.replace(/\/$/, '')}/`);
    if (!pathOk) return undefined;
    const method = typeof match.method === 'string' ? match.method : undefined;
    if (method !== undefined && method !== 'GET') return undefined;
    const wanted = list(match.headers);
    if (wanted.length > 0 && !honourHeaders) return undefined;
    const headersOk = wanted.every(
      (header) => (header.type ?? 'Exact') === 'Exact' && headers[String(header.name).toLowerCase()] === String(header.value),
    );
    if (!headersOk) return undefined;
    return [type === 'Exact' ? 1 : 0, value.length, method ? 1 : 0, wanted.length];
  };

  const better = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    return false;
  };

  /** A request to one of our Gateways' addresses; undefined when it is not one (or not reachable from pods). */
  const serve = (url: URL, headers: Record<string, string>): { status: number; body: string } | undefined => {
    if (!reachableFromPods) return undefined;
    const port = Number(url.port || 80);
    const gateway = ctx.store
      .list(GATEWAYS)
      .find(
        (g) =>
          ourClass(record(g.spec).gatewayClassName) &&
          list(record(g.status).conditions).some((c) => c.type === 'Programmed' && c.status === 'True') &&
          list(record(g.status).addresses).some((a) => a.value === url.hostname.replace(/^\[|\]$/g, '')),
      );
    if (!gateway) return undefined;
    const listener = list(record(gateway.spec).listeners).find((l) => Number(l.port) === port);
    if (!listener) return undefined;
    if (!programRoutes) return { status: 404, body: '' };
    // Oldest route first, then by name; within a route, rule order: the tie-breaks of the spec.
    const routes = ctx.store
      .list(ROUTES)
      .filter((route) =>
        list(record(route.status).parents).some(
          (parent) =>
            record(parent.parentRef).name === gateway.metadata.name &&
            parent.controllerName === controllerName &&
            list(parent.conditions).some((c) => c.type === 'Accepted' && c.status === 'True'),
        ),
      )
      .sort(
        (a, b) =>
          String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
          String(a.metadata.name).localeCompare(String(b.metadata.name)),
      );
    let best: { rank: number[]; rule: Record<string, unknown>; route: KObj } | undefined;
    for (const route of routes)
      for (const rule of list(record(route.spec).rules)) {
        const matches = list(rule.matches).length > 0 ? list(rule.matches) : [{}];
        for (const match of matches) {
          const rank = matchRank(match, url, headers);
          if (rank && (!best || better(rank, best.rank))) best = { rank, rule, route };
        }
      }
    if (!best) return { status: 404, body: '' };
    const refs = list(best.rule.backendRefs);
    if (refs.some((ref) => ref.kind === 'InferencePool')) return undefined;
    const weighted = refs
      .filter((ref) => (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '')
      .map((ref) => ({ ref, weight: honourWeights ? (typeof ref.weight === 'number' ? ref.weight : 1) : 1 }))
      .filter((entry) => entry.weight > 0);
    const total = weighted.reduce((sum, entry) => sum + entry.weight, 0);
    if (total === 0) return { status: 500, body: '' };
    let pick = random() * total;
    const chosen = weighted.find((entry) => (pick -= entry.weight) < 0) ?? weighted[weighted.length - 1];
    const namespace = typeof chosen.ref.namespace === 'string' ? chosen.ref.namespace : best.route.metadata.namespace;
    const service = ctx.store.get('services', namespace, String(chosen.ref.name));
    if (!service) return { status: 500, body: '' };
    const servicePort = list(record(service.spec).ports).find((p) => Number(p.port) === Number(chosen.ref.port));
    const targetPort = Number(servicePort?.targetPort ?? servicePort?.port);
    const selector = Object.entries(record(record(service.spec).selector))
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(',');
    const endpoints = selector
      ? ctx.store
          .list('pods', { namespace, labelSelector: parseLabelSelector(selector) })
          .filter((pod) => podReady(pod) && !pod.metadata.deletionTimestamp)
      : [];
    if (endpoints.length === 0) return { status: 503, body: 'no healthy upstream' };
    const pod = endpoints[Math.floor(random() * endpoints.length)];
    return (
      podHttpAnswer(pod, targetPort, url.pathname) ?? { status: 503, body: 'upstream connect error or disconnect/reset before headers' }
    );
  };

  const onEvent =
    (reconcile: (obj: KObj) => void) =>
    (event: StoreEvent): void => {
      if (event.type !== 'DELETED') reconcile(event.object);
    };

  return {
    start(): void {
      unsubscribe.push(ctx.watch(CLASSES, onEvent(reconcileClass)));
      unsubscribe.push(
        ctx.watch(GATEWAYS, (event) => (event.type === 'DELETED' ? onGatewayDeleted(event.object) : reconcileGateway(event.object))),
      );
      unsubscribe.push(ctx.watch(ROUTES, onEvent(reconcileRoute)));
      // A route whose Service appears later resolves then, as a real controller notices.
      unsubscribe.push(
        ctx.watch(
          'services',
          (event) => {
            for (const route of ctx.store.list(ROUTES, { namespace: event.object.metadata.namespace })) reconcileRoute(route);
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
