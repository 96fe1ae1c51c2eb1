// Turns a scenario into the objects that exist at start: namespaces, nodes, generated objects,
// and the plain manifests listed under `objects`.
import type { NodeSpec, Scenario } from './scenario.js';
import type { ResourceRegistry } from './resources.js';
import { resourceKey } from './resources.js';
import type { Store } from './store.js';
import type { KObj } from './types.js';
import { establishedStatus, registerCrd } from './controllers/crd.js';
import { toStorage } from './convert.js';

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function nodeObject(spec: NodeSpec, kubernetesVersion: string, index: number): KObj {
  const controlPlane = spec.role === 'control-plane';
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    ...(controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
    ...(spec.labels ?? {}),
  };
  const taints = [
    ...(controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : []),
    ...(spec.taints ?? []),
  ];
  const capacity: Record<string, string> = {
    cpu: '8',
    memory: '32Gi',
    pods: '110',
    'ephemeral-storage': '100Gi',
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    ...(spec.allocatable ?? {}),
  };
  const ready = spec.ready !== false;
  const since = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const at = { lastHeartbeatTime: since, lastTransitionTime: since };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: `10.244.${index % 256}.0/24`,
      podCIDRs: [`10.244.${index % 256}.0/24`],
      providerID: `kind://docker/fake/${spec.name}`,
      ...(taints.length ? { taints } : {}),
      ...(spec.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        {
          ...at,
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
        },
        { ...at, type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
        { ...at, type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
        {
          ...at,
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? 'KubeletReady' : 'KubeletNotReady',
          message: ready ? 'kubelet is posting ready status' : 'container runtime network not ready',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: `172.18.${Math.floor(index / 250)}.${(index % 250) + 2}` },
        { type: 'Hostname', address: spec.name },
      ],
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.8.0',
        containerRuntimeVersion: 'containerd://2.1.0',
        kubeletVersion: `v${kubernetesVersion}.0`,
        kubeProxyVersion: `v${kubernetesVersion}.0`,
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

function keyFor(registry: ResourceRegistry, obj: KObj, scenario: Scenario): string {
  const info = registry.forKind(obj.apiVersion ?? '', obj.kind ?? '');
  if (!info)
    throw new Error(
      `scenario ${scenario.name}: ${obj.apiVersion ?? '?'} ${obj.kind ?? '?'} "${obj.metadata.name ?? ''}" is not served by Kubernetes ${scenario.kubernetesVersion} here (is its CRD listed before it?)`,
    );
  return resourceKey(info.group, info.resource);
}

function ensureNamespace(store: Store, name: string): void {
  if (!store.get('namespaces', undefined, name)) store.seed('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export function seedScenario(store: Store, registry: ResourceRegistry, scenario: Scenario): void {
  for (const ns of SYSTEM_NAMESPACES) ensureNamespace(store, ns);
  const nodes = [...(scenario.nodes ?? [])];
  const gen = scenario.generate;
  if (gen?.nodes) {
    const prefix = gen.nodes.namePrefix ?? 'node-';
    for (let i = 0; i < gen.nodes.count; i++)
      nodes.push({ name: `${prefix}${i}`, labels: gen.nodes.labels, allocatable: gen.nodes.allocatable, taints: gen.nodes.taints });
  }
  nodes.forEach((n, i) => store.seed('nodes', nodeObject(n, scenario.kubernetesVersion, i), true));

  // CRDs first, so that custom resources listed later find their resource (the CRD controller
  // registers each one as it is seeded).
  const objects = scenario.objects ?? [];
  const isCrd = (o: KObj): boolean => o.kind === 'CustomResourceDefinition';
  for (const given of [...objects.filter(isCrd), ...objects.filter((o) => !isCrd(o))]) {
    const key = keyFor(registry, given, scenario);
    const [group = '', version = ''] = (given.apiVersion ?? '').includes('/')
      ? (given.apiVersion ?? '').split('/')
      : ['', given.apiVersion ?? ''];
    const obj = toStorage(group, version, structuredClone(given));
    const info = registry.byKey(key);
    if (info?.namespaced) {
      obj.metadata.namespace ??= 'default';
      ensureNamespace(store, obj.metadata.namespace);
    }
    if (key === 'namespaces' && store.get('namespaces', undefined, obj.metadata.name ?? '')) continue;
    if (isCrd(obj)) {
      obj.status = establishedStatus(obj);
      registerCrd(registry, obj);
    }
    store.seed(key, obj);
  }

  if (gen?.pods) {
    const nsCount = Math.max(1, gen.pods.namespaces ?? 1);
    const nsPrefix = gen.pods.namespacePrefix ?? 'load-';
    for (let n = 0; n < nsCount; n++) ensureNamespace(store, `${nsPrefix}${n}`);
    const nodeNames = nodes.filter((n) => n.role !== 'control-plane').map((n) => n.name);
    const phase = gen.pods.phase ?? 'Running';
    const image = gen.pods.image ?? 'registry.k8s.io/pause:3.10';
    for (let i = 0; i < gen.pods.count; i++) {
      const nodeName = nodeNames.length ? nodeNames[i % nodeNames.length] : undefined;
      store.seed(
        'pods',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${gen.pods.namePrefix ?? 'pod-'}${i}`,
            namespace: `${nsPrefix}${i % nsCount}`,
            labels: { app: 'load', ...(gen.pods.labels ?? {}) },
          },
          spec: { containers: [{ name: 'main', image }], ...(nodeName ? { nodeName } : {}) },
          status: {
            phase,
            podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
            containerStatuses: [
              {
                name: 'main',
                image,
                imageID: '',
                ready: phase === 'Running',
                restartCount: 0,
                started: phase === 'Running',
                state:
                  phase === 'Running' ? { running: { startedAt: '2026-01-01T00:00:00Z' } } : { waiting: { reason: 'ContainerCreating' } },
              },
            ],
          },
        },
        true,
      );
    }
  }
}
