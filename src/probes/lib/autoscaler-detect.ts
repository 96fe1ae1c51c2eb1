// Which cluster autoscaler the platform provides, wherever it runs:
//   - cluster-autoscaler (any cloud provider, managed ones included: GKE and AKS keep its status
//     ConfigMap in kube-system) found by its status ConfigMap `cluster-autoscaler-status` in any
//     namespace (OpenShift runs it in openshift-machine-api, cluster-api setups in their own). A
//     ConfigMap is believed only while fresh (the autoscaler rewrites it every scan, 10 s by
//     default) or while a cluster-autoscaler pod runs beside it: one left behind by an
//     uninstalled autoscaler does not count;
//   - OpenShift's ClusterAutoscaler and MachineAutoscalers (autoscaling.openshift.io);
//   - cluster-api node groups: MachineDeployments / MachineSets / MachinePools carrying the
//     cluster-api autoscaler's min/max-size annotations (its autoscaler may run in the
//     management cluster, out of sight);
//   - Karpenter NodePools (karpenter.sh), which EKS Auto Mode and AKS node auto-provisioning use.
// Every lookup is one small request, whatever the size of the cluster.

import type { KubernetesObject, V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ALL_NAMESPACES, type Kube } from '../../kube/types.js';
import { apiErrorOf } from './api-error.js';

export const STATUS_CONFIGMAP = 'cluster-autoscaler-status';
/** A status older than this, with no autoscaler pod beside it, was left behind. */
export const STALE_AFTER_MS = 10 * 60_000;
const CAPI_MAX = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size';
const CAPI_MIN = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size';

export interface Autoscaler {
  kind: 'cluster-autoscaler' | 'openshift' | 'cluster-api' | 'karpenter';
  /** For the report: "cluster-autoscaler (ConfigMap kube-system/cluster-autoscaler-status, health Healthy, written 4s ago)". */
  description: string;
  /** The namespace its status and events come from, where known. */
  namespace?: string;
}

export interface AutoscalerSearch {
  found?: Autoscaler;
  /** What was looked at and why nothing counted, for the not-applicable note. */
  looked: string[];
}

/** Go's time.Time.String() ("2026-12-01 20:04:23.1 +0000 UTC") or RFC 3339, as a Date. */
export function parseCaTime(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const go = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-]\d{2})(\d{2})/.exec(text.trim());
  const iso = go ? `${go[1]}T${go[2]}${go[3] ? go[3].slice(0, 4) : ''}${go[4]}:${go[5]}` : text.trim();
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** When the autoscaler last wrote its status, and its cluster-wide health, from either format. */
export function readStatus(configMap: V1ConfigMap): { written?: Date; health?: string } {
  const text = configMap.data?.status ?? '';
  const annotation = parseCaTime(configMap.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/last-updated']);
  let time: Date | undefined;
  let health: string | undefined;
  const legacy = /Cluster-autoscaler status at (.+?):\s*\n/.exec(text);
  if (legacy) {
    time = parseCaTime(legacy[1]);
    health = /Cluster-wide:\s*\n\s*Health:\s*(\S+)/.exec(text)?.[1];
  } else {
    try {
      const doc = parse(text) as { time?: string; clusterWide?: { health?: { status?: string; lastProbeTime?: string } } } | null;
      time = parseCaTime(doc?.time) ?? parseCaTime(doc?.clusterWide?.health?.lastProbeTime);
      health = doc?.clusterWide?.health?.status;
    } catch {
      // not YAML: only the annotation can tell
    }
  }
  const written = [annotation, time].filter((d): d is Date => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
  return { written, health };
}

function ago(ms: number): string {
  if (ms < 120_000) return `${Math.max(0, Math.round(ms / 1000))}s ago`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} days ago`;
}

/** Status ConfigMaps in every namespace (one request), or where the usual installs put them. */
async function statusConfigMaps(kube: Kube): Promise<V1ConfigMap[]> {
  try {
    return await kube.list<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ALL_NAMESPACES },
      { fieldSelector: `metadata.name=${STATUS_CONFIGMAP}` },
    );
  } catch (error) {
    if (apiErrorOf(error).code !== 403) throw error;
    const found: V1ConfigMap[] = [];
    for (const namespace of ['kube-system', 'openshift-machine-api']) {
      const one = await kube.get<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: STATUS_CONFIGMAP });
      if (one) found.push(one);
    }
    return found;
  }
}

/** A running cluster-autoscaler pod in the namespace (by name or image), if any. */
async function runningAutoscalerPod(kube: Kube, namespace: string): Promise<V1Pod | undefined> {
  const pods = (
    await kube.listPage<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace }, { fieldSelector: 'status.phase=Running', limit: 200 })
  ).items;
  return pods.find(
    (pod) =>
      /cluster-autoscaler/.test(pod.metadata?.name ?? '') ||
      (pod.spec?.containers ?? []).some((c) => /cluster-autoscaler/.test(c.image ?? '')),
  );
}

async function fromStatusConfigMaps(kube: Kube, now: Date, looked: string[]): Promise<Autoscaler | undefined> {
  for (const configMap of await statusConfigMaps(kube)) {
    const namespace = configMap.metadata?.namespace ?? '?';
    const where = `ConfigMap ${namespace}/${STATUS_CONFIGMAP}`;
    const { written, health } = readStatus(configMap);
    const age = written ? now.getTime() - written.getTime() : undefined;
    const state = `${health ? `health ${health}, ` : ''}${age !== undefined ? `written ${ago(age)}` : 'no time in it'}`;
    if (age !== undefined && age <= STALE_AFTER_MS)
      return { kind: 'cluster-autoscaler', description: `cluster-autoscaler (${where}, ${state})`, namespace };
    const pod = await runningAutoscalerPod(kube, namespace);
    if (pod) {
      return {
        kind: 'cluster-autoscaler',
        description: `cluster-autoscaler (pod ${namespace}/${pod.metadata?.name ?? '?'} running; ${where} ${state})`,
        namespace,
      };
    }
    looked.push(
      `${where} is stale (${state}) and no cluster-autoscaler pod runs in ${namespace}: left behind by an autoscaler that is gone`,
    );
  }
  return undefined;
}

async function served(kube: Kube, group: string, resource: string): Promise<string | undefined> {
  for (const groupVersion of await kube.groupVersions(group)) {
    const resources = await kube.resources(groupVersion);
    if (resources?.some((r) => r.name === resource)) return groupVersion;
  }
  return undefined;
}

async function openShift(kube: Kube): Promise<Autoscaler | undefined> {
  const clusterVersion = await served(kube, 'autoscaling.openshift.io', 'clusterautoscalers');
  if (!clusterVersion) return undefined;
  const clusterAutoscalers = (
    await kube.listPage<KubernetesObject>({ apiVersion: clusterVersion, kind: 'ClusterAutoscaler' }, { limit: 5 })
  ).items;
  if (clusterAutoscalers.length === 0) return undefined;
  const machineVersion = await served(kube, 'autoscaling.openshift.io', 'machineautoscalers');
  const machine = machineVersion
    ? (
        await kube.listPage<
          KubernetesObject & { spec?: { scaleTargetRef?: { name?: string }; minReplicas?: number; maxReplicas?: number } }
        >({ apiVersion: machineVersion, kind: 'MachineAutoscaler', namespace: ALL_NAMESPACES }, { limit: 50 })
      ).items
    : [];
  const targets = machine.map(
    (m) => `${m.spec?.scaleTargetRef?.name ?? '?'} (${m.spec?.minReplicas ?? '?'}-${m.spec?.maxReplicas ?? '?'})`,
  );
  return {
    kind: 'openshift',
    description: `OpenShift ClusterAutoscaler ${clusterAutoscalers[0]?.metadata?.name ?? '?'} with ${targets.length ? `MachineAutoscalers for MachineSets ${targets.join(', ')}` : 'no MachineAutoscaler (no MachineSet may scale)'}`,
    namespace: 'openshift-machine-api',
  };
}

async function clusterApi(kube: Kube): Promise<Autoscaler | undefined> {
  const groups: string[] = [];
  for (const [resource, kind] of [
    ['machinedeployments', 'MachineDeployment'],
    ['machinesets', 'MachineSet'],
    ['machinepools', 'MachinePool'],
  ] as const) {
    const groupVersion = await served(kube, 'cluster.x-k8s.io', resource);
    if (!groupVersion) continue;
    const objects = (await kube.listPage<KubernetesObject>({ apiVersion: groupVersion, kind, namespace: ALL_NAMESPACES }, { limit: 100 }))
      .items;
    for (const object of objects) {
      const annotations: Partial<Record<string, string>> = object.metadata?.annotations ?? {};
      if (annotations[CAPI_MAX] === undefined) continue;
      groups.push(
        `${kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? '?'} (${annotations[CAPI_MIN] ?? '0'}-${annotations[CAPI_MAX]})`,
      );
    }
  }
  if (groups.length === 0) return undefined;
  return { kind: 'cluster-api', description: `cluster-api autoscaler node groups: ${groups.join(', ')}` };
}

async function karpenter(kube: Kube): Promise<Autoscaler | undefined> {
  const groupVersion = await served(kube, 'karpenter.sh', 'nodepools');
  if (!groupVersion) return undefined;
  const pools = (await kube.listPage<KubernetesObject>({ apiVersion: groupVersion, kind: 'NodePool' }, { limit: 20 })).items;
  if (pools.length === 0) return undefined;
  return {
    kind: 'karpenter',
    description: `Karpenter (${groupVersion} NodePools: ${pools.map((pool) => pool.metadata?.name ?? '?').join(', ')})`,
  };
}

export async function detectAutoscaler(kube: Kube, now: Date): Promise<AutoscalerSearch> {
  const looked: string[] = [];
  const found =
    (await fromStatusConfigMaps(kube, now, looked)) ?? (await openShift(kube)) ?? (await clusterApi(kube)) ?? (await karpenter(kube));
  if (!found) {
    looked.push(
      'no fresh cluster-autoscaler-status ConfigMap in any namespace, no OpenShift ClusterAutoscaler, no MachineDeployment/MachineSet/MachinePool with cluster-api autoscaler annotations, no Karpenter NodePool',
    );
  }
  return { found, looked };
}
