// Simulated Gateway API implementation (behaviour `gateway`). Like a real controller it only
// touches GatewayClasses naming its controllerName, and Gateways/HTTPRoutes attached to them:
//   GatewayClass -> Accepted=True; Gateway -> Accepted + Programmed with an address;
//   HTTPRoute parents -> Accepted (listener allows the route's namespace) and ResolvedRefs
//   (every backendRef Service exists; re-evaluated when Services change).
// Parameters: controllerName (default example.net/gateway-controller); acceptClasses (default
// true; false models a controller that is installed but rejects its classes).
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import type { KObj, StoreEvent } from '../types.js';
import { isRecord } from '../types.js';

const GROUP = 'gateway.networking.k8s.io';
const CLASSES = `gatewayclasses.${GROUP}`;
const GATEWAYS = `gateways.${GROUP}`;
const ROUTES = `httproutes.${GROUP}`;

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
  const strip = (items: unknown): string =>
    JSON.stringify(list(items).map(({ lastTransitionTime: _ignored, ...rest }) => rest));
  return strip(a) === strip(b);
}

export const gatewayController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const controllerName = typeof ctx.params.controllerName === 'string' ? ctx.params.controllerName : 'example.net/gateway-controller';
  const acceptClasses = ctx.params.acceptClasses !== false;
  const unsubscribe: (() => void)[] = [];
  let addressCounter = 10;

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
    ctx.store.mutate(CLASSES, undefined, gatewayClass.metadata.name ?? '', (obj) => ({ ...obj, status: { ...record(obj.status), conditions } }), 'status');
    for (const gateway of ctx.store.list(GATEWAYS)) reconcileGateway(gateway);
  };

  const reconcileGateway = (gateway: KObj): void => {
    const gatewayClass = ourClass(record(gateway.spec).gatewayClassName);
    if (!gatewayClass || gateway.metadata.deletionTimestamp) return;
    const accepted = classAccepted(gatewayClass);
    const conditions = accepted
      ? [
          condition(gateway, 'Accepted', 'True', 'Accepted', 'gateway accepted'),
          condition(gateway, 'Programmed', 'True', 'Programmed', 'gateway programmed'),
        ]
      : [condition(gateway, 'Accepted', 'False', 'InvalidGatewayClass', 'GatewayClass is not accepted')];
    const status = record(gateway.status);
    if (sameConditions(status.conditions, conditions)) return;
    const address = Array.isArray(status.addresses) && status.addresses.length > 0 ? status.addresses : [{ type: 'IPAddress', value: `172.18.255.${addressCounter++}` }];
    const listeners = list(record(gateway.spec).listeners).map((listener) => ({
      name: listener.name,
      supportedKinds: [{ group: GROUP, kind: 'HTTPRoute' }],
      attachedRoutes: 0,
      conditions: [condition(gateway, 'Programmed', accepted ? 'True' : 'False', accepted ? 'Programmed' : 'Invalid', '')],
    }));
    ctx.store.mutate(GATEWAYS, gateway.metadata.namespace, gateway.metadata.name ?? '', (obj) => ({
      ...obj,
      status: { ...record(obj.status), conditions, ...(accepted ? { addresses: address } : {}), listeners },
    }), 'status');
    for (const route of ctx.store.list(ROUTES, { namespace: gateway.metadata.namespace })) reconcileRoute(route);
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
    const parents: Record<string, unknown>[] = [];
    for (const parentRef of list(spec.parentRefs)) {
      const gatewayNamespace = typeof parentRef.namespace === 'string' ? parentRef.namespace : namespace;
      const gateway = ctx.store.get(GATEWAYS, gatewayNamespace, String(parentRef.name));
      if (!gateway || !ourClass(record(gateway.spec).gatewayClassName)) continue;
      const accepted = admits(gateway, namespace);
      parents.push({
        parentRef: { group: GROUP, kind: 'Gateway', name: parentRef.name, ...(parentRef.sectionName ? { sectionName: parentRef.sectionName } : {}) },
        controllerName,
        conditions: [
          accepted
            ? condition(route, 'Accepted', 'True', 'Accepted', 'route accepted')
            : condition(route, 'Accepted', 'False', 'NotAllowedByListeners', 'no listener admits routes from this namespace'),
          missing.length === 0
            ? condition(route, 'ResolvedRefs', 'True', 'ResolvedRefs', 'all references resolved')
            : condition(route, 'ResolvedRefs', 'False', 'BackendNotFound', `services not found: ${missing.join(', ')}`),
        ],
      });
    }
    if (parents.length === 0) return;
    const strip = (items: unknown): string =>
      JSON.stringify(list(items).map((parent) => ({ ...parent, conditions: list(parent.conditions).map(({ lastTransitionTime: _t, ...rest }) => rest) })));
    if (strip(record(route.status).parents) === strip(parents)) return;
    ctx.store.mutate(ROUTES, namespace, route.metadata.name ?? '', (obj) => ({ ...obj, status: { ...record(obj.status), parents } }), 'status');
  };

  const onEvent =
    (reconcile: (obj: KObj) => void) =>
    (event: StoreEvent): void => {
      if (event.type !== 'DELETED') reconcile(event.object);
    };

  return {
    start(): void {
      unsubscribe.push(ctx.watch(CLASSES, onEvent(reconcileClass)));
      unsubscribe.push(ctx.watch(GATEWAYS, onEvent(reconcileGateway)));
      unsubscribe.push(ctx.watch(ROUTES, onEvent(reconcileRoute)));
      // A route whose Service appears later resolves then, as a real controller notices.
      unsubscribe.push(
        ctx.watch('services', (event) => {
          for (const route of ctx.store.list(ROUTES, { namespace: event.object.metadata.namespace })) reconcileRoute(route);
        }, { replay: false }),
      );
    },
    stop(): void {
      for (const off of unsubscribe.splice(0)) off();
    },
  };
};
