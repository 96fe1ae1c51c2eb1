// Gateway API implementations the probes recognise by the controllerName of their GatewayClass,
// with the labels their released installs give the controller's Deployment and pods (each chart's
// selector labels, so one selector finds both): liveness of a class (lib/gateway-classes.ts) and
// the controller's version in the platform facts (lib/platform-facts.ts) read the same table.

export interface GatewayImplementation {
  controllerName: string;
  /** "Envoy Gateway", as reports name it. */
  title: string;
  /** The controller's pods and Deployment. */
  selector: string;
  /** The controller's container, where its pods also run sidecars. */
  container?: string;
}

const IMPLEMENTATIONS: readonly GatewayImplementation[] = [
  // envoyproxy/gateway charts/gateway-helm: the envoy-gateway Deployment and its pods.
  {
    controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
    title: 'Envoy Gateway',
    selector: 'control-plane=envoy-gateway',
    container: 'envoy-gateway',
  },
  // istio/istio: istiod (container discovery) runs the Gateway API controller.
  { controllerName: 'istio.io/gateway-controller', title: 'Istio', selector: 'app=istiod', container: 'discovery' },
  // nginx/nginx-gateway-fabric charts/nginx-gateway-fabric _helpers.tpl: app.kubernetes.io/name is
  // nginxGateway.name, else the chart name (values.yaml leaves nginxGateway.name empty).
  {
    controllerName: 'gateway.nginx.org/nginx-gateway-controller',
    title: 'NGINX Gateway Fabric',
    selector: 'app.kubernetes.io/name=nginx-gateway-fabric',
    container: 'nginx-gateway',
  },
  // kgateway-dev/kgateway install/helm/kgateway _helpers.tpl: selector labels, name = the chart name.
  { controllerName: 'kgateway.dev/kgateway', title: 'kgateway', selector: 'app.kubernetes.io/name=kgateway' },
  // cilium/cilium: the cilium-operator Deployment (io.cilium/app: operator) runs Gateway API.
  { controllerName: 'io.cilium/gateway-controller', title: 'Cilium', selector: 'io.cilium/app=operator', container: 'cilium-operator' },
];

/** The implementation behind a GatewayClass's controllerName, when the probes know it. */
export function gatewayImplementation(controllerName: string): GatewayImplementation | undefined {
  return IMPLEMENTATIONS.find((implementation) => implementation.controllerName === controllerName);
}
