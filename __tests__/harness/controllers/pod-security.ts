// Pod Security admission (behaviour `pod-security`), as the API server's built-in PodSecurity
// plugin enforces the Pod Security Standards (kubernetes.io/docs/concepts/security/
// pod-security-standards, k8s.io/pod-security-admission policy checks): a pod is rejected when
// it violates the level its namespace's `pod-security.kubernetes.io/enforce` label names, else the
// cluster's default level (the AdmissionConfiguration `defaults.enforce`, parameter
// `defaultEnforce`, default privileged as in an unconfigured cluster). Modelled checks, the ones
// probe pods touch: baseline forbids privileged containers, host namespaces and capabilities
// beyond the baseline set; restricted also requires runAsNonRoot, no runAsUser 0,
// allowPrivilegeEscalation false, capabilities dropping ALL (adding at most NET_BIND_SERVICE) and
// a RuntimeDefault or Localhost seccomp profile. The message is the plugin's: `pods "NAME" is
// forbidden: violates PodSecurity "LEVEL:latest": CHECK (DETAIL), ...`.
import { ApiError } from '../errors.js';
import type { KObj } from '../types.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import { arr, rec } from './util.js';

const LEVELS = ['privileged', 'baseline', 'restricted'] as const;
type Level = (typeof LEVELS)[number];
const ENFORCE = 'pod-security.kubernetes.io/enforce';
/** The capabilities the baseline level allows a container to add (pod-security-standards, "Capabilities"). */
const BASELINE_CAPS = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const asLevel = (value: unknown): Level | undefined => LEVELS.find((level) => level === value);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const capName = (cap: unknown): string => String(cap).replace(/^CAP_/, '');

/** The checks a pod fails at `level`, worded as the plugin words them. */
export function podSecurityViolations(pod: KObj, level: Level): string[] {
  if (level === 'privileged') return [];
  const spec = rec(pod.spec);
  const podContext = rec(spec.securityContext);
  const containers = [...arr(spec.initContainers), ...arr(spec.containers)];
  const out: string[] = [];
  const each = (what: string, bad: Record<string, unknown>[], detail: (names: string) => string): void => {
    if (bad.length === 0) return;
    const names = bad.map((c) => `"${String(c.name)}"`).join(', ');
    out.push(`${what} (${bad.length === 1 ? 'container' : 'containers'} ${names} ${detail(names)})`);
  };
  if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true)
    out.push('host namespaces (hostNetwork=true, hostPID=true or hostIPC=true)');
  each(
    'privileged',
    containers.filter((c) => rec(c.securityContext).privileged === true),
    () => 'must not set securityContext.privileged=true',
  );
  const added = (c: Record<string, unknown>): string[] => strings(rec(rec(c.securityContext).capabilities).add).map(capName);
  const beyondBaseline = containers.filter((c) => added(c).some((cap) => !BASELINE_CAPS.has(cap)));
  if (beyondBaseline.length > 0) {
    const caps = [...new Set(beyondBaseline.flatMap(added).filter((cap) => !BASELINE_CAPS.has(cap)))];
    each(
      'non-default capabilities',
      beyondBaseline,
      () => `must not include ${caps.map((c) => `"${c}"`).join(', ')} in securityContext.capabilities.add`,
    );
  }
  if (level !== 'restricted') return out;
  const sc = (c: Record<string, unknown>): Record<string, unknown> => rec(c.securityContext);
  each(
    'allowPrivilegeEscalation != false',
    containers.filter((c) => sc(c).allowPrivilegeEscalation !== false),
    () => 'must set securityContext.allowPrivilegeEscalation=false',
  );
  each(
    'unrestricted capabilities',
    containers.filter(
      (c) =>
        !strings(rec(sc(c).capabilities).drop).some((cap) => capName(cap) === 'ALL') || added(c).some((cap) => cap !== 'NET_BIND_SERVICE'),
    ),
    () => 'must set securityContext.capabilities.drop=["ALL"] and add at most "NET_BIND_SERVICE"',
  );
  each(
    'runAsNonRoot != true',
    containers.filter((c) => (sc(c).runAsNonRoot ?? podContext.runAsNonRoot) !== true),
    () => 'must not set securityContext.runAsNonRoot=false',
  );
  each(
    'runAsUser=0',
    containers.filter((c) => (sc(c).runAsUser ?? podContext.runAsUser) === 0),
    () => 'must not set runAsUser=0',
  );
  const seccomp = (c: Record<string, unknown>): unknown => rec(sc(c).seccompProfile).type ?? rec(podContext.seccompProfile).type;
  each(
    'seccompProfile',
    containers.filter((c) => seccomp(c) !== 'RuntimeDefault' && seccomp(c) !== 'Localhost'),
    () => 'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
  );
  return out;
}

export const podSecurityController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const fallback = asLevel(ctx.params.defaultEnforce) ?? 'privileged';
  return {
    start(): void {
      ctx.registerAdmission((req) => {
        if (req.resource !== 'pods' || req.subresource || req.operation !== 'CREATE' || !req.object) return;
        const namespace = ctx.store.peekOne('namespaces', undefined, req.namespace ?? '');
        const level = asLevel(namespace?.metadata.labels?.[ENFORCE]) ?? fallback;
        const violations = podSecurityViolations(req.object, level);
        if (violations.length === 0) return;
        throw new ApiError(
          403,
          'Forbidden',
          `pods "${req.name ?? ''}" is forbidden: violates PodSecurity "${level}:latest": ${violations.join(', ')}`,
        );
      });
    },
  };
};
