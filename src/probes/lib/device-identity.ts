// What a probe container saw, as the device-list script prints it (src/probes/profiles.ts): the
// identities of its devices (GPU-/MIG- UUIDs from nvidia-smi, GPU_DEVICE_ values, device nodes)
// and the /dev nodes behind them; and how to compare what two containers saw.

import type { V1Node } from '@kubernetes/client-node';
import type { ProbeContext } from '../types.js';
import { SHARED_DEVICE_NODES } from '../profiles.js';
import { isStrings, resultLine } from './probe-pod.js';

export interface Seen {
  /** Identities, as printed. */
  devices: string[];
  /** /dev nodes behind them (without "/dev/"). */
  nodes: string[];
}

/** The result line of a container log; throws when it is missing or malformed. */
export function parseSeen(log: string, where: string): Seen {
  const { devices, nodes } = resultLine(log, where);
  if (!isStrings(devices)) throw new Error(`${where} printed a result line without a devices list`);
  return { devices, nodes: isStrings(nodes) ? nodes : [] };
}

export async function seenBy(ctx: ProbeContext, pod: string, container: string): Promise<Seen> {
  return parseSeen(await ctx.kube.podLogs(ctx.namespace, pod, container), `container ${container} of pod ${pod}`);
}

/** The devices that say which accelerator it is: not the control nodes every container of a vendor shares (/dev/kfd). */
export function identities(seen: Seen): string[] {
  return seen.devices.filter((device) => !SHARED_DEVICE_NODES.includes(device));
}

/** Whether every identity is a device UUID, unique across nodes (not a per-node /dev name). */
export function byUuid(seen: Seen): boolean {
  const ids = identities(seen);
  return ids.length > 0 && ids.every((id) => /^(GPU|MIG)-[0-9a-fA-F-]+$/.test(id));
}

export function describeSeen(seen: Seen): string {
  if (seen.devices.length === 0) return 'no device';
  const nodes = seen.nodes.filter((node) => !seen.devices.includes(node));
  return `${seen.devices.join(', ')}${nodes.length ? ` (/dev/${nodes.join(', /dev/')})` : ''}`;
}

/**
 * Sharing the platform was configured for on the node, where its labels say so: NVIDIA GPU
 * Feature Discovery's time-slicing or MPS replicas (nvidia.com/gpu.replicas > 1).
 */
export async function configuredSharing(ctx: ProbeContext, nodeName: string): Promise<string | undefined> {
  const node = await ctx.kube.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name: nodeName });
  const labels = node?.metadata?.labels ?? {};
  const replicas = Number(labels['nvidia.com/gpu.replicas'] ?? '1');
  if (replicas > 1)
    return `${labels['nvidia.com/gpu.sharing-strategy'] ?? 'shared'} replicas (node label nvidia.com/gpu.replicas=${replicas})`;
  return undefined;
}
