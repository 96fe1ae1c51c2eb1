// PR-mode add-ons: what a kind cluster needs so the other MUST requirements have something to
// find (a Gateway API implementation, gang admission, a metrics pipeline with custom metrics, a
// GPU metrics source, an AI operator). Each is pinned and ends with a wait on the thing that
// proves it works, so a probe never races an install.

import { ADDON_PINS, FAKE_GPU_POOL_LABEL } from './pins.js';

export type AddonStep =
  | { tool: 'helm'; args: string[]; what: string; timeoutMs: number; input?: string }
  | { tool: 'kubectl'; args: string[]; what: string; timeoutMs: number; input?: string };

export interface Addon {
  name: string;
  steps: AddonStep[];
}

const FIVE_MIN = 300_000;
const THREE_MIN = 180_000;

/** The GatewayClass PR mode's Gateways use; Envoy Gateway accepts it. */
export const GATEWAY_CLASS = 'ai-conformance';

const GATEWAY_CLASS_MANIFEST = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: ${GATEWAY_CLASS}
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
`;

/** Scrapes the fake DCGM exporter so GPU metrics reach Prometheus and the adapter. */
const PROMETHEUS_VALUES = `alertmanager:
  enabled: false
prometheus-pushgateway:
  enabled: false
prometheus-node-exporter:
  enabled: false
server:
  persistentVolume:
    enabled: false
extraScrapeConfigs: |
  - job_name: dcgm
    kubernetes_sd_configs:
      - role: endpoints
        namespaces:
          names: [gpu-operator]
    relabel_configs:
      - source_labels: [__meta_kubernetes_service_name]
        regex: nvidia-dcgm-exporter
        action: keep
`;

function helmInstall(release: string, chart: string, version: string, namespace: string, extra: string[] = []): string[] {
  return ['upgrade', '--install', release, chart, '--version', version, '--namespace', namespace, '--create-namespace', '--wait', '--timeout', '5m', ...extra];
}

export function prModeAddons(): Addon[] {
  const gatewayCrds = ['gateways', 'httproutes', 'gatewayclasses'].map((r) => `crd/${r}.gateway.networking.k8s.io`);
  return [
    {
      name: 'gateway-api',
      steps: [
        {
          tool: 'kubectl',
          what: `install the Gateway API ${ADDON_PINS.gatewayApi} CRDs`,
          timeoutMs: THREE_MIN,
          args: ['apply', '--server-side', '-f', `https://github.com/kubernetes-sigs/gateway-api/releases/download/${ADDON_PINS.gatewayApi}/standard-install.yaml`],
        },
        { tool: 'kubectl', what: 'wait for the Gateway API CRDs', timeoutMs: THREE_MIN, args: ['wait', '--for=condition=Established', '--timeout=3m', ...gatewayCrds] },
      ],
    },
    {
      name: 'envoy-gateway',
      steps: [
        {
          tool: 'helm',
          what: `install Envoy Gateway ${ADDON_PINS.envoyGateway}`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('eg', 'oci://docker.io/envoyproxy/gateway-helm', ADDON_PINS.envoyGateway, 'envoy-gateway-system'),
        },
        { tool: 'kubectl', what: `create GatewayClass ${GATEWAY_CLASS}`, timeoutMs: 60_000, args: ['apply', '-f', '-'], input: GATEWAY_CLASS_MANIFEST },
        { tool: 'kubectl', what: `wait for GatewayClass ${GATEWAY_CLASS} to be accepted`, timeoutMs: THREE_MIN, args: ['wait', '--for=condition=Accepted', '--timeout=3m', `gatewayclass/${GATEWAY_CLASS}`] },
      ],
    },
    {
      name: 'kueue',
      steps: [
        {
          tool: 'helm',
          what: `install Kueue ${ADDON_PINS.kueue}`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('kueue', 'oci://registry.k8s.io/kueue/charts/kueue', ADDON_PINS.kueue, 'kueue-system'),
        },
      ],
    },
    {
      name: 'fake-gpu-operator',
      steps: [
        {
          tool: 'helm',
          what: `install fake-gpu-operator ${ADDON_PINS.fakeGpuOperator} (simulated nvidia.com/gpu and DCGM metrics)`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('gpu-operator', 'oci://ghcr.io/run-ai/fake-gpu-operator/fake-gpu-operator', ADDON_PINS.fakeGpuOperator, 'gpu-operator'),
        },
        {
          tool: 'kubectl',
          what: 'wait for simulated GPUs on the labelled workers',
          timeoutMs: FIVE_MIN,
          args: ['wait', '--for=jsonpath={.status.allocatable.nvidia\\.com/gpu}', '--timeout=5m', 'node', '-l', `${FAKE_GPU_POOL_LABEL}=default`],
        },
      ],
    },
    {
      name: 'prometheus',
      steps: [
        {
          tool: 'helm',
          what: `install Prometheus chart ${ADDON_PINS.prometheus}`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('prometheus', 'prometheus', ADDON_PINS.prometheus, 'monitoring', ['--repo', 'https://prometheus-community.github.io/helm-charts', '--values', '-']),
          input: PROMETHEUS_VALUES,
        },
        {
          tool: 'helm',
          what: `install prometheus-adapter ${ADDON_PINS.prometheusAdapter}`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('prometheus-adapter', 'prometheus-adapter', ADDON_PINS.prometheusAdapter, 'monitoring', [
            '--repo',
            'https://prometheus-community.github.io/helm-charts',
            '--set',
            'prometheus.url=http://prometheus-server.monitoring.svc',
            '--set',
            'prometheus.port=80',
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
      name: 'kuberay',
      steps: [
        {
          tool: 'helm',
          what: `install the KubeRay operator ${ADDON_PINS.kuberay}`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('kuberay-operator', 'kuberay-operator', ADDON_PINS.kuberay, 'kuberay-system', ['--repo', 'https://ray-project.github.io/kuberay-helm/']),
        },
        { tool: 'kubectl', what: 'wait for the RayCluster CRD', timeoutMs: THREE_MIN, args: ['wait', '--for=condition=Established', '--timeout=3m', 'crd/rayclusters.ray.io'] },
      ],
    },
  ];
}
