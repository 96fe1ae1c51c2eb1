// PR-mode add-ons: what a kind cluster needs so the other MUST requirements have something to
// find (a Gateway API implementation whose Gateways get an address on kind, gang admission, a
// monitoring stack with custom metrics, a GPU metrics source, an AI operator with its webhooks),
// and what kind can offer the SHOULD probes (the Gateway API Inference Extension with a simulated
// model server behind an endpoint picker, gVisor as a sandbox runtime; the dra-example-driver's
// TimeSlicing config, which gpu_sharing uses, needs no add-on).
// Each is pinned (./pins.ts), installed the way its project documents, and ends with a wait on
// the thing that proves it works, so a probe never races an install.

import { requirementsFor, type KubernetesVersion, type RequirementId } from '../requirements/catalog.js';
import { RUNSC_HANDLER, kindNodeNames } from './kindConfig.js';
import {
  ADDON_RELEASES,
  DEFAULT_CLUSTER_NAME,
  FAKE_GPU_POOL_LABEL,
  GVISOR_BINARIES,
  gvisorReleaseUrl,
  supportsVersion,
  type AddonKey,
} from './pins.js';

/** helm and kubectl steps get the cluster's kubeconfig and context; docker steps name a node container. */
export interface AddonStep {
  tool: 'helm' | 'kubectl' | 'docker';
  args: string[];
  what: string;
  timeoutMs: number;
  input?: string;
}

export interface Addon {
  name: string;
  /** The pinned releases this add-on installs (a chart may bring another project's CRDs). */
  releases: AddonKey[];
  /**
   * The SHOULD requirements this add-on exists for: it is installed only on the Kubernetes
   * versions whose checklist lists one of them. Absent: installed on every version.
   */
  serves?: RequirementId[];
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

/**
 * Envoy Gateway routes HTTPRoute backendRefs of kind InferencePool through Envoy AI Gateway's
 * extension server: Envoy AI Gateway v1.1.0's manifests/envoy-gateway-values.yaml with its
 * examples/inference-pool/envoy-gateway-values-addon.yaml, the two values files its InferencePool
 * guide installs Envoy Gateway with. Without them Envoy Gateway ignores InferencePools.
 */
export const AI_GATEWAY_NAMESPACE = 'envoy-ai-gateway-system';
export const ENVOY_GATEWAY_VALUES = `config:
  envoyGateway:
    gateway:
      controllerName: gateway.envoyproxy.io/gatewayclass-controller
    logging:
      level:
        default: info
    provider:
      type: Kubernetes
    extensionApis:
      enableEnvoyPatchPolicy: true
      enableBackend: true
    extensionManager:
      hooks:
        xdsTranslator:
          translation:
            listener:
              includeAll: true
            route:
              includeAll: true
            cluster:
              includeAll: true
            secret:
              includeAll: true
          post:
            - Translation
            - Cluster
            - Route
      service:
        fqdn:
          hostname: ai-gateway-controller.${AI_GATEWAY_NAMESPACE}.svc.cluster.local
          port: 1063
      backendResources:
        - group: inference.networking.k8s.io
          kind: InferencePool
          version: v1
`;

export const INFERENCE_SIM_NAMESPACE = 'inference-sim';
const SIM = 'vllm-sim';
const SIM_EPP = 'vllm-sim-epp';
export const INFERENCE_GATEWAY = 'inference-gateway';
/** GAIE v1.6.0's reference endpoint picker (the EPP itself moved to llm-d/llm-d-router in that release). */
const LWEPP_IMAGE = 'registry.k8s.io/gateway-api-inference-extension/lwepp:v1.6.0';

/**
 * The Inference Extension's quickstart on kind, scaled down: the vLLM simulator as model server
 * (gateway-api-inference-extension v1.5.0 config/manifests/vllm/sim-deployment.yaml: port 8000,
 * label inference.networking.k8s.io/engine-type=vllm), an InferencePool over it whose endpoint
 * picker is GAIE v1.6.0's lwepp, and a Gateway of the PR-mode class with an HTTPRoute to the pool.
 * Its status proves Envoy Gateway and Envoy AI Gateway handle pools before a probe relies on it.
 */
export const INFERENCE_SIM_MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: ${INFERENCE_SIM_NAMESPACE}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${SIM}
  namespace: ${INFERENCE_SIM_NAMESPACE}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${SIM}
  template:
    metadata:
      labels:
        app: ${SIM}
        inference.networking.k8s.io/engine-type: vllm
    spec:
      containers:
        - name: vllm-sim
          image: ghcr.io/llm-d/llm-d-inference-sim:${ADDON_RELEASES.inferenceSim.version}
          args: ["--model", "Qwen/Qwen3-32B", "--port", "8000"]
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - containerPort: 8000
              name: http
          resources:
            requests:
              cpu: 10m
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${SIM_EPP}
  namespace: ${INFERENCE_SIM_NAMESPACE}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ${SIM_EPP}
  namespace: ${INFERENCE_SIM_NAMESPACE}
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["inference.networking.k8s.io"]
    resources: ["inferencepools"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${SIM_EPP}
  namespace: ${INFERENCE_SIM_NAMESPACE}
subjects:
  - kind: ServiceAccount
    name: ${SIM_EPP}
    namespace: ${INFERENCE_SIM_NAMESPACE}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ${SIM_EPP}
---
apiVersion: v1
kind: Service
metadata:
  name: ${SIM_EPP}
  namespace: ${INFERENCE_SIM_NAMESPACE}
spec:
  selector:
    app: ${SIM_EPP}
  ports:
    - protocol: TCP
      port: 9002
      targetPort: 9002
      appProtocol: http2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${SIM_EPP}
  namespace: ${INFERENCE_SIM_NAMESPACE}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ${SIM_EPP}
  template:
    metadata:
      labels:
        app: ${SIM_EPP}
    spec:
      serviceAccountName: ${SIM_EPP}
      containers:
        - name: epp
          image: ${LWEPP_IMAGE}
          args: ["--pool-name", "${SIM}", "--pool-namespace", "${INFERENCE_SIM_NAMESPACE}", "--grpc-port", "9002", "--grpc-health-port", "9003"]
          ports:
            - containerPort: 9002
            - containerPort: 9003
          readinessProbe:
            grpc:
              port: 9003
              service: inference-extension
            periodSeconds: 2
---
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: ${SIM}
  namespace: ${INFERENCE_SIM_NAMESPACE}
spec:
  selector:
    matchLabels:
      app: ${SIM}
  targetPorts:
    - number: 8000
  endpointPickerRef:
    name: ${SIM_EPP}
    port:
      number: 9002
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${INFERENCE_GATEWAY}
  namespace: ${INFERENCE_SIM_NAMESPACE}
spec:
  gatewayClassName: ${GATEWAY_CLASS}
  listeners:
    - name: http
      protocol: HTTP
      port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${SIM}
  namespace: ${INFERENCE_SIM_NAMESPACE}
spec:
  parentRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      name: ${INFERENCE_GATEWAY}
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
      backendRefs:
        - group: inference.networking.k8s.io
          kind: InferencePool
          name: ${SIM}
`;

/** gVisor's RuntimeClass, as kubernetes-sigs/agent-sandbox's kind quickstart creates it. */
export const GVISOR_RUNTIME_CLASS = 'gvisor';
export const GVISOR_RUNTIME_CLASS_MANIFEST = `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${GVISOR_RUNTIME_CLASS}
handler: ${RUNSC_HANDLER}
`;

/**
 * Installs gVisor's binaries in one kind node container, each checked against the sha512 the
 * release publishes beside it (gVisor's install guide, "specific release"), and checks that it
 * runs and that containerd has the runsc handler (kind config), whose shim it starts from PATH
 * when a pod asks for it. Each node's check is the install's proof; the probe runs the pod.
 */
export function gvisorInstallScript(release: string): string {
  // One line (set -e stops it at the first failure), so it reads as one command in the run's log.
  const files = GVISOR_BINARIES.flatMap((binary) => [binary, `${binary}.sha512`]);
  return [
    'set -eu',
    `url=${gvisorReleaseUrl(release, '$(uname -m)')}`,
    'cd "$(mktemp -d)"',
    `curl -fsSL --retry 3 --remote-name-all ${files.map((f) => `"$url/${f}"`).join(' ')}`,
    `sha512sum -c ${GVISOR_BINARIES.map((b) => `${b}.sha512`).join(' ')}`,
    `chmod a+rx ${GVISOR_BINARIES.join(' ')}`,
    `mv ${GVISOR_BINARIES.join(' ')} /usr/local/bin/`,
    'runsc --version',
    // The handler comes from the kind config at creation: a cluster reused from a run without add-ons lacks it.
    `containerd config dump | grep -q 'containerd.runtimes.${RUNSC_HANDLER}]' || { echo 'containerd has no ${RUNSC_HANDLER} runtime handler: the cluster was not created with the add-ons (delete it and rerun)' >&2; exit 1; }`,
  ].join('; ');
}

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

const INFERENCE_POOL_CRD = 'crd/inferencepools.inference.networking.k8s.io';

const INFERENCE_SHOULDS: RequirementId[] = ['advanced_inference_ingress'];
const SANDBOX_SHOULDS: RequirementId[] = ['workload_sandboxing'];

/**
 * The add-ons for a Kubernetes version, in install order; `clusterName` names the node containers
 * the docker steps reach.
 */
export function prModeAddons(kubernetesVersion: KubernetesVersion, clusterName: string = DEFAULT_CLUSTER_NAME): Addon[] {
  const listed = new Set<string>(requirementsFor(kubernetesVersion).map((r) => r.id));
  const wanted = (ids: RequirementId[]) => ids.some((id) => listed.has(id));
  return allAddons(clusterName, wanted(INFERENCE_SHOULDS)).filter((addon) => addon.serves === undefined || wanted(addon.serves));
}

/** The PR-mode add-ons that exist for a SHOULD on this version, by requirement id (for `list`). */
export function shouldAddons(kubernetesVersion: KubernetesVersion): Map<RequirementId, string[]> {
  const out = new Map<RequirementId, string[]>();
  for (const addon of prModeAddons(kubernetesVersion))
    for (const id of addon.serves ?? []) out.set(id, [...(out.get(id) ?? []), addon.name]);
  return out;
}

/** Whether the version's add-ons include gVisor, whose runtime handler the kind config registers. */
export function needsSandboxRuntime(kubernetesVersion: KubernetesVersion): boolean {
  return prModeAddons(kubernetesVersion).some((addon) => addon.releases.includes('gvisor'));
}

/** `inference`: Envoy Gateway is configured for Envoy AI Gateway (only where that is installed: its hooks fail closed). */
function allAddons(clusterName: string, inference: boolean): Addon[] {
  const {
    gatewayApi,
    envoyGateway,
    kueue,
    kubeflowTrainer,
    kubePrometheusStack,
    prometheusAdapter,
    fakeGpuOperator,
    inferenceExtension,
    envoyAiGateway,
    gvisor,
  } = ADDON_RELEASES;
  const gatewayCrds = ['gateways', 'httproutes', 'gatewayclasses'].map((r) => `crd/${r}.gateway.networking.k8s.io`);
  return [
    {
      // Before Envoy Gateway: it watches the extension's backend resources only if their CRD exists at start.
      name: 'inference-extension-crds',
      releases: ['inferenceExtension'],
      serves: INFERENCE_SHOULDS,
      steps: [
        {
          tool: 'kubectl',
          what: `install the Gateway API Inference Extension ${inferenceExtension.version} CRDs (InferencePool)`,
          timeoutMs: THREE_MIN,
          args: [
            'apply',
            '--server-side',
            '-f',
            `https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/${inferenceExtension.version}/manifests.yaml`,
          ],
        },
        {
          tool: 'kubectl',
          what: 'wait for the InferencePool CRD',
          timeoutMs: THREE_MIN,
          args: ['wait', '--for=condition=Established', '--timeout=3m', INFERENCE_POOL_CRD],
        },
      ],
    },
    {
      name: 'envoy-gateway',
      releases: ['envoyGateway', 'gatewayApi'],
      steps: [
        {
          tool: 'helm',
          // The chart installs the Gateway API CRDs it is built for (crds.enabled, default true).
          what: `install Envoy Gateway ${envoyGateway.version} with the Gateway API ${gatewayApi.version} CRDs`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall(
            'eg',
            'oci://docker.io/envoyproxy/gateway-helm',
            envoyGateway.version,
            ENVOY_NAMESPACE,
            inference ? ['--values', '-'] : [],
          ),
          ...(inference ? { input: ENVOY_GATEWAY_VALUES } : {}),
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
      name: 'envoy-ai-gateway',
      releases: ['envoyAiGateway'],
      serves: INFERENCE_SHOULDS,
      steps: [
        {
          tool: 'helm',
          what: `install the Envoy AI Gateway ${envoyAiGateway.version} CRDs`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('aieg-crd', 'oci://docker.io/envoyproxy/ai-gateway-crds-helm', envoyAiGateway.version, AI_GATEWAY_NAMESPACE),
        },
        {
          tool: 'helm',
          what: `install Envoy AI Gateway ${envoyAiGateway.version} (Envoy Gateway's extension server for InferencePools)`,
          timeoutMs: FIVE_MIN + 30_000,
          args: helmInstall('aieg', 'oci://docker.io/envoyproxy/ai-gateway-helm', envoyAiGateway.version, AI_GATEWAY_NAMESPACE),
        },
        {
          tool: 'kubectl',
          what: 'wait for the Envoy AI Gateway controller',
          timeoutMs: THREE_MIN,
          args: [
            'wait',
            '--for=condition=Available',
            '--timeout=3m',
            '--namespace',
            AI_GATEWAY_NAMESPACE,
            'deployment/ai-gateway-controller',
          ],
        },
      ],
    },
    {
      name: 'inference-sim',
      releases: ['inferenceSim'],
      serves: INFERENCE_SHOULDS,
      steps: [
        {
          tool: 'kubectl',
          what: `deploy the vLLM simulator ${ADDON_RELEASES.inferenceSim.version} behind InferencePool ${SIM} and Gateway ${INFERENCE_GATEWAY}`,
          timeoutMs: 60_000,
          args: ['apply', '-f', '-'],
          input: INFERENCE_SIM_MANIFEST,
        },
        {
          tool: 'kubectl',
          what: 'wait for the simulated model servers and their endpoint picker',
          timeoutMs: FIVE_MIN,
          args: [
            'wait',
            '--for=condition=Available',
            '--timeout=5m',
            '--namespace',
            INFERENCE_SIM_NAMESPACE,
            `deployment/${SIM}`,
            `deployment/${SIM_EPP}`,
          ],
        },
        {
          tool: 'kubectl',
          // Written by Envoy AI Gateway's InferencePool controller once a Gateway routes to the pool.
          what: `wait for InferencePool ${SIM} to have its references resolved for Gateway ${INFERENCE_GATEWAY}`,
          timeoutMs: THREE_MIN,
          args: [
            'wait',
            '--for=jsonpath={.status.parents[0].conditions[?(@.type=="ResolvedRefs")].status}=True',
            '--timeout=3m',
            '--namespace',
            INFERENCE_SIM_NAMESPACE,
            `inferencepool/${SIM}`,
          ],
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
    {
      name: 'gvisor',
      releases: ['gvisor'],
      serves: SANDBOX_SHOULDS,
      steps: [
        ...kindNodeNames(clusterName).map((node): AddonStep => ({
          tool: 'docker',
          what: `install gVisor ${gvisor.version} (runsc) in node ${node}`,
          timeoutMs: THREE_MIN,
          args: ['exec', node, 'sh', '-c', gvisorInstallScript(gvisor.version)],
        })),
        {
          tool: 'kubectl',
          what: `create RuntimeClass ${GVISOR_RUNTIME_CLASS} (handler ${RUNSC_HANDLER})`,
          timeoutMs: 60_000,
          args: ['apply', '-f', '-'],
          input: GVISOR_RUNTIME_CLASS_MANIFEST,
        },
      ],
    },
  ];
}

/** A line per add-on release installed outside its project's published support, for the run's log. */
export function outsideSupport(kubernetesVersion: KubernetesVersion): string[] {
  return prModeAddons(kubernetesVersion)
    .flatMap((addon) => addon.releases)
    .flatMap((key) => {
      const release = ADDON_RELEASES[key];
      if (supportsVersion(release, kubernetesVersion)) return [];
      const why = release.outsideMatrix?.[kubernetesVersion];
      const range = `${release.supports.from}–${release.supports.to ?? ''}`;
      return [`${release.project} ${release.version} supports Kubernetes ${range}, not ${kubernetesVersion}${why ? `: ${why}` : ''}`];
    });
}
