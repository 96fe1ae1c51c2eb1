// Node look-ups and placement shared by the probes that read GPU Feature Discovery labels and pin
// their pods to the node those labels describe.

import type { V1Affinity, V1Node } from '@kubernetes/client-node';
import type { ProbeContext } from '../types.js';

/** Enough nodes to find one that offers what a label says; one page, whatever the cluster's size. */
const NODE_PAGE = 20;

/** One bounded page of the nodes matching a label selector. */
export async function labelledNodes(ctx: ProbeContext, selector: string): Promise<V1Node[]> {
  return (await ctx.kube.listPage<V1Node>({ apiVersion: 'v1', kind: 'Node' }, { limit: NODE_PAGE, labelSelector: selector })).items;
}

/** A count from a label or quantity ("4"), undefined when absent or not a number. */
export function countOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number.parseInt(value, 10);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** Requires this node by name (matchFields: no label needed, the scheduler still decides fit). */
export function onNode(node: string): V1Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      },
    },
  };
}
