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
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import type { KObj, StoreEvent } from '../types.js';
import { isRecord } from '../types.js';

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
      ingress.ip ? { type: 'IPAddress', value: String(ingress.ip) } : { type: 'Hostname', value: String(ingress.hostname) },
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
    const addresses = !accepted
      ? []
      : envoy
        ? envoyAddresses(gateway, gatewayClass)
        : Array.isArray(status.addresses) && status.addresses.length > 0
          ? list(status.addresses).map((a) => ({ type: String(a.type), value: String(a.value) }))
          : [{ type: 'IPAddress', value: `172.18.255.${addressCounter++}` }];
    const programmedCondition =
      addresses.length > 0
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
    },
    stop(): void {
      for (const off of unsubscribe.splice(0)) off();
    },
  };
};
