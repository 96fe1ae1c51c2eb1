// A probe pod that runs a short shell script (no accelerator) and prints facts about its
// environment as `PREFIX value` lines, read back from the log. Restricted like every probe pod.

import type { V1Pod, V1PodSpec, V1Probe } from '@kubernetes/client-node';
import type { ProbeContext } from '../types.js';
import { PROBE_SHELL_IMAGE, restrictedContainer, restrictedPod } from './probe-pod.js';

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

export function shellPod(ctx: ProbeContext, spec: ShellPodSpec): V1Pod {
  const container = restrictedContainer({
    name: SHELL_CONTAINER,
    image: ctx.images.resolve(PROBE_SHELL_IMAGE),
    script: spec.script,
    hold: spec.hold,
    claims: spec.claim ? [spec.claim] : [],
    readinessProbe: spec.readinessProbe,
  });
  return restrictedPod(ctx, spec.name, { ...spec.spec, containers: [container] }, spec.node, spec.labels);
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
