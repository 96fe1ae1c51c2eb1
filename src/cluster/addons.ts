// PR-mode add-ons: what a kind cluster needs so the other MUST requirements have something to
// find (a Gateway API implementation whose Gateways get an address on kind, gang admission, a
// monitoring stack with custom metrics, a GPU metrics source, an AI operator with its webhooks).
// Each is pinned (./pins.ts), installed the way its project documents, and ends with a wait on
// the thing that proves it works, so a probe never races an install.

import { ADDON_RELEASES, FAKE_GPU_POOL_LABEL, supportsVersion, type AddonKey } from './pins.js';

export type AddonStep =
  | { tool: 'helm'; args: string[]; what: string; timeoutMs: number; input?: string }
  | { tool: 'kubectl'; args: string[]; what: string; timeoutMs: number; input?: string };

export interface Addon {
  name: string;
  /** The pinned releases this add-on installs (a chart may bring another project's CRDs). */
  releases: AddonKey[];
  steps: AddonStep[];
}

const FIVE_MIN = 300_000;
const THREE_MIN = 180_000;

/** The GatewayClass PR mode's Gateways use; Envoy Gateway accepts it. */
export const GATEWAY_CLASS = 'ai-conformance';
const ENVOY_NAMESPACE = 'envoy-gateway-system';
const ENVOY_PROXY = 'ai-conformance-clusterip';

/**
 * Envoy Gateway makes each Gateway's proxy Service a LoadBalancer by default, and kind has no
 * load balancer: the Gateway would stay Programmed=False (AddressNotAssigned). An EnvoyProxy with
 * a ClusterIP Service, attached to the class, gives every Gateway the Service's cluster IP as its
 * address (Envoy Gateway v1.9 docs: tasks/operations/customize-envoyproxy, tasks/traffic/gateway-address).
 */
export const GATEWAY_CLASS_MANIFEST = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata:
  name: ${ENVOY_PROXY}
  namespace: ${ENVOY_NAMESPACE}
spec:
  provider:
    type: Kubernetes
    kubernetes:
      envoyService:
        type: ClusterIP
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: ${GATEWAY_CLASS}
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef:
    group: gateway.envoyproxy.io
    kind: EnvoyProxy
    name: ${ENVOY_PROXY}
    namespace: ${ENVOY_NAMESPACE}
`;

/** The kube-prometheus-stack release name: its Prometheus selects monitors labelled release=<this>. */
export const MONITORING_RELEASE = 'kube-prometheus-stack';
export const MONITORING_NAMESPACE = 'monitoring';

/** Only Prometheus and its operator: the probes need no Alertmanager, Grafana or node metrics. */
const MONITORING_VALUES = `alertmanager:
  enabled: false
grafana:
  enabled: false
nodeExporter:
  enabled: false
kubeStateMetrics:
  enabled: false
`;

/**
 * kube-prometheus-stack scrapes through ServiceMonitors/PodMonitors labelled with its release (its
 * default serviceMonitorSelector), not prometheus.io annotations: the fake GPU operator's DCGM
 * Service needs a ServiceMonitor to reach Prometheus and the adapter.
 */
export const DCGM_SERVICE_MONITOR = `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: nvidia-dcgm-exporter
  namespace: gpu-operator
  labels:
    release: ${MONITORING_RELEASE}
spec:
  selector:
    matchLabels:
      app: nvidia-dcgm-exporter
  endpoints:
    - port: gpu-metrics
      interval: 15s
`;

const TRAINER_REPO = 'https://github.com/kubeflow/trainer.git';
const TRAINER_NAMESPACE = 'kubeflow-system';

function helmInstall(release: string, chart: string, version: string, namespace: string, extra: string[] = []): string[] {
  return [
    'upgrade',
    '--install',
    release,
    chart,
    '--version',
    version,
    '--namespace',
    namespace,
    '--create-namespace',
    '--wait',
    '--timeout',
    '5m',
    ...extra,
  ];
}

/** Helm chart versions carry no leading v (Kueue tags v0.19.2, its chart is 0.19.2). */
function chartVersion(key: AddonKey): string {
  return ADDON_RELEASES[key].version.replace(/^v/, '');
}

export function prModeAddons(): Addon[] {
  const { gatewayApi, envoyGateway, kueue, kubeflowTrainer, kubePrometheusStack, prometheusAdapter, fakeGpuOperator } = ADDON_RELEASES;
  const gatewayCrds = ['gateways', 'httproutes', 'gatewayclasses'].map((r) => `crd/${r}.gateway.networking.k8s.io`);
  return [
    {
      name: 'envoy-gateway',
      releases: ['envoyGateway', 'gatewayApi'],
      steps: [
        {
          tool: 'helm',
          // The chart installs the Gateway API CRDs it is built for (crds.enabled, default true).
          what: `install Envoy Gateway ${envoyGateway.version} with the Gateway API ${gatewayApi.version} CRDs`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('eg', 'oci://docker.io/envoyproxy/gateway-helm', envoyGateway.version, ENVOY_NAMESPACE),
        },
        {
          tool: 'kubectl',
          what: 'wait for the Gateway API CRDs',
          timeoutMs: THREE_MIN,
          args: ['wait', '--for=condition=Established', '--timeout=3m', ...gatewayCrds],
        },
        {
          tool: 'kubectl',
          what: `check the Gateway API CRDs are bundle ${gatewayApi.version}`,
          timeoutMs: 60_000,
          args: [
            'wait',
            `--for=jsonpath={.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}=${gatewayApi.version}`,
            '--timeout=30s',
            'crd/gateways.gateway.networking.k8s.io',
          ],
        },
        {
          tool: 'kubectl',
          what: `create GatewayClass ${GATEWAY_CLASS} with a ClusterIP EnvoyProxy`,
          timeoutMs: 60_000,
          args: ['apply', '-f', '-'],
          input: GATEWAY_CLASS_MANIFEST,
        },
        {
          tool: 'kubectl',
          what: `wait for GatewayClass ${GATEWAY_CLASS} to be accepted`,
          timeoutMs: THREE_MIN,
          args: ['wait', '--for=condition=Accepted', '--timeout=3m', `gatewayclass/${GATEWAY_CLASS}`],
        },
      ],
    },
    {
      name: 'kueue',
      releases: ['kueue'],
      steps: [
        {
          tool: 'helm',
          what: `install Kueue ${kueue.version}`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('kueue', 'oci://registry.k8s.io/kueue/charts/kueue', chartVersion('kueue'), 'kueue-system'),
        },
      ],
    },
    {
      name: 'fake-gpu-operator',
      releases: ['fakeGpuOperator'],
      steps: [
        {
          tool: 'helm',
          what: `install fake-gpu-operator ${fakeGpuOperator.version} (simulated nvidia.com/gpu and DCGM metrics)`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall(
            'gpu-operator',
            'oci://ghcr.io/run-ai/fake-gpu-operator/fake-gpu-operator',
            fakeGpuOperator.version,
            'gpu-operator',
          ),
        },
        {
          tool: 'kubectl',
          what: 'wait for simulated GPUs on the labelled workers',
          timeoutMs: FIVE_MIN,
          args: [
            'wait',
            '--for=jsonpath={.status.allocatable.nvidia\\.com/gpu}',
            '--timeout=5m',
            'node',
            '-l',
            `${FAKE_GPU_POOL_LABEL}=default`,
          ],
        },
      ],
    },
    {
      name: 'monitoring',
      releases: ['kubePrometheusStack', 'prometheusAdapter'],
      steps: [
        {
          tool: 'helm',
          what: `install kube-prometheus-stack ${kubePrometheusStack.version} (Prometheus Operator and Prometheus)`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall(MONITORING_RELEASE, 'kube-prometheus-stack', kubePrometheusStack.version, MONITORING_NAMESPACE, [
            '--repo',
            'https://prometheus-community.github.io/helm-charts',
            '--values',
            '-',
          ]),
          input: MONITORING_VALUES,
        },
        {
          tool: 'kubectl',
          what: 'wait for Prometheus to be available',
          timeoutMs: FIVE_MIN,
          args: [
            'wait',
            '--for=condition=Available',
            '--timeout=5m',
            '--namespace',
            MONITORING_NAMESPACE,
            `prometheus/${MONITORING_RELEASE}-prometheus`,
          ],
        },
        {
          tool: 'kubectl',
          what: 'register the DCGM exporter with a ServiceMonitor',
          timeoutMs: 60_000,
          args: ['apply', '-f', '-'],
          input: DCGM_SERVICE_MONITOR,
        },
        {
          tool: 'helm',
          what: `install prometheus-adapter ${prometheusAdapter.version}`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('prometheus-adapter', 'prometheus-adapter', prometheusAdapter.version, MONITORING_NAMESPACE, [
            '--repo',
            'https://prometheus-community.github.io/helm-charts',
            '--set',
            `prometheus.url=http://prometheus-operated.${MONITORING_NAMESPACE}.svc`,
            '--set',
            'prometheus.port=9090',
          ]),
        },
        {
          tool: 'kubectl',
          what: 'wait for the custom metrics API',
          timeoutMs: THREE_MIN,
          args: ['wait', '--for=condition=Available', '--timeout=3m', 'apiservice/v1beta1.custom.metrics.k8s.io'],
        },
      ],
    },
    {
      // KubeRay's Helm chart ships no admission webhook (and its kustomize webhook install needs
      // cert-manager); Kubeflow Trainer's release manifests bring validating webhooks with
      // self-managed certificates.
      name: 'kubeflow-trainer',
      releases: ['kubeflowTrainer'],
      steps: [
        {
          tool: 'kubectl',
          what: `install Kubeflow Trainer ${kubeflowTrainer.version} (controller, webhooks, JobSet)`,
          timeoutMs: FIVE_MIN,
          args: ['apply', '--server-side', '-k', `${TRAINER_REPO}/manifests/overlays/manager?ref=${kubeflowTrainer.version}`],
        },
        {
          tool: 'kubectl',
          what: 'wait for the Trainer and JobSet controllers',
          timeoutMs: FIVE_MIN,
          args: [
            'wait',
            '--for=condition=Available',
            '--timeout=5m',
            '--namespace',
            TRAINER_NAMESPACE,
            'deployment/kubeflow-trainer-controller-manager',
            'deployment/jobset-controller-manager',
          ],
        },
        {
          tool: 'kubectl',
          // Applied once the controller is up: its webhook validates the runtimes.
          what: `install the Kubeflow Trainer ${kubeflowTrainer.version} training runtimes`,
          timeoutMs: FIVE_MIN,
          args: ['apply', '--server-side', '-k', `${TRAINER_REPO}/manifests/overlays/runtimes?ref=${kubeflowTrainer.version}`],
        },
        {
          tool: 'kubectl',
          what: 'wait for ClusterTrainingRuntime torch-distributed',
          timeoutMs: THREE_MIN,
          args: ['wait', '--for=create', '--timeout=3m', 'clustertrainingruntime/torch-distributed'],
        },
      ],
    },
  ];
}

/** A line per add-on release installed outside its project's published support, for the run's log. */
export function outsideSupport(kubernetesVersion: string): string[] {
  return prModeAddons()
    .flatMap((addon) => addon.releases)
    .flatMap((key) => {
      const release = ADDON_RELEASES[key];
      if (supportsVersion(release, kubernetesVersion)) return [];
      const why = release.outsideMatrix?.[kubernetesVersion];
      const range = `${release.supports.from}–${release.supports.to ?? ''}`;
      return [`${release.project} ${release.version} supports Kubernetes ${range}, not ${kubernetesVersion}${why ? `: ${why}` : ''}`];
    });
}
