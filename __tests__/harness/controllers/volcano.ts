// Simulated Volcano scheduler (behaviour `volcano`): pods with schedulerName `volcano` and the
// annotation scheduling.k8s.io/group-name belong to a PodGroup. A PodGroup is bound whole once
// minMember pods exist and its Queue's capability has room for all of them; otherwise none is
// bound (PodGroup phase Pending, Unschedulable condition). Binding sets spec.nodeName on a Ready
// worker node, after which the kubelet behaviour runs the pods.
// Parameters: partialAdmission (default false): a broken gang scheduler that binds as many pods
// as fit instead of none. schedulePeriodMs (default 0): like the real scheduler's sessions
// (--schedule-period, 1 s upstream), binding waits for the next session instead of happening at once.
import type { KObj } from '../types.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import { arr, condition, isTerminal, podRequests, quantity, rec, str } from './workload-model.js';

const GROUP = 'scheduling.volcano.sh';
const POD_GROUPS = `podgroups.${GROUP}`;
const QUEUES = `queues.${GROUP}`;
const GROUP_ANNOTATION = 'scheduling.k8s.io/group-name';

export const volcanoController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const partial = ctx.params.partialAdmission === true;
  const periodMs = typeof ctx.params.schedulePeriodMs === 'number' ? ctx.params.schedulePeriodMs : 0;
  let sessionDue = false;
  const unsubscribe: (() => void)[] = [];
  let nextNode = 0;

  const members = (group: KObj): KObj[] =>
    ctx.store
      .list('pods', { namespace: group.metadata.namespace })
      .filter(
        (pod) => str(rec(pod.spec).schedulerName) === 'volcano' && pod.metadata.annotations?.[GROUP_ANNOTATION] === group.metadata.name,
      );

  const queueUsage = (queue: string): Record<string, number> => {
    const usage: Record<string, number> = {};
    for (const group of ctx.store.list(POD_GROUPS)) {
      if ((str(rec(group.spec).queue) ?? 'default') !== queue) continue;
      for (const pod of members(group)) {
        if (!rec(pod.spec).nodeName || isTerminal(pod)) continue;
        for (const [name, value] of Object.entries(podRequests(pod.spec))) usage[name] = (usage[name] ?? 0) + value;
      }
    }
    return usage;
  };

  const workerNodes = (): string[] =>
    ctx.store
      .list('nodes')
      .filter((node) => !rec(node.spec).unschedulable)
      .filter((node) => !arr(rec(node.spec).taints).some((taint) => taint.effect === 'NoSchedule'))
      .filter((node) => arr(rec(node.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((node) => node.metadata.name ?? '');

  const setPhase = (group: KObj, phase: string, message: string): void => {
    const status = rec(group.status);
    if (status.phase === phase && arr(status.conditions)[0]?.message === message) return;
    const type = phase === 'Running' ? 'Scheduled' : 'Unschedulable';
    ctx.store.mutate(
      POD_GROUPS,
      group.metadata.namespace,
      group.metadata.name ?? '',
      (obj) => ({
        ...obj,
        status: {
          ...rec(obj.status),
          phase,
          conditions: [condition(type, 'True', phase === 'Running' ? 'tasks scheduled' : 'NotEnoughResources', message)],
        },
      }),
      'status',
    );
  };

  const reconcile = (group: KObj): void => {
    if (group.metadata.deletionTimestamp) return;
    const spec = rec(group.spec);
    const minMember = Number(spec.minMember ?? 1);
    const pods = members(group).filter((pod) => !isTerminal(pod));
    const unbound = pods.filter((pod) => !rec(pod.spec).nodeName);
    if (unbound.length === 0) {
      if (pods.length > 0) setPhase(group, 'Running', `${pods.length} tasks running`);
      return;
    }
    const boundAlready = pods.length - unbound.length;
    if (boundAlready === 0 && pods.length < minMember) {
      setPhase(group, 'Pending', `${pods.length}/${minMember} tasks in gang exist`);
      return;
    }
    const queueName = str(spec.queue) ?? 'default';
    const queue = ctx.store.get(QUEUES, undefined, queueName);
    const capability = rec(rec(queue?.spec).capability);
    const usage = queueUsage(queueName);
    let fits = unbound.length;
    for (const [name, value] of Object.entries(podRequests(unbound[0]?.spec))) {
      if (value <= 0 || capability[name] === undefined) continue;
      fits = Math.min(fits, Math.max(0, Math.floor((quantity(capability[name]) - (usage[name] ?? 0) + 1e-9) / value)));
    }
    const nodes = workerNodes();
    const bind = fits >= unbound.length || boundAlready > 0 ? fits : partial ? fits : 0;
    if (!queue || bind === 0 || nodes.length === 0) {
      const why = !queue
        ? `queue ${queueName} does not exist`
        : nodes.length === 0
          ? 'no schedulable node'
          : `queue ${queueName} has room for ${fits} of ${minMember} tasks`;
      setPhase(group, 'Pending', `${minMember}/${pods.length} tasks in gang unschedulable: ${why}`);
      return;
    }
    for (const pod of unbound.slice(0, bind)) {
      const nodeName = nodes[nextNode++ % nodes.length];
      ctx.store.mutate('pods', pod.metadata.namespace, pod.metadata.name ?? '', (obj) => ({
        ...obj,
        spec: { ...rec(obj.spec), nodeName },
        status: {
          ...rec(obj.status),
          conditions: [
            ...arr(rec(obj.status).conditions).filter((c) => c.type !== 'PodScheduled'),
            condition('PodScheduled', 'True', 'Scheduled', `bound by volcano to ${nodeName}`),
          ],
        },
      }));
    }
    setPhase(group, 'Running', `${bind} tasks bound`);
  };

  const reconcileAll = (): void => {
    for (const group of ctx.store.list(POD_GROUPS)) reconcile(group);
  };

  /** One scheduling session: at once, or at the end of the current period. */
  const session = (): void => {
    if (periodMs <= 0) {
      reconcileAll();
      return;
    }
    if (sessionDue) return;
    sessionDue = true;
    ctx.after(periodMs, () => {
      sessionDue = false;
      reconcileAll();
    });
  };

  return {
    start() {
      unsubscribe.push(
        ctx.watch(['pods', POD_GROUPS, QUEUES], (event) => {
          if (!ctx.registry.byKey(POD_GROUPS)) return;
          if (event.resource === 'pods' && !event.object.metadata.annotations?.[GROUP_ANNOTATION]) return;
          session();
        }),
      );
    },
    stop() {
      for (const fn of unsubscribe) fn();
    },
  };
};
