// What the kubelet's PodResources API (/var/lib/kubelet/pod-resources) tells a device exporter:
// which container of which pod holds which device on a node. dcgm-exporter and AMD's
// device-metrics-exporter read it to label a device's series with pod, namespace and container.
// The kubelet model records each grant when a container starts; readers keep only the pods that
// still run, as the real API lists only running pods.
import type { Store } from './store.js';
import type { KObj } from './types.js';

export interface HeldDevice {
  node: string;
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  /** The device's own identity (GPU-/MIG- UUID, /dev name). */
  device: string;
  /** The container's command line, for exporters that model what a workload does to the device. */
  command: string;
  /** When the container started (ms since the epoch). */
  since: number;
  /** Whether the container's workload is loading the device (NVIDIA's load generator got going). */
  loads?: boolean;
}

const grants = new WeakMap<Store, Map<string, HeldDevice[]>>();

function of(store: Store): Map<string, HeldDevice[]> {
  const found = grants.get(store) ?? new Map<string, HeldDevice[]>();
  grants.set(store, found);
  return found;
}

/** Records the devices a container of `pod` was given (called by the kubelet model as it starts the container). */
export function recordGrant(store: Store, pod: KObj, node: string, container: string, command: string, devices: string[]): void {
  if (devices.length === 0) return;
  const uid = pod.metadata.uid ?? '';
  const held = of(store).get(uid) ?? [];
  const since = Date.now();
  for (const device of devices) {
    held.push({
      node,
      namespace: pod.metadata.namespace ?? '',
      pod: pod.metadata.name ?? '',
      podUid: uid,
      container,
      device,
      command,
      since,
    });
  }
  of(store).set(uid, held);
}

/** Marks one container's devices as loaded by its workload (the kubelet model knows when a load generator runs). */
export function markLoading(store: Store, podUid: string, container: string): void {
  for (const grant of of(store).get(podUid) ?? []) if (grant.container === container) grant.loads = true;
}

/** Forgets a deleted pod's grants. */
export function forgetGrants(store: Store, podUid: string): void {
  of(store).delete(podUid);
}

/** The devices held (on `node`, or anywhere) by pods that still run, as the PodResources API lists them. */
export function heldDevices(store: Store, node?: string): HeldDevice[] {
  const out: HeldDevice[] = [];
  for (const held of of(store).values()) {
    for (const grant of held) {
      if (node !== undefined && grant.node !== node) continue;
      const pod = store.peekOne('pods', grant.namespace, grant.pod);
      const phase = (pod?.status as { phase?: string } | undefined)?.phase;
      if (pod?.metadata.uid === grant.podUid && phase === 'Running') out.push(grant);
    }
  }
  return out;
}
