// Simulated Kueue (behaviour `kueue`): Jobs labelled kueue.x-k8s.io/queue-name get a Workload
// (in the version the kueue CRDs serve); a Workload is admitted whole when its ClusterQueue
// (via the LocalQueue) has unused nominal quota for every pod of it, and its Job is then
// unsuspended. Otherwise it waits with QuotaReserved=False and the Job stays suspended.
// Finished Jobs release their quota.
// Parameters: partialAdmission (default false): a broken gang scheduler that admits and starts
// as many pods as fit instead of none.
import type { KObj, StoreEvent } from '../types.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';
import { arr, condition, hasCondition, podRequests, quantity, rec, str } from './workload-model.js';

const GROUP = 'kueue.x-k8s.io';
const WORKLOADS = `workloads.${GROUP}`;
const LOCAL_QUEUES = `localqueues.${GROUP}`;
const CLUSTER_QUEUES = `clusterqueues.${GROUP}`;
const JOBS = 'jobs.batch';
const QUEUE_LABEL = `${GROUP}/queue-name`;

function suffix(uid: string | undefined): string {
  return (uid ?? 'xxxxx').replace(/-/g, '').slice(0, 5);
}

export const kueueController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const partial = ctx.params.partialAdmission === true;
  const unsubscribe: (() => void)[] = [];

  const apiVersion = (): string | undefined => {
    const info = ctx.registry.byKey(WORKLOADS);
    return info ? `${info.group}/${info.version}` : undefined;
  };

  const workloadFor = (job: KObj): KObj | undefined =>
    ctx.store
      .list(WORKLOADS, { namespace: job.metadata.namespace })
      .find((workload) => (workload.metadata.ownerReferences ?? []).some((owner) => owner.uid === job.metadata.uid));

  const quotaOf = (clusterQueue: KObj): { flavor: string; quota: Record<string, number> } => {
    const quota: Record<string, number> = {};
    let flavor = 'default';
    for (const group of arr(rec(clusterQueue.spec).resourceGroups)) {
      for (const entry of arr(group.flavors)) {
        flavor = str(entry.name) ?? flavor;
        for (const resource of arr(entry.resources)) {
          const name = str(resource.name) ?? '';
          quota[name] = (quota[name] ?? 0) + quantity(resource.nominalQuota);
        }
      }
    }
    return { flavor, quota };
  };

  const perPod = (workload: KObj): Record<string, number> => podRequests(rec(arr(rec(workload.spec).podSets)[0]?.template).spec);

  const used = (clusterQueue: string): Record<string, number> => {
    const usage: Record<string, number> = {};
    for (const workload of ctx.store.list(WORKLOADS)) {
      const admission = rec(rec(workload.status).admission);
      if (admission.clusterQueue !== clusterQueue || hasCondition(workload, 'Finished')) continue;
      const count = arr(admission.podSetAssignments).reduce((sum, set) => sum + Number(set.count ?? 0), 0);
      for (const [name, value] of Object.entries(perPod(workload))) usage[name] = (usage[name] ?? 0) + value * count;
    }
    return usage;
  };

  const ensureWorkload = (job: KObj): void => {
    const version = apiVersion();
    const queueName = job.metadata.labels?.[QUEUE_LABEL];
    if (!version || !queueName || job.metadata.deletionTimestamp || workloadFor(job)) return;
    const spec = rec(job.spec);
    const count = Number(spec.parallelism ?? 1);
    ctx.store.create(WORKLOADS, {
      apiVersion: version,
      kind: 'Workload',
      metadata: {
        name: `job-${job.metadata.name ?? ''}-${suffix(job.metadata.uid)}`,
        namespace: job.metadata.namespace,
        labels: { [`${GROUP}/job-uid`]: job.metadata.uid ?? '' },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name ?? '',
            uid: job.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { queueName, podSets: [{ name: 'main', count, template: spec.template ?? {} }] },
    });
  };

  const admit = (workload: KObj): void => {
    if (rec(workload.status).admission || hasCondition(workload, 'Finished') || workload.metadata.deletionTimestamp) return;
    const namespace = workload.metadata.namespace;
    const spec = rec(workload.spec);
    const localQueue = ctx.store.get(LOCAL_QUEUES, namespace, str(spec.queueName) ?? '');
    const clusterQueueName = str(rec(localQueue?.spec).clusterQueue);
    const clusterQueue = clusterQueueName ? ctx.store.get(CLUSTER_QUEUES, undefined, clusterQueueName) : undefined;
    const writeStatus = (status: Record<string, unknown>) =>
      ctx.store.mutate(WORKLOADS, namespace, workload.metadata.name ?? '', (obj) => ({ ...obj, status }), 'status');
    const waiting = (reason: string, message: string) => {
      const current = arr(rec(workload.status).conditions).find((c) => c.type === 'QuotaReserved');
      if (current?.message !== message) writeStatus({ conditions: [condition('QuotaReserved', 'False', reason, message)] });
    };
    if (!clusterQueue || !clusterQueueName) {
      waiting('Inadmissible', `LocalQueue ${str(spec.queueName) ?? ''} or its ClusterQueue doesn't exist`);
      return;
    }
    const count = Number(arr(spec.podSets)[0]?.count ?? 1);
    const request = perPod(workload);
    const { flavor, quota } = quotaOf(clusterQueue);
    const usage = used(clusterQueueName);
    let fits = count;
    let short = '';
    for (const [name, value] of Object.entries(request)) {
      if (value <= 0) continue;
      if (!(name in quota)) {
        fits = 0;
        short = `resource ${name} unavailable in ClusterQueue`;
        break;
      }
      const room = Math.floor((quota[name] - (usage[name] ?? 0) + 1e-9) / value);
      if (room < fits) {
        fits = Math.max(0, room);
        short = `insufficient unused quota for ${name} in flavor ${flavor}`;
      }
    }
    const admitted = fits >= count ? count : partial && fits > 0 ? fits : 0;
    if (admitted === 0) {
      waiting('Pending', `couldn't assign flavors to pod set main: ${short}`);
      return;
    }
    writeStatus({
      admission: {
        clusterQueue: clusterQueueName,
        podSetAssignments: [{ name: 'main', count: admitted, flavors: Object.fromEntries(Object.keys(request).map((r) => [r, flavor])) }],
      },
      conditions: [
        condition('QuotaReserved', 'True', 'QuotaReserved', `Quota reserved in ClusterQueue ${clusterQueueName}`),
        condition('Admitted', 'True', 'Admitted', 'The workload is admitted'),
      ],
    });
    const owner = (workload.metadata.ownerReferences ?? []).find((ref) => ref.kind === 'Job');
    if (owner) {
      ctx.store.mutate(JOBS, namespace, owner.name, (job) => ({
        ...job,
        spec: { ...rec(job.spec), suspend: false, ...(admitted < count ? { parallelism: admitted } : {}) },
      }));
    }
  };

  const finishIfDone = (job: KObj): void => {
    const done = arr(rec(job.status).conditions).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const workload = workloadFor(job);
    if (!done || !workload || hasCondition(workload, 'Finished')) return;
    ctx.store.mutate(
      WORKLOADS,
      workload.metadata.namespace,
      workload.metadata.name ?? '',
      (obj) => ({
        ...obj,
        status: {
          ...rec(obj.status),
          conditions: [...arr(rec(obj.status).conditions), condition('Finished', 'True', 'JobFinished', 'Job finished')],
        },
      }),
      'status',
    );
  };

  const admitPending = (): void => {
    for (const workload of ctx.store.list(WORKLOADS)) admit(workload);
  };

  const onEvent = (event: StoreEvent): void => {
    if (!apiVersion()) return;
    if (event.resource === JOBS && event.type !== 'DELETED') {
      ensureWorkload(event.object);
      finishIfDone(event.object);
    }
    admitPending();
  };

  return {
    start() {
      unsubscribe.push(ctx.watch([JOBS, WORKLOADS, LOCAL_QUEUES, CLUSTER_QUEUES], onEvent));
    },
    stop() {
      for (const fn of unsubscribe) fn();
    },
  };
};
