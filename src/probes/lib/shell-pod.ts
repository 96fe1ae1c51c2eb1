// A probe pod that runs a short shell script (no accelerator) and prints facts about its
// environment as `PREFIX value` lines, read back from the log. Restricted like every probe pod.

import type { V1Pod, V1PodSpec, V1Probe } from '@kubernetes/client-node';
import type { ProbeContext } from '../types.js';
import { onNode } from './nodes.js';
import { PROBE_SHELL_IMAGE, RESTRICTED_CONTAINER } from './probe-pod.js';

export interface ShellPodSpec {
  name: string;
  script: string;
  /** Keep running after the script (sleep), e.g. to hold a claim while the probe reads it. */
  hold?: boolean;
  /** Require this node (matchFields on the name: no label needed, the scheduler still decides). */
  node?: string;
  /** Extra pod-spec fields: runtimeClassName, resourceClaims, tolerations… */
  spec?: Partial<V1PodSpec>;
  /** The pod-level claim the container uses (resources.claims). */
  claim?: string;
  /** Pod labels (e.g. for a Service selecting the pod). */
  labels?: Record<string, string>;
  /** The container's readiness probe (a server the pod runs); a holding pod gets its own. */
  readinessProbe?: V1Probe;
}

export const SHELL_CONTAINER = 'probe';
/** A holding pod touches this once its script printed; its readiness probe waits for it (wait goal 'printed'). */
const PRINTED_FILE = '/tmp/ai-conformance-printed';

export function shellPod(ctx: ProbeContext, spec: ShellPodSpec): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: ctx.namespace, ...(spec.labels ? { labels: spec.labels } : {}) },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      ...(spec.node ? { affinity: onNode(spec.node) } : {}),
      ...spec.spec,
      containers: [
        {
          name: SHELL_CONTAINER,
          image: ctx.images.resolve(PROBE_SHELL_IMAGE),
          command: ['sh', '-c', spec.hold ? `${spec.script}\ntouch ${PRINTED_FILE}\nexec sleep 3600` : spec.script],
          ...(spec.hold ? { readinessProbe: { exec: { command: ['test', '-f', PRINTED_FILE] }, periodSeconds: 1 } } : {}),
          ...(spec.readinessProbe ? { readinessProbe: spec.readinessProbe } : {}),
          resources: {
            limits: { cpu: '100m', memory: '64Mi' },
            requests: { cpu: '10m', memory: '16Mi' },
            ...(spec.claim ? { claims: [{ name: spec.claim }] } : {}),
          },
          securityContext: RESTRICTED_CONTAINER,
        },
      ],
    },
  };
}

/** The value of the last `PREFIX value` line of a log ('' when the line is there but empty), or undefined. */
export function lineValue(log: string, prefix: string): string | undefined {
  const line = log
    .split('\n')
    .filter((text) => text.startsWith(`${prefix} `) || text === prefix)
    .pop();
  return line === undefined ? undefined : line.slice(prefix.length).trim();
}

/** The values of every `PREFIX value` line of a log, in order ('' for a line with nothing after the prefix). */
export function lineValues(log: string, prefix: string): string[] {
  return log
    .split('\n')
    .filter((text) => text.startsWith(`${prefix} `) || text === prefix)
    .map((line) => line.slice(prefix.length).trim());
}
