// kube-scheduler, simplified: filters nodes by readiness, unschedulable, nodeSelector, required
// node affinity, taints/tolerations, cpu/memory/pods/extended resources against allocatable, and
// DRA claims (allocated from ResourceSlices through their DeviceClass); binds to the feasible
// node with the fewest pods. Unschedulable pods get PodScheduled=False with the usual message.
import type { KObj } from '../types.js';
import { textOf } from '../types.js';
import { CLAIMS, SLICES, allocateClaim, allocatedNode, devicesOf, heldDevices, podClaimNames } from '../dra.js';
import { nowTimestamp } from '../store.js';
import type { ControllerFactory } from './types.js';
import { arr, podTerminal, quantity, rec, recordEvent, setCondition } from './util.js';

export type Taint = { key: string; value?: string; effect: string };

export function tolerates(pod: KObj, taint: Taint): boolean {
  return arr(rec(pod.spec).tolerations).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function matchExpression(expr: Record<string, unknown>, value: string | undefined): boolean {
  const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
  switch (expr.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

export function affinityMatches(pod: KObj, node: KObj): boolean {
  const required = rec(rec(rec(rec(pod.spec).affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution);
  const terms = arr(required.nodeSelectorTerms);
  if (terms.length === 0) return true;
  const labels = node.metadata.labels ?? {};
  return terms.some(
    (t) =>
      arr(t.matchExpressions).every((e) => matchExpression(e, labels[String(e.key)])) &&
      arr(t.matchFields).every((e) => matchExpression(e, e.key === 'metadata.name' ? node.metadata.name : undefined)),
  );
}

/** Requests of a pod: the sum over containers, at least the largest init container. */
export function podRequests(pod: KObj): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of arr(rec(pod.spec).containers)) {
    for (const [k, v] of Object.entries(rec(rec(c.resources).requests))) out.set(k, (out.get(k) ?? 0) + quantity(v));
  }
  for (const c of arr(rec(pod.spec).initContainers)) {
    for (const [k, v] of Object.entries(rec(rec(c.resources).requests))) out.set(k, Math.max(out.get(k) ?? 0, quantity(v)));
  }
  out.set('pods', 1);
  return out;
}

function nodeReady(node: KObj): boolean {
  return arr(rec(node.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

export const scheduler: ControllerFactory = (ctx) => {
  const { store } = ctx;
  const schedulerNames = Array.isArray(ctx.params.schedulerNames) ? ctx.params.schedulerNames.map(String) : ['default-scheduler'];
  const delayMs = typeof ctx.params.delayMs === 'number' ? ctx.params.delayMs : 0;
  let scheduled = false;
  const inFlight = new Set<string>();

  const kick = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      scheduleAll();
    });
  };

  const markUnschedulable = (pod: KObj, message: string): void => {
    const current = arr(rec(pod.status).conditions).find((c) => c.type === 'PodScheduled');
    if (current && current.status === 'False' && current.message === message) return;
    store.mutate(
      'pods',
      pod.metadata.namespace,
      pod.metadata.name ?? '',
      (p) => {
        const status = rec(p.status);
        setCondition(status, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null });
        p.status = status;
        return p;
      },
      'status',
    );
    recordEvent(store, pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
  };

  const scheduleAll = (): void => {
    const nodes = [...store.peek('nodes')];
    const usage = new Map<string, Map<string, number>>();
    const pending: KObj[] = [];
    for (const pod of store.peek('pods')) {
      const spec = rec(pod.spec);
      if (typeof spec.nodeName === 'string' && spec.nodeName) {
        if (podTerminal(pod)) continue;
        const u = usage.get(spec.nodeName) ?? new Map<string, number>();
        for (const [k, v] of podRequests(pod)) u.set(k, (u.get(k) ?? 0) + v);
        usage.set(spec.nodeName, u);
      } else if (
        !pod.metadata.deletionTimestamp &&
        schedulerNames.includes(textOf(spec.schedulerName, 'default-scheduler')) &&
        arr(spec.schedulingGates).length === 0
      ) {
        pending.push(pod);
      }
    }
    if (pending.length === 0) return;
    const devices = devicesOf(store);
    const taken = heldDevices(store);
    pending.sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    for (const pod of pending) {
      const id = pod.metadata.uid ?? '';
      if (inFlight.has(id)) continue;
      const claimNames = podClaimNames(pod);
      if ([...claimNames.values()].some((n) => n === undefined)) continue; // the claim controller has not created them yet
      const claims: KObj[] = [];
      let missing: string | undefined;
      for (const name of claimNames.values()) {
        const claim = name ? store.get(CLAIMS, pod.metadata.namespace, name) : undefined;
        if (!claim) missing = name;
        else claims.push(claim);
      }
      if (missing !== undefined) {
        markUnschedulable(pod, `0/${nodes.length} nodes are available: waiting for resource claim "${missing}" to be created.`);
        continue;
      }
      const requests = podRequests(pod);
      const reasons = new Map<string, number>();
      const fail = (r: string): void => void reasons.set(r, (reasons.get(r) ?? 0) + 1);
      let best: { node: KObj; pods: number; allocations: Map<string, ReturnType<typeof allocateClaim>> } | undefined;
      for (const node of nodes) {
        const name = node.metadata.name ?? '';
        const nspec = rec(node.spec);
        const taints = arr(nspec.taints) as unknown as Taint[];
        if (!nodeReady(node) && !tolerates(pod, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' })) {
          fail('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
          continue;
        }
        if (nspec.unschedulable === true) {
          fail('node(s) were unschedulable');
          continue;
        }
        const selector = rec(rec(pod.spec).nodeSelector);
        const labels = node.metadata.labels ?? {};
        if (!Object.entries(selector).every(([k, v]) => labels[k] === v) || !affinityMatches(pod, node)) {
          fail("node(s) didn't match Pod's node affinity/selector");
          continue;
        }
        const untolerated = taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod, t));
        if (untolerated) {
          fail(`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`);
          continue;
        }
        const allocatable = rec(rec(node.status).allocatable);
        const used = usage.get(name) ?? new Map<string, number>();
        const short = [...requests].find(([k, v]) => v > 0 && quantity(allocatable[k]) - (used.get(k) ?? 0) < v);
        if (short) {
          fail(short[0] === 'pods' ? 'Too many pods' : `Insufficient ${short[0]}`);
          continue;
        }
        const allocations = new Map<string, ReturnType<typeof allocateClaim>>();
        const localTaken = new Set(taken);
        let draFailure: string | undefined;
        for (const claim of claims) {
          const already = allocatedNode(claim);
          if (rec(claim.status).allocation !== undefined) {
            if (already !== undefined && already !== name) {
              draFailure = 'node(s) had resource claims allocated on other nodes';
              break;
            }
            continue;
          }
          const outcome = allocateClaim(store, claim, name, localTaken, devices);
          if (!outcome.ok) {
            draFailure =
              outcome.reason.startsWith('CEL') || outcome.reason.includes('does not exist') ? outcome.reason : 'cannot allocate all claims';
            break;
          }
          allocations.set(claim.metadata.name ?? '', outcome);
        }
        if (draFailure) {
          fail(draFailure);
          continue;
        }
        const podsOnNode = used.get('pods') ?? 0;
        if (!best || podsOnNode < best.pods) best = { node, pods: podsOnNode, allocations };
      }
      if (!best) {
        const detail = [...reasons]
          .map(([r, n]) => `${n} ${r}`)
          .sort()
          .join(', ');
        markUnschedulable(
          pod,
          `0/${nodes.length} nodes are available: ${detail}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`,
        );
        continue;
      }
      const chosen = best;
      const nodeName = chosen.node.metadata.name ?? '';
      // Account for this pod before looking at the next one.
      const u = usage.get(nodeName) ?? new Map<string, number>();
      for (const [k, v] of requests) u.set(k, (u.get(k) ?? 0) + v);
      usage.set(nodeName, u);
      for (const outcome of chosen.allocations.values())
        if (outcome.ok) for (const r of outcome.results) taken.add(`${r.driver}/${r.pool}/${r.device}`);
      inFlight.add(id);
      const bind = (): void => {
        inFlight.delete(id);
        const live = store.get('pods', pod.metadata.namespace, pod.metadata.name ?? '');
        if (!live || live.metadata.uid !== id || rec(live.spec).nodeName) return;
        for (const claim of claims) {
          const outcome = chosen.allocations.get(claim.metadata.name ?? '');
          store.mutate(
            CLAIMS,
            claim.metadata.namespace,
            claim.metadata.name ?? '',
            (c) => {
              const status = rec(c.status);
              if (outcome?.ok) {
                status.allocation = {
                  devices: { results: outcome.results, ...(outcome.config.length ? { config: outcome.config } : {}) },
                  nodeSelector: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] },
                };
              }
              const reserved = arr(status.reservedFor);
              if (!reserved.some((r) => r.uid === id)) reserved.push({ resource: 'pods', name: pod.metadata.name, uid: id });
              status.reservedFor = reserved;
              c.status = status;
              return c;
            },
            'status',
          );
        }
        store.mutate(
          'pods',
          pod.metadata.namespace,
          pod.metadata.name ?? '',
          (p) => {
            p.spec = { ...rec(p.spec), nodeName };
            const status = rec(p.status);
            setCondition(status, { type: 'PodScheduled', status: 'True', lastProbeTime: null });
            p.status = status;
            return p;
          },
          'any',
        );
        recordEvent(
          store,
          pod,
          'Normal',
          'Scheduled',
          `Successfully assigned ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} to ${nodeName}`,
          'default-scheduler',
        );
        kick();
      };
      if (delayMs > 0) ctx.after(delayMs, bind);
      else bind();
    }
  };

  return {
    start() {
      ctx.watch(['pods', 'nodes'], kick);
      if (store.registry.byKey(CLAIMS)) ctx.watch([CLAIMS, SLICES], kick, { replay: false });
      kick();
    },
  };
};

export { nowTimestamp };
