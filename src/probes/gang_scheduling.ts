// gang_scheduling (MUST): a gang-scheduling solution is installed and works: the pods of a
// distributed job start all together or not at all.
//
// Test plan:
//  1. Detect the solution: Kueue (in whichever kueue.x-k8s.io version serves Workloads: v1beta2
//     from 0.16, v1beta1 before) or Volcano (scheduling.volcano.sh PodGroups). Neither is a failure.
//  2. Give the probe its own capacity: Kueue — a ResourceFlavor, two ClusterQueues and their
//     LocalQueues (one with room for N pods, one for N-1); Volcano — two Queues the same way.
//     "Room for fewer" is then the probe's own quota, never derived by listing the cluster.
//  3. Positive: a job of N pods on the roomy queue is admitted whole and completes.
//  4. Negative: a job of N pods on the short queue starts no pod at all within the window
//     (a watch for a Running pod that must reach its deadline).

import type { KubernetesObject, V1Container, V1Job, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { count, duration } from './options.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, RESTRICTED_CONTAINER } from './lib/probe-pod.js';
import { seconds } from './lib/probe-timing.js';
import { conditionsOf, describeCondition, isTrue } from './lib/conditions.js';
import { unlessTimedOut } from './lib/verdicts.js';

const POD_CPU_MILLIS = 100;
const POD_MEMORY_MI = 32;

type Solution = { name: 'Kueue'; apiVersion: string } | { name: 'Volcano'; apiVersion: string };

export const gangSchedulingProbe = defineProbe({
  id: 'gang_scheduling',
  timeoutMs: 600_000,
  options: {
    'gang-scheduling.pods': count(3, 'pods in each gang', 2),
    'gang-scheduling.complete-ms': duration(300_000, 'how long the gang that fits may take to complete'),
    'gang-scheduling.window-ms': duration(30_000, 'how long the gang that does not fit is watched for a started pod'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const budget: GangBudget = {
      pods: ctx.option('gang-scheduling.pods'),
      timeoutMs: ctx.option('gang-scheduling.complete-ms'),
      windowMs: ctx.option('gang-scheduling.window-ms'),
    };
    const solution = await ctx.step('a gang-scheduling solution is installed', async () => {
      const found = await detect(ctx);
      if (!found) {
        throw new CheckFailure(
          'no gang-scheduling solution found: neither Kueue (kueue.x-k8s.io Workloads) nor Volcano (scheduling.volcano.sh PodGroups) is served',
        );
      }
      return { seen: `${found.name} (${found.apiVersion})`, value: found };
    });
    ctx.observe(`gang scheduling by ${solution.name} ${solution.apiVersion}`);
    if (solution.name === 'Kueue') await kueue(ctx, solution.apiVersion, budget);
    else await volcano(ctx, solution.apiVersion, budget);
  },
});

interface GangBudget {
  pods: number;
  timeoutMs: number;
  windowMs: number;
}

async function detect(ctx: ProbeContext): Promise<Solution | undefined> {
  for (const groupVersion of await ctx.kube.groupVersions('kueue.x-k8s.io')) {
    const resources = await ctx.kube.resources(groupVersion);
    if (resources?.some((resource) => resource.name === 'workloads')) return { name: 'Kueue', apiVersion: groupVersion };
  }
  for (const groupVersion of await ctx.kube.groupVersions('scheduling.volcano.sh')) {
    const resources = await ctx.kube.resources(groupVersion);
    if (resources?.some((resource) => resource.name === 'podgroups')) return { name: 'Volcano', apiVersion: groupVersion };
  }
  return undefined;
}

function quota(pods: number): { cpu: string; memory: string } {
  return { cpu: `${pods * POD_CPU_MILLIS}m`, memory: `${pods * POD_MEMORY_MI}Mi` };
}

function worker(ctx: ProbeContext): V1Container {
  return {
    name: 'worker',
    image: ctx.images.resolve(PROBE_SHELL_IMAGE),
    command: ['sh', '-c', 'echo gang member started'],
    resources: {
      requests: { cpu: `${POD_CPU_MILLIS}m`, memory: `${POD_MEMORY_MI}Mi` },
      limits: { cpu: `${POD_CPU_MILLIS}m`, memory: `${POD_MEMORY_MI}Mi` },
    },
    securityContext: RESTRICTED_CONTAINER,
  };
}

function podSpec(ctx: ProbeContext, extra: Partial<V1PodSpec> = {}): V1PodSpec {
  return {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    containers: [worker(ctx)],
    ...extra,
  };
}

/** Watches the gang's pods for one reaching Running; the gang holds if none does by the deadline. */
async function noPodRuns(
  ctx: ProbeContext,
  labelSelector: string,
  pods: number,
  room: number,
  windowMs: number,
  why: () => Promise<string>,
): Promise<string> {
  const running = await unlessTimedOut(
    ctx.kube.waitFor<V1Pod>(
      { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace },
      (pod) => pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded',
      { description: `a pod of ${labelSelector} Running`, timeoutMs: windowMs, labelSelector },
    ),
  );
  if (running) {
    throw new CheckFailure(
      `pod ${running.metadata?.name ?? '?'} reached ${running.status?.phase ?? '?'} although the quota has room for ${room} of ${pods} pods: the gang was started partially`,
    );
  }
  return `no pod of the ${pods}-pod gang started within ${seconds(windowMs)} with room for ${room}; ${await why()}`;
}

// ---- Kueue ----

interface Workload extends KubernetesObject {
  spec?: { podSets?: { name?: string; count?: number }[]; queueName?: string };
  status?: { admission?: { clusterQueue?: string; podSetAssignments?: { name?: string; count?: number }[] }; conditions?: unknown[] };
}

function kueueJob(ctx: ProbeContext, name: string, queue: string, pods: number): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ctx.namespace, labels: { 'kueue.x-k8s.io/queue-name': queue } },
    spec: {
      suspend: true,
      parallelism: pods,
      completions: pods,
      completionMode: 'Indexed',
      backoffLimit: 0,
      template: { metadata: { labels: { 'ai-conformance.cncf.io/gang': name } }, spec: podSpec(ctx) },
    },
  };
}

async function workloadOf(ctx: ProbeContext, apiVersion: string, job: V1Job): Promise<Workload | undefined> {
  const workloads = await ctx.kube.list<Workload>({ apiVersion, kind: 'Workload', namespace: ctx.namespace });
  return workloads.find((workload) => workload.metadata?.ownerReferences?.some((owner) => owner.uid === job.metadata?.uid));
}

async function kueue(ctx: ProbeContext, apiVersion: string, { pods, timeoutMs, windowMs }: GangBudget): Promise<void> {
  const prefix = `aic-gang-${ctx.kube.runId}`.toLowerCase().slice(0, 50);
  const queues = [
    { cluster: `${prefix}-fits`, local: 'gang-fits', room: pods },
    { cluster: `${prefix}-short`, local: 'gang-short', room: pods - 1 },
  ];

  await ctx.step(`the probe's Kueue queues are created (${apiVersion})`, async () => {
    await ctx.kube.create({ apiVersion, kind: 'ResourceFlavor', metadata: { name: `${prefix}-flavor` } });
    for (const queue of queues) {
      await ctx.kube.create({
        apiVersion,
        kind: 'ClusterQueue',
        metadata: { name: queue.cluster },
        spec: {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ctx.namespace } },
          resourceGroups: [
            {
              coveredResources: ['cpu', 'memory'],
              flavors: [
                {
                  name: `${prefix}-flavor`,
                  resources: [
                    { name: 'cpu', nominalQuota: quota(queue.room).cpu },
                    { name: 'memory', nominalQuota: quota(queue.room).memory },
                  ],
                },
              ],
            },
          ],
        },
      });
      await ctx.kube.create({ apiVersion, kind: 'LocalQueue', metadata: { name: queue.local }, spec: { clusterQueue: queue.cluster } });
    }
    return `ResourceFlavor ${prefix}-flavor; ClusterQueues with room for ${pods} and ${pods - 1} pods of ${POD_CPU_MILLIS}m CPU each`;
  });

  await ctx.check(`a ${pods}-pod job that fits is admitted whole and completes`, async () => {
    const job = await ctx.kube.create(kueueJob(ctx, 'gang-fits', queues[0].local, pods));
    const done = await ctx.kube.waitFor<V1Job>(
      { apiVersion: 'batch/v1', kind: 'Job', namespace: ctx.namespace, name: 'gang-fits' },
      (current) => {
        const conditions = conditionsOf(current);
        if (isTrue(conditions, 'Failed')) return `job gang-fits failed: ${describeCondition(conditions, 'Failed')}`;
        return isTrue(conditions, 'Complete');
      },
      { description: 'job gang-fits Complete', timeoutMs },
    );
    const succeeded = done.status?.succeeded ?? 0;
    if (succeeded < pods) throw new CheckFailure(`job gang-fits completed with ${succeeded} of ${pods} pods succeeded`);
    const workload = await workloadOf(ctx, apiVersion, job);
    if (!workload) throw new Error('Kueue created no Workload for job gang-fits (is the Kueue controller running?)');
    const admitted = (workload.status?.admission?.podSetAssignments ?? []).reduce((sum, set) => sum + (set.count ?? 0), 0);
    if (admitted !== 0 && admitted < pods)
      throw new CheckFailure(`Workload ${workload.metadata?.name ?? '?'} was admitted for ${admitted} of ${pods} pods`);
    return `Workload ${workload.metadata?.name ?? '?'} admitted to ${workload.status?.admission?.clusterQueue ?? queues[0].cluster}; all ${succeeded} pods succeeded`;
  });

  await ctx.check(`a ${pods}-pod job with room for ${pods - 1} starts no pod`, async () => {
    const job = await ctx.kube.create(kueueJob(ctx, 'gang-short', queues[1].local, pods));
    return noPodRuns(ctx, 'ai-conformance.cncf.io/gang=gang-short', pods, pods - 1, windowMs, async () => {
      const workload = await workloadOf(ctx, apiVersion, job);
      // No Workload: Kueue never took the job, so nothing was admitted or held back by it.
      if (!workload)
        throw new Error(
          'Kueue created no Workload for job gang-short (is the Kueue controller running?): gang admission was not exercised',
        );
      const conditions = conditionsOf(workload);
      if (isTrue(conditions, 'Admitted'))
        throw new CheckFailure(`Workload ${workload.metadata?.name ?? '?'} was admitted although it does not fit`);
      return `Workload ${workload.metadata?.name ?? '?'} waits: ${describeCondition(conditions, 'QuotaReserved')}`;
    });
  });
}

// ---- Volcano ----

interface PodGroup extends KubernetesObject {
  status?: { phase?: string; running?: number; succeeded?: number };
}

async function volcano(ctx: ProbeContext, apiVersion: string, { pods, timeoutMs, windowMs }: GangBudget): Promise<void> {
  const prefix = `aic-gang-${ctx.kube.runId}`.toLowerCase().slice(0, 50);
  const groups = [
    { queue: `${prefix}-fits`, group: 'gang-fits', room: pods },
    { queue: `${prefix}-short`, group: 'gang-short', room: pods - 1 },
  ];

  await ctx.step(`the probe's Volcano queues are created (${apiVersion})`, async () => {
    for (const entry of groups) {
      await ctx.kube.create({
        apiVersion,
        kind: 'Queue',
        metadata: { name: entry.queue },
        spec: { weight: 1, reclaimable: false, capability: quota(entry.room) },
      });
    }
    return `Queues with capability for ${pods} and ${pods - 1} pods of ${POD_CPU_MILLIS}m CPU each`;
  });

  const createGang = async (entry: (typeof groups)[number]) => {
    await ctx.kube.create({
      apiVersion,
      kind: 'PodGroup',
      metadata: { name: entry.group },
      spec: { minMember: pods, queue: entry.queue, minResources: quota(pods) },
    });
    for (let index = 0; index < pods; index++) {
      await ctx.kube.create<V1Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${entry.group}-${index}`,
          labels: { 'ai-conformance.cncf.io/gang': entry.group },
          annotations: { 'scheduling.k8s.io/group-name': entry.group },
        },
        spec: podSpec(ctx, { schedulerName: 'volcano' }),
      });
    }
  };

  await ctx.check(`a ${pods}-pod gang that fits is scheduled whole and completes`, async () => {
    await createGang(groups[0]);
    for (let index = 0; index < pods; index++) {
      await ctx.kube.waitFor<V1Pod>(
        { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: `gang-fits-${index}` },
        (pod) => (pod.status?.phase === 'Failed' ? `pod gang-fits-${index} failed` : pod.status?.phase === 'Succeeded'),
        { description: `pod gang-fits-${index} Succeeded`, timeoutMs },
      );
    }
    const group = await ctx.kube.get<PodGroup>({ apiVersion, kind: 'PodGroup', namespace: ctx.namespace, name: 'gang-fits' });
    return `PodGroup gang-fits (minMember ${pods}) ${group?.status?.phase ?? 'phase not reported'}; all ${pods} pods succeeded`;
  });

  await ctx.check(`a ${pods}-pod gang with room for ${pods - 1} starts no pod`, async () => {
    await createGang(groups[1]);
    return noPodRuns(ctx, 'ai-conformance.cncf.io/gang=gang-short', pods, pods - 1, windowMs, async () => {
      const group = await ctx.kube.get<PodGroup>({ apiVersion, kind: 'PodGroup', namespace: ctx.namespace, name: 'gang-short' });
      return `PodGroup gang-short is ${group?.status?.phase ?? 'without a phase'}`;
    });
  });
}
