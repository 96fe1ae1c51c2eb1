// Probe pods: small non-root containers that run the accelerator profile's device-list script and
// print one `AI_CONFORMANCE_RESULT {"devices":[...]}` line, read back from the pod log.

import type { V1Container, V1Pod, V1PodCondition, V1PodSpec, V1Probe, V1SecurityContext } from '@kubernetes/client-node';
import { WaitTimeout } from '../../kube/types.js';
import type { ProbeContext } from '../types.js';
import { ACCELERATOR_REQUEST } from './dra.js';
import { onNode } from './nodes.js';
import { PodProblem } from './verdicts.js';

export const PROBE_SHELL_IMAGE = 'probe-shell';
export const PROBE_SHELL_DEFAULT = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
export const RESULT_PREFIX = 'AI_CONFORMANCE_RESULT ';

/** Every probe container runs as the "restricted" Pod Security Standard asks, so it runs anywhere. */
export const RESTRICTED_CONTAINER: V1SecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65534,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
/** File a holding pod touches once it has printed its result; its readiness probe looks for it. */
const READY_FILE = '/tmp/ai-conformance-printed';

export interface ProbeContainerSpec {
  name: string;
  /**
   * Whether this container takes the pod's accelerator: the pod's claim when the pod names a
   * claim template, else one of the profile's extended resource.
   */
  withAccelerator: boolean;
}

export interface ProbePodSpec {
  name: string;
  containers: ProbeContainerSpec[];
  /** The ResourceClaimTemplate the pod claims its accelerator from (DRA); absent: extended resource. */
  claimTemplateName?: string;
  /**
   * Keep the device after printing (sleep, Ready once printed), so two pods provably hold
   * their devices at the same time.
   */
  holdDevice?: boolean;
  /** Shell lines run after the device list (e.g. `echo` lines that print more facts); same in every container. */
  extraScript?: string;
  /**
   * The extended resource the accelerator container takes one of, instead of the profile's (a MIG
   * profile, a time-sliced replica, a vGPU type); the pod also tolerates its vendor's GPU taint.
   */
  resource?: string;
  /** Require this node (by name: the labels that chose it describe that node only). */
  node?: string;
  /** The device-list script instead of the profile's (e.g. NVIDIA's, for a resource of another profile). */
  deviceListScript?: string;
}

/** A probe container's own parts; the rest (security, resources, holding) is the same for every probe pod. */
export interface RestrictedContainerSpec {
  name: string;
  image: string;
  /** Run with `sh -c`. */
  script: string;
  /** Keep running after the script (sleep), Ready once it printed: the pod holds what it was given. */
  hold?: boolean;
  /** Limits beside (or instead of) the small cpu/memory default, e.g. one accelerator. */
  limits?: Record<string, string>;
  /** The pod-level claims the container uses (resources.claims). */
  claims?: string[];
  /** A readiness probe of its own (a server the pod runs), instead of a holding pod's. */
  readinessProbe?: V1Probe;
}

/** A restricted container: what every probe container shares, so it runs under any Pod Security level. */
export function restrictedContainer(spec: RestrictedContainerSpec): V1Container {
  return {
    name: spec.name,
    image: spec.image,
    command: ['sh', '-c', spec.hold ? `${spec.script}\ntouch ${READY_FILE}\nexec sleep 3600` : spec.script],
    resources: {
      limits: { cpu: '100m', memory: '64Mi', ...spec.limits },
      requests: { cpu: '10m', memory: '16Mi' },
      ...(spec.claims?.length ? { claims: spec.claims.map((name) => ({ name })) } : {}),
    },
    securityContext: RESTRICTED_CONTAINER,
    ...(spec.hold ? { readinessProbe: { exec: { command: ['test', '-f', READY_FILE] }, periodSeconds: 1 } } : {}),
    ...(spec.readinessProbe ? { readinessProbe: spec.readinessProbe } : {}),
  };
}

/** A probe pod in the probe's namespace: never restarted, quick to delete, no API token, pinned to `node` when given. */
export function restrictedPod(
  ctx: ProbeContext,
  name: string,
  spec: Partial<V1PodSpec> & Pick<V1PodSpec, 'containers'>,
  node?: string,
  labels?: Record<string, string>,
): V1Pod & { spec: V1PodSpec } {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ctx.namespace, ...(labels ? { labels } : {}) },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      ...(node ? { affinity: onNode(node) } : {}),
      ...spec,
    },
  };
}

function containerFor(ctx: ProbeContext, spec: ProbePodSpec, container: ProbeContainerSpec): V1Container {
  const { profile } = ctx;
  const byClaim = spec.claimTemplateName !== undefined;
  const limits: Record<string, string> = {};
  if (container.withAccelerator && !byClaim) {
    const resource = spec.resource ?? profile.resourceName;
    if (!resource) throw new Error(`accelerator profile ${profile.name} names no extended resource`);
    limits[resource] = '1';
  }
  const deviceList = spec.deviceListScript ?? profile.deviceListScript;
  return restrictedContainer({
    name: container.name,
    image: ctx.images.resolve(PROBE_SHELL_IMAGE),
    script: spec.extraScript ? `${deviceList}\n${spec.extraScript}` : deviceList,
    hold: spec.holdDevice,
    limits,
    claims: container.withAccelerator && byClaim ? [ACCELERATOR_REQUEST] : [],
  });
}

/** The taint a vendor's GPU nodes carry (the GPU Operator taints with nvidia.com/gpu whatever the resource). */
function vendorTaintKey(resource: string): string {
  return resource.startsWith('nvidia.com/') ? 'nvidia.com/gpu' : resource;
}

export function probePod(ctx: ProbeContext, spec: ProbePodSpec): V1Pod & { spec: V1PodSpec } {
  const claims = spec.claimTemplateName !== undefined;
  const tolerations = spec.resource
    ? [...ctx.profile.tolerations, { key: vendorTaintKey(spec.resource), operator: 'Exists', effect: 'NoSchedule' }]
    : ctx.profile.tolerations;
  return restrictedPod(
    ctx,
    spec.name,
    {
      tolerations,
      containers: spec.containers.map((container) => containerFor(ctx, spec, container)),
      ...(claims ? { resourceClaims: [{ name: ACCELERATOR_REQUEST, resourceClaimTemplateName: spec.claimTemplateName }] } : {}),
    },
    spec.node,
  );
}

const HOPELESS_WAITING_REASONS = new Set(['ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError']);

function podProblem(pod: V1Pod): PodProblem | undefined {
  const name = pod.metadata?.name ?? '?';
  if (pod.status?.phase === 'Failed') {
    const exits = (pod.status.containerStatuses ?? [])
      .map((status) => {
        const terminated = status.state?.terminated;
        return terminated ? `${status.name} exited ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}` : undefined;
      })
      .filter((part): part is string => part !== undefined);
    const why = `${pod.status.reason ? ` (${pod.status.reason})` : ''}${exits.length ? `: ${exits.join(', ')}` : ''}`;
    return new PodProblem('failed', `pod ${name} failed${why}`);
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && HOPELESS_WAITING_REASONS.has(waiting.reason)) {
      const detail = `${waiting.reason}${waiting.message ? ` ${waiting.message}` : ''}`;
      return new PodProblem('cannot-start', `pod ${name} container ${status.name} cannot start: ${detail}`);
    }
  }
  return undefined;
}

function scheduledCondition(pod: V1Pod | undefined): V1PodCondition | undefined {
  return pod?.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
}

/** A pod that the scheduler reports Unschedulable is the cluster's answer, not a slow cluster. */
export function unschedulableReason(pod: V1Pod | undefined): string | undefined {
  const scheduled = scheduledCondition(pod);
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return scheduled.message ?? 'Unschedulable';
  }
  return undefined;
}

export type PodGoal = 'completed' | 'running' | 'printed';

function reached(pod: V1Pod, goal: PodGoal): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return true;
  if (goal === 'running') return phase === 'Running';
  if (goal === 'printed') {
    return phase === 'Running' && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  }
  return false;
}

/**
 * Waits by watch until the pod completed (or runs, or has printed and holds its device).
 * A pod that failed or cannot start ends the wait at once (PodProblem); one the scheduler
 * reports Unschedulable when the wait runs out is reported as such rather than as a timeout.
 */
export async function waitForPod(ctx: ProbeContext, name: string, goal: PodGoal, timeoutMs: number): Promise<V1Pod> {
  const ref = { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name };
  const description =
    goal === 'completed' ? `pod ${name} Succeeded` : goal === 'running' ? `pod ${name} Running` : `pod ${name} printed its result`;
  try {
    return await ctx.kube.waitFor<V1Pod>(ref, (pod) => reached(pod, goal) || (podProblem(pod) ?? false), { description, timeoutMs });
  } catch (error) {
    if (error instanceof WaitTimeout) {
      const reason = unschedulableReason(await ctx.kube.get<V1Pod>(ref));
      if (reason !== undefined) throw new PodProblem('unschedulable', `pod ${name} stayed unschedulable: ${reason}`);
    }
    throw error;
  }
}

/** The fields of a container's last result line; throws when the line is missing or not a JSON object. */
export function resultLine(log: string, where: string): Record<string, unknown> {
  const line = log
    .split('\n')
    .map((text) => text.trim())
    .filter((text) => text.startsWith(RESULT_PREFIX))
    .pop();
  if (line === undefined) throw new Error(`${where} printed no ${RESULT_PREFIX.trim()} line`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(RESULT_PREFIX.length));
  } catch {
    throw new Error(`${where} printed a result line that is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${where} printed a result line that is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Whether a result-line field is a list of strings. */
export function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The devices listed by the container's result line; throws when the line is missing or malformed. */
export function parseDeviceLine(log: string, where: string): string[] {
  const { devices } = resultLine(log, where);
  if (!isStrings(devices)) throw new Error(`${where} printed a result line without a devices list`);
  return devices;
}

/** The devices one container of a pod saw, read from its log. */
export async function devicesSeen(ctx: ProbeContext, pod: string, container: string): Promise<string[]> {
  const log = await ctx.kube.podLogs(ctx.namespace, pod, container);
  return parseDeviceLine(log, `container ${container} of pod ${pod}`);
}

export function describeDevices(devices: string[]): string {
  return devices.length === 0 ? 'no device' : devices.join(', ');
}
