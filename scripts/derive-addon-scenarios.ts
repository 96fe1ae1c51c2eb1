// Derives the fake cluster's add-on files (fixtures/scenarios/addons/<project>-<version>.yaml)
// from the released manifests of the add-ons the kind provider pins (src/cluster/pins.ts):
// the CRDs with their real structural schemas (descriptions dropped: they are documentation, a
// third of a megabyte each, and no API server decision reads them), the webhook configurations
// and what they cover, the controllers' Deployments and Services with their labels, rendered as
// each project's documented install path renders them (Helm release names, kustomize namespaces).
//
//   npm exec tsx scripts/derive-addon-scenarios.ts -- --from ../shared/fixtures/addons
//
// Run it again when a pin changes; __tests__/cluster/addon-scenarios.test.ts fails until then.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ADDON_RELEASES, type AddonKey } from '../src/cluster/pins.js';
import {
  AI_GATEWAY_NAMESPACE,
  ENVOY_GATEWAY_VALUES,
  GATEWAY_CLASS_MANIFEST,
  GVISOR_RUNTIME_CLASS_MANIFEST,
  INFERENCE_SIM_MANIFEST,
  MONITORING_NAMESPACE,
  MONITORING_RELEASE,
  DCGM_SERVICE_MONITOR,
} from '../src/cluster/addons.js';
import { RUNSC_HANDLER } from '../src/cluster/kindConfig.js';

type Obj = Record<string, unknown> & { kind?: string; metadata?: Record<string, unknown> };

const repo = path.resolve(import.meta.dirname, '..');
const outDir = path.join(repo, 'fixtures', 'scenarios', 'addons');

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const from = argValue('--from');
if (!from) {
  console.error('usage: derive-addon-scenarios --from DIR (the addons/ folder of the shared fixtures)');
  process.exit(2);
}
const root = path.resolve(from);

interface Source {
  file: string;
  sha256: string;
}

class Derivation {
  readonly objects: Obj[] = [];
  readonly sources: Source[] = [];

  constructor(
    readonly key: AddonKey,
    readonly folder: string,
  ) {}

  /** A file of this release's folder, or of the addons/ root when it starts with `/`. */
  read(file: string): Obj[] {
    const relative = file.startsWith('/') ? file.slice(1) : path.join(this.folder, file);
    const full = path.join(root, relative);
    const text = readFileSync(full, 'utf8');
    this.sources.push({ file: relative, sha256: createHash('sha256').update(text).digest('hex').slice(0, 12) });
    return parseAllDocuments(text)
      .map((doc) => doc.toJS() as unknown)
      .filter((doc): doc is Obj => typeof doc === 'object' && doc !== null && 'kind' in doc);
  }

  add(...objects: Obj[]): void {
    this.objects.push(...objects);
  }
}

/** Descriptions are documentation: no admission, pruning or validation decision reads them. */
function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'description')
      .map(([key, v]) => [key, withoutDescriptions(v)]),
  );
}

function crd(object: Obj): Obj {
  const { status: _status, ...rest } = withoutDescriptions(object) as Obj;
  return rest;
}

function inNamespace(object: Obj, namespace: string): Obj {
  return { ...object, metadata: { ...object.metadata, namespace } };
}

function named(objects: Obj[], kind: string, name?: string): Obj {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} in the manifests`);
  return found;
}

/** Points every webhook of a configuration at a Service, as kustomize's name/namespace references do. */
function webhooksTo(configuration: Obj, name: string, service: { name: string; namespace: string }): Obj {
  const webhooks = (configuration.webhooks as Record<string, unknown>[]).map((webhook) => {
    const clientConfig = webhook.clientConfig as { service: Record<string, unknown> };
    return { ...webhook, clientConfig: { ...clientConfig, service: { ...clientConfig.service, ...service } } };
  });
  return { ...configuration, metadata: { ...configuration.metadata, name }, webhooks };
}

/** Helm's merge of values into a chart's defaults: maps merge key by key, anything else is replaced. */
function mergeValues(base: unknown, extra: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(base) || !isMap(extra)) return extra;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) out[key] = key in base ? mergeValues(base[key], value) : value;
  return out;
}

function namespace(name: string): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function manifest(text: string): Obj[] {
  return parseAllDocuments(text).map((doc) => doc.toJS() as Obj);
}

interface AddonFile {
  file: string;
  title: string;
  notes: string[];
  derivations: Derivation[];
  extra?: Obj[];
  behaviours?: Record<string, unknown>;
}

function write(addon: AddonFile): void {
  const models = addon.derivations.map((d) => ({ project: ADDON_RELEASES[d.key].project, version: ADDON_RELEASES[d.key].version }));
  const header = [
    `# Addon: ${addon.title}. GENERATED by scripts/derive-addon-scenarios.ts; do not edit by hand.`,
    `# Models ${models.map((m) => `${m.project} ${m.version}`).join(' + ')}, derived from the released manifests:`,
    ...addon.derivations.flatMap((d) => d.sources.map((s) => `#   ${s.file} (sha256 ${s.sha256}...)`)),
    ...addon.notes.map((line) => `# ${line}`),
  ];
  const body = {
    models,
    objects: [...addon.derivations.flatMap((d) => d.objects), ...(addon.extra ?? [])],
    ...(addon.behaviours ? { behaviours: addon.behaviours } : {}),
  };
  const target = path.join(outDir, addon.file);
  writeFileSync(target, `${header.join('\n')}\n${stringify(body, { lineWidth: 0, aliasDuplicateObjects: false })}`);
  console.log(`wrote ${path.relative(repo, target)}`);
}

// Gateway API: the standard channel, as Envoy Gateway's chart installs it (crds.enabled).
const gatewayApi = new Derivation('gatewayApi', 'gateway-api/v1.6.1');
for (const kind of [
  'gatewayclasses',
  'gateways',
  'httproutes',
  'grpcroutes',
  'referencegrants',
  'backendtlspolicies',
  'listenersets',
  'tcproutes',
  'tlsroutes',
  'udproutes',
]) {
  gatewayApi.add(...gatewayApi.read(`config-crd-standard/gateway.networking.k8s.io_${kind}.yaml`).map(crd));
}

// Envoy Gateway: helm release `eg` in envoy-gateway-system (its quickstart's names).
const envoy = new Derivation('envoyGateway', 'envoy-gateway/v1.9.0');
envoy.add(...envoy.read('crds/gateway.envoyproxy.io_envoyproxies.yaml').map(crd));
{
  const rendered = envoy.read('helm/test-helm.default-config.out.yaml');
  const release = (o: Obj): Obj =>
    JSON.parse(
      JSON.stringify(o).replaceAll('gateway-helm', 'eg').replaceAll('gateway-dev:latest', `gateway:${ADDON_RELEASES.envoyGateway.version}`),
    ) as Obj;
  envoy.add(namespace('envoy-gateway-system'));
  for (const [kind, name] of [
    ['ConfigMap', 'envoy-gateway-config'],
    ['Service', 'envoy-gateway'],
    ['Deployment', 'envoy-gateway'],
    ['MutatingWebhookConfiguration', undefined],
  ] as const) {
    envoy.add(release(named(rendered, kind, name)));
  }
}

write({
  file: 'envoy-gateway-v1.9.0.yaml',
  title: 'Envoy Gateway with the Gateway API CRDs it bundles, and the PR-mode GatewayClass',
  notes: [
    'The GatewayClass and its ClusterIP EnvoyProxy are what src/cluster/addons.ts applies. The `gateway`',
    'behaviour models Envoy Gateway: each Gateway gets a proxy Service in envoy-gateway-system whose type',
    'the EnvoyProxy decides (LoadBalancer by default: no address on kind, Programmed=False AddressNotAssigned).',
  ],
  derivations: [gatewayApi, envoy],
  extra: manifest(GATEWAY_CLASS_MANIFEST),
  behaviours: {
    gateway: { implementation: 'envoy-gateway', controllerName: 'gateway.envoyproxy.io/gatewayclass-controller', loadBalancer: false },
  },
});

// Kueue: helm release `kueue` in kueue-system (names from the chart: kueue-<component>).
const kueue = new Derivation('kueue', 'kueue/v0.19.2');
for (const kind of [
  'localqueues',
  'clusterqueues',
  'cohorts',
  'workloads',
  'resourceflavors',
  'admissionchecks',
  'workloadpriorityclasses',
  'provisioningrequestconfigs',
  'multikueueconfigs',
  'multikueueclusters',
  'topologies',
]) {
  kueue.add(...kueue.read(`config-components-crd/bases/kueue.x-k8s.io_${kind}.yaml`).map(crd));
}
{
  const webhooks = kueue.read('config-components-webhook/manifests.yaml');
  const service = { name: 'kueue-webhook-service', namespace: 'kueue-system' };
  // The kustomization keeps Kueue's own namespaces out of its job webhooks.
  const notOwn = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kueue-system'] }] };
  const scoped = (configuration: Obj): Obj => ({
    ...configuration,
    webhooks: (configuration.webhooks as Record<string, unknown>[]).map((w) =>
      /^[mv](clusterqueue|cohort|resourceflavor|workload)\.kb\.io$/.test(String(w.name)) ? w : { ...w, namespaceSelector: notOwn },
    ),
  });
  kueue.add(
    namespace('kueue-system'),
    scoped(webhooksTo(named(webhooks, 'MutatingWebhookConfiguration'), 'kueue-mutating-webhook-configuration', service)),
    scoped(webhooksTo(named(webhooks, 'ValidatingWebhookConfiguration'), 'kueue-validating-webhook-configuration', service)),
  );
  const svc = kueue.read('config-components-webhook/service.yaml').at(0);
  if (svc)
    kueue.add({
      ...inNamespace(svc, 'kueue-system'),
      metadata: {
        name: service.name,
        namespace: service.namespace,
        labels: { 'app.kubernetes.io/name': 'kueue', 'control-plane': 'controller-manager' },
      },
      spec: { ...(svc.spec as object), selector: { 'app.kubernetes.io/name': 'kueue', 'control-plane': 'controller-manager' } },
    });
  kueue.add({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'kueue-controller-manager',
      namespace: 'kueue-system',
      labels: { 'app.kubernetes.io/name': 'kueue', 'control-plane': 'controller-manager' },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'kueue', 'control-plane': 'controller-manager' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'kueue', 'control-plane': 'controller-manager' } },
        spec: {
          containers: [
            {
              name: 'manager',
              image: `registry.k8s.io/kueue/kueue:${ADDON_RELEASES.kueue.version}`,
              ports: [{ name: 'webhook-server', containerPort: 9443 }],
              resources: { requests: { cpu: '500m', memory: '512Mi' } },
            },
          ],
        },
      },
    },
  });
}
write({
  file: 'kueue-v0.19.2.yaml',
  title: 'Kueue, as its Helm chart installs it',
  notes: [
    'The conversion webhooks of the v1beta1 <-> v1beta2 CRDs are not modelled: the fake converts by itself.',
    'The `kueue` behaviour admits queue-labelled Jobs (what its mjob/vjob webhooks and controller do).',
  ],
  derivations: [kueue],
  behaviours: { kueue: {} },
});

// Kubeflow Trainer: the manager overlay (namespace kubeflow-system), then the default runtimes.
const trainer = new Derivation('kubeflowTrainer', 'kubeflow-trainer/v2.3.0');
for (const kind of ['trainjobs', 'trainingruntimes', 'clustertrainingruntimes']) {
  trainer.add(...trainer.read(`manifests-base-crds/trainer.kubeflow.org_${kind}.yaml`).map(crd));
}
{
  const ns = 'kubeflow-system';
  const service = { name: 'kubeflow-trainer-controller-manager', namespace: ns };
  const webhooks = trainer.read('manifests-base-webhook/manifests.yaml');
  const mutating = webhooksTo(named(webhooks, 'MutatingWebhookConfiguration'), 'defaulter.trainer.kubeflow.org', service);
  const validating = webhooksTo(named(webhooks, 'ValidatingWebhookConfiguration'), 'validator.trainer.kubeflow.org', service);
  // patch_validating.yaml: the two runtime validators skip objects labelled webhook-validation=disabled.
  const skipDisabled = { matchExpressions: [{ key: 'trainer.kubeflow.org/webhook-validation', operator: 'NotIn', values: ['disabled'] }] };
  validating.webhooks = (validating.webhooks as Record<string, unknown>[]).map((w, i) =>
    i < 2 ? { ...w, objectSelector: skipDisabled } : w,
  );
  trainer.read('manifests-base-webhook/patch_validating.yaml');
  const managerDocs = trainer.read('manifests-base-manager/manager.yaml');
  const deployment = named(managerDocs, 'Deployment');
  const image = JSON.parse(
    JSON.stringify(deployment).replace(
      '"ghcr.io/kubeflow/trainer/trainer-controller-manager"',
      `"ghcr.io/kubeflow/trainer/trainer-controller-manager:${ADDON_RELEASES.kubeflowTrainer.version}"`,
    ),
  ) as Obj;
  trainer.add(namespace(ns), inNamespace(image, ns), inNamespace(named(managerDocs, 'Service'), ns), mutating, validating);
  trainer.add({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'jobset-controller-manager',
      namespace: ns,
      labels: { 'app.kubernetes.io/name': 'jobset', 'control-plane': 'controller-manager' },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'jobset', 'control-plane': 'controller-manager' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'jobset', 'control-plane': 'controller-manager' } },
        spec: { containers: [{ name: 'manager', image: 'registry.k8s.io/jobset/jobset' }] },
      },
    },
  });
  for (const runtime of ['torch_distributed', 'deepspeed_distributed', 'jax_distributed', 'mlx_distributed', 'xgboost_distributed']) {
    trainer.add(...trainer.read(`manifests-base-runtimes/${runtime}.yaml`));
  }
}
write({
  file: 'kubeflow-trainer-v2.3.0.yaml',
  title: 'Kubeflow Trainer v2 with its webhooks (self-managed certificates) and default runtimes',
  notes: [
    'JobSet (installed beside it by the manager overlay) is modelled by its controller Deployment only:',
    "the `operator` behaviour (model kubeflow-trainer) runs a TrainJob's pods itself.",
  ],
  derivations: [trainer],
  behaviours: { operator: { model: 'kubeflow-trainer' } },
});

// kube-prometheus-stack: the Prometheus Operator CRDs and the Prometheus object the chart renders.
const operatorCrds = new Derivation('kubePrometheusStack', 'prometheus-operator/v0.93.0');
for (const kind of ['servicemonitors', 'podmonitors', 'prometheuses'])
  operatorCrds.add(...operatorCrds.read(`crds/monitoring.coreos.com_${kind}.yaml`).map(crd));
operatorCrds.read('/kube-prometheus-stack/88.5.3/values.yaml');
// No prometheus-adapter manifest is stored: the `custom-metrics` behaviour models what it serves.
const adapter = new Derivation('prometheusAdapter', '');
{
  const selector = { matchLabels: { release: MONITORING_RELEASE } };
  const prometheusLabels = { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': `${MONITORING_RELEASE}-prometheus` };
  operatorCrds.add(
    namespace(MONITORING_NAMESPACE),
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Prometheus',
      metadata: {
        name: `${MONITORING_RELEASE}-prometheus`,
        namespace: MONITORING_NAMESPACE,
        labels: { release: MONITORING_RELEASE, app: 'kube-prometheus-stack-prometheus' },
      },
      // *SelectorNilUsesHelmValues=true (the chart default) renders release-label selectors; empty namespace selectors = all.
      spec: {
        serviceMonitorSelector: selector,
        serviceMonitorNamespaceSelector: {},
        podMonitorSelector: selector,
        podMonitorNamespaceSelector: {},
        probeSelector: selector,
        scrapeConfigSelector: selector,
      },
      status: {
        conditions: [
          { type: 'Available', status: 'True', reason: '' },
          { type: 'Reconciled', status: 'True', reason: '' },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'prometheus-operated',
        namespace: MONITORING_NAMESPACE,
        labels: { 'operated-prometheus': 'true', 'managed-by': 'prometheus-operator' },
      },
      spec: {
        clusterIP: 'None',
        ports: [{ name: 'web', port: 9090, targetPort: 'web' }],
        selector: { 'app.kubernetes.io/name': 'prometheus' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: `${MONITORING_RELEASE}-prometheus`,
        namespace: MONITORING_NAMESPACE,
        labels: { release: MONITORING_RELEASE, 'self-monitor': 'true' },
      },
      spec: { type: 'ClusterIP', ports: [{ name: 'http-web', port: 9090, targetPort: 9090 }], selector: prometheusLabels },
    },
    ...manifest(DCGM_SERVICE_MONITOR),
  );
}
write({
  file: 'kube-prometheus-stack-88.5.3.yaml',
  title: 'kube-prometheus-stack (Prometheus Operator + Prometheus) and prometheus-adapter',
  notes: [
    'Prometheus selects ServiceMonitors/PodMonitors labelled release=kube-prometheus-stack in every namespace',
    '(the chart default), not prometheus.io annotations. Behaviours: `prometheus` (query API), `custom-metrics`',
    '(prometheus-adapter serving custom.metrics.k8s.io/v1beta1), `hpa`.',
  ],
  derivations: [operatorCrds, adapter],
  behaviours: { prometheus: { annotationScrape: false }, 'custom-metrics': {}, hpa: { syncMs: 20, timeScale: 0.01 } },
});

// The Gateway API Inference Extension: its CRDs (release manifests.yaml = config/crd), Envoy AI
// Gateway as Envoy Gateway's extension server (no manifest of it is stored: its controller is
// modelled by its Deployment, its InferencePool handling by the `inference-extension` behaviour),
// and the vLLM-simulator pool src/cluster/addons.ts deploys.
const inference = new Derivation('inferenceExtension', 'gateway-api-inference-extension/v1.6.0');
for (const file of ['inference.networking.k8s.io_inferencepools.yaml', 'inference.networking.x-k8s.io_inferencepoolimports.yaml'])
  inference.add(...inference.read(`crds/${file}`).map(crd));
{
  // Where these add-ons are installed, Envoy Gateway's config is the chart default with Envoy AI
  // Gateway's values merged in (extension manager, InferencePool backend resources); this file is
  // included after envoy-gateway-v1.9.0.yaml, so its ConfigMap is the one the scenario keeps.
  const rendered = inference.read('/envoy-gateway/v1.9.0/helm/test-helm.default-config.out.yaml');
  const configMap = JSON.parse(
    JSON.stringify(named(rendered, 'ConfigMap', 'envoy-gateway-config'))
      .replaceAll('gateway-helm', 'eg')
      .replaceAll('gateway-dev:latest', `gateway:${ADDON_RELEASES.envoyGateway.version}`),
  ) as Obj;
  const data = configMap.data as Record<string, string>;
  const values = parse(ENVOY_GATEWAY_VALUES) as { config: { envoyGateway: unknown } };
  data['envoy-gateway.yaml'] = stringify(mergeValues(parse(data['envoy-gateway.yaml']), values.config.envoyGateway));
  inference.add(configMap);
}
const aiGateway = new Derivation('envoyAiGateway', '');
{
  const labels = { 'app.kubernetes.io/name': 'ai-gateway-controller', 'app.kubernetes.io/instance': 'aieg' };
  aiGateway.add(
    namespace(AI_GATEWAY_NAMESPACE),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ai-gateway-controller', namespace: AI_GATEWAY_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'ai-gateway-controller',
                image: `docker.io/envoyproxy/ai-gateway-controller:${ADDON_RELEASES.envoyAiGateway.version}`,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ai-gateway-controller', namespace: AI_GATEWAY_NAMESPACE, labels },
      spec: { selector: labels, ports: [{ name: 'grpc', port: 1063, targetPort: 1063 }] },
    },
  );
}
const sim = new Derivation('inferenceSim', '');
sim.add(...manifest(INFERENCE_SIM_MANIFEST));
write({
  file: 'gateway-api-inference-extension-v1.6.0.yaml',
  title: 'the Gateway API Inference Extension on Envoy Gateway through Envoy AI Gateway, with a vLLM-simulator pool',
  notes: [
    'CRDs with their real schemas. Envoy AI Gateway (envoyproxy/ai-gateway v1.1.0) writes InferencePool',
    'status and translates pool backends for Envoy Gateway: the `inference-extension` behaviour does both for',
    "Envoy Gateway's controllerName, and answers requests through the pool's endpoint picker.",
  ],
  derivations: [inference, aiGateway, sim],
  behaviours: { 'inference-extension': { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } },
});

// gVisor: the RuntimeClass the kind provider creates, and the runsc handler containerd runs on
// every node. Inside a runsc sandbox the Sentry answers as its own kernel (gVisor's syscall table:
// uname -r 4.4.0, its own /proc/version and boot id).
const gvisor = new Derivation('gvisor', '');
gvisor.add(...manifest(GVISOR_RUNTIME_CLASS_MANIFEST));
gvisor.read('/runtimeclass-sandboxing/agent-sandbox-v0.5.6/runtimeclass.gvisor.yaml');
gvisor.read('/runtimeclass-sandboxing/agent-sandbox-v0.5.6/kind-config.gvisor.yaml');
write({
  file: `gvisor-${ADDON_RELEASES.gvisor.version}.yaml`,
  title: 'gVisor (runsc) on every kind node, with RuntimeClass gvisor',
  notes: [
    'The RuntimeClass is what src/cluster/addons.ts applies, the same as agent-sandbox v0.5.6 creates on kind;',
    'the runsc handler is the containerd patch of src/cluster/kindConfig.ts (RUNSC_PATCH).',
  ],
  derivations: [gvisor],
  behaviours: {
    kubelet: {
      runtimeHandlers: {
        [RUNSC_HANDLER]: { kernel: { release: '4.4.0', version: 'Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016' } },
      },
    },
  },
});
