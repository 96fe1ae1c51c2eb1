// gang_scheduling (MUST): a gang-scheduling solution is installed and works: the pods of a
// distributed job start all together or not at all.
//
// Test plan:
//  1. Find the solutions that are installed and running: Kueue (kueue.x-k8s.io Workloads, in
//     whichever version serves them: v1beta2 from 0.16, v1beta1 before) whose controller-manager
//     runs (the pods behind the Service of Kueue's Workload webhook, wherever it was installed;
//     without that webhook, pods with Kueue's upstream labels), and Volcano (scheduling.volcano.sh
//     PodGroups) whose volcano-scheduler runs. APIs served with no controller running are CRDs
//     left by an uninstall: reported, not used. No solution running is a failure.
//  2. A gang that fits, on each running solution in turn until one works: give the probe its own
//     capacity (Kueue: a ResourceFlavor, two ClusterQueues and their LocalQueues, one with room for
//     N pods and one for N-1; Volcano: two Queues the same way; "room for fewer" is then the
//     probe's own quota, never derived by listing the cluster) and run a job of N pods on the
//     roomy queue: it is admitted whole and completes. A solution whose gang does not complete is
//     not working and the next one is tried; every attempt is reported. None working fails.
//  3. A gang that does not fit, on the solution that worked: a job of N pods on the short queue has
//     no pod bound to a node (spec.nodeName set or PodScheduled=True) within the window: a watch
//     for a bound pod that must reach its deadline, then one more list of the gang's pods, since a
//     pod bound near the deadline counts as much as one bound at once.

import type { KubernetesObject, V1Container, V1Job, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { count, duration } from './options.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, RESTRICTED_CONTAINER } from './lib/probe-pod.js';
import { seconds } from './lib/probe-timing.js';
import { conditionsOf, describeCondition, isTrue } from './lib/conditions.js';
import { timeoutFails, unlessTimedOut } from './lib/verdicts.js';
import { describePods, podsBehindWebhook, podsLabelled, type ControllerPods } from './lib/controller-pods.js';
import { reportPods } from './lib/platform-facts.js';

const POD_CPU_MILLIS = 100;
const POD_MEMORY_MI = 32;
const GANG_LABEL = 'ai-conformance.cncf.io/gang';

export const gangSchedulingProbe = defineProbe({
  id: 'gang_scheduling',
  timeoutMs: 600_000,
  options: {
    'gang-scheduling.pods': count(3, 'pods in each gang', 2),
    'gang-scheduling.complete-ms': duration(300_000, 'how long the gang that fits may take to complete'),
    'gang-scheduling.window-ms': duration(30_000, 'how long the gang that does not fit is watched for a pod bound to a node'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const budget: GangBudget = {
      pods: ctx.option('gang-scheduling.pods'),
      timeoutMs: ctx.option('gang-scheduling.complete-ms'),
      windowMs: ctx.option('gang-scheduling.window-ms'),
    };

    const running = await ctx.step('a gang-scheduling solution is installed and running', async () => {
      const found = await Promise.all([findKueue(ctx), findVolcano(ctx)]);
      if (found.every((solution) => solution.apiVersion === undefined)) {
        throw new CheckFailure(
          'no gang-scheduling solution found: neither Kueue (kueue.x-k8s.io Workloads) nor Volcano (scheduling.volcano.sh PodGroups) is served',
        );
      }
      const summary = found.map(describeFound).join('; ');
      const usable = found.filter(
        (solution): solution is Solution => solution.apiVersion !== undefined && solution.controller.running.length > 0,
      );
      if (usable.length === 0) throw new CheckFailure(`no gang-scheduling solution is running: ${summary}`);
      return { seen: summary, value: usable };
    });
    // Which Kueue/Volcano runs, at which version: from the controller pods just found (no more requests).
    for (const solution of running) reportPods(ctx, solution.name, solution.controller.running, `${solution.apiVersion} served`, 'manager');

    const working = await ctx.step(`a ${budget.pods}-pod gang that fits is admitted whole and completes`, async () => {
      const attempts: { solution: Solution; outcome: 'not working' | 'could not be tried'; message: string }[] = [];
      for (const solution of running) {
        try {
          const saw = await GANG_TESTS[solution.name].fits(ctx, solution.apiVersion, budget);
          ctx.observe(`gang scheduling by ${solution.name} ${solution.apiVersion}: ${saw}`);
          const before = attempts.map((attempt) => `${title(attempt.solution)} tried first, ${attempt.outcome}: ${attempt.message}`);
          return { seen: [...before, `${title(solution)}: ${saw}`].join('; '), value: solution };
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          const message = error instanceof Error ? error.message : String(error);
          const outcome = error instanceof CheckFailure ? 'not working' : 'could not be tried';
          ctx.observe(`${title(solution)} ${outcome}: ${message}`);
          attempts.push({ solution, outcome, message });
        }
      }
      const all = attempts.map((attempt) => `${title(attempt.solution)}: ${attempt.message}`).join('; ');
      // One attempt that could not be made (an API error) leaves the requirement undecided.
      if (attempts.every((attempt) => attempt.outcome === 'not working'))
        throw new CheckFailure(`no running gang-scheduling solution works: ${all}`);
      throw new Error(`could not tell whether a gang-scheduling solution works: ${all}`);
    });

    await ctx.check(`a ${budget.pods}-pod gang with room for ${budget.pods - 1} has no pod bound to a node`, () =>
      GANG_TESTS[working.name].short(ctx, working.apiVersion, budget),
    );
  },
});

interface GangBudget {
  pods: number;
  timeoutMs: number;
  windowMs: number;
}

type SolutionName = 'Kueue' | 'Volcano';

/** What step 1 found of one solution: the API version it serves (if any) and its controller's pods. */
interface Found {
  name: SolutionName;
  apiVersion?: string;
  /** What the controller is, in words: "controller-manager", "volcano-scheduler". */
  controllerName: string;
  controller: ControllerPods;
}

type Solution = Found & { apiVersion: string };

interface GangTest {
  /** Creates the probe's queues and a gang that fits; says what it saw once the gang completed. */
  fits(ctx: ProbeContext, apiVersion: string, budget: GangBudget): Promise<string>;
  /** Creates a gang that does not fit and judges that no pod of it is bound within the window. */
  short(ctx: ProbeContext, apiVersion: string, budget: GangBudget): Promise<string>;
}

const GANG_TESTS: Readonly<Record<SolutionName, GangTest>> = {
  Kueue: { fits: kueueFits, short: kueueShort },
  Volcano: { fits: volcanoFits, short: volcanoShort },
};

const title = (solution: Found): string => `${solution.name}${solution.apiVersion ? ` (${solution.apiVersion})` : ''}`;

function describeFound(solution: Found): string {
  if (solution.apiVersion === undefined) return `${solution.name}: not installed`;
  if (solution.controller.running.length > 0) return `${title(solution)}: ${solution.controllerName} ${describePods(solution.controller)}`;
  return `${title(solution)}: APIs served but no ${solution.controllerName} pod runs (${describePods(solution.controller)}): CRDs left by an uninstall, not used`;
}

/** The first version of the group that serves `plural`, in the server's preference order. */
async function servedVersion(ctx: ProbeContext, group: string, plural: string): Promise<string | undefined> {
  for (const groupVersion of await ctx.kube.groupVersions(group)) {
    const resources = await ctx.kube.resources(groupVersion);
    if (resources?.some((resource) => resource.name === plural)) return groupVersion;
  }
  return undefined;
}

/** Kueue's manager pods carry these labels in both its kustomize and Helm installs. */
const KUEUE_MANAGER_LABELS = 'app.kubernetes.io/name=kueue,control-plane=controller-manager';
/** The volcano-scheduler Deployment's pod label in Volcano's Helm chart and installer manifests. */
const VOLCANO_SCHEDULER_LABELS = 'app=volcano-scheduler';

async function findKueue(ctx: ProbeContext): Promise<Found> {
  const apiVersion = await servedVersion(ctx, 'kueue.x-k8s.io', 'workloads');
  const found = { name: 'Kueue', controllerName: 'controller-manager', apiVersion } as const;
  if (apiVersion === undefined) return { ...found, controller: { where: 'nowhere', running: [], others: [] } };
  const controller = (await podsBehindWebhook(ctx, 'kueue.x-k8s.io', 'workloads')) ?? (await podsLabelled(ctx, KUEUE_MANAGER_LABELS));
  return { ...found, controller };
}

async function findVolcano(ctx: ProbeContext): Promise<Found> {
  const apiVersion = await servedVersion(ctx, 'scheduling.volcano.sh', 'podgroups');
  const found = { name: 'Volcano', controllerName: 'volcano-scheduler', apiVersion } as const;
  if (apiVersion === undefined) return { ...found, controller: { where: 'nowhere', running: [], others: [] } };
  return { ...found, controller: await podsLabelled(ctx, VOLCANO_SCHEDULER_LABELS) };
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

/** The node a pod is bound to; undefined while the scheduler has not bound it. */
function boundNode(pod: V1Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  return isTrue(conditionsOf(pod), 'PodScheduled') ? '(a node not yet named in spec)' : undefined;
}

/**
 * The gang holds if no pod of it is bound by the window's end: a watch (which also sees pods
 * created after it started) that must reach its deadline, then one more list, since a pod bound
 * just before the deadline may reach the watch too late.
 */
async function noPodBound(ctx: ProbeContext, gang: string, { pods, windowMs }: GangBudget, why: () => Promise<string>): Promise<string> {
  const labelSelector = `${GANG_LABEL}=${gang}`;
  const podsRef = { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace };
  const watched = await unlessTimedOut(
    ctx.kube.waitFor<V1Pod>(podsRef, (pod) => boundNode(pod) !== undefined, {
      description: `a pod of gang ${gang} bound to a node`,
      timeoutMs: windowMs,
      labelSelector,
    }),
  );
  const listed = watched ? undefined : (await ctx.kube.list<V1Pod>(podsRef, { labelSelector })).find((pod) => boundNode(pod) !== undefined);
  const bound = watched ?? listed;
  if (bound) {
    const when = listed ? ', found when the gang was listed after the window' : '';
    throw new CheckFailure(
      `pod ${bound.metadata?.name ?? '?'} was bound to node ${boundNode(bound) ?? '?'} (phase ${bound.status?.phase ?? 'not reported'})${when} although the quota has room for ${pods - 1} of ${pods} pods: the gang was scheduled partially`,
    );
  }
  return `no pod of the ${pods}-pod gang was bound to a node within ${seconds(windowMs)} with room for ${pods - 1}; ${await why()}`;
}

// ---- Kueue ----

interface Workload extends KubernetesObject {
  spec?: { podSets?: { name?: string; count?: number }[]; queueName?: string };
  status?: { admission?: { clusterQueue?: string; podSetAssignments?: { name?: string; count?: number }[] }; conditions?: unknown[] };
}

function kueueNames(ctx: ProbeContext, pods: number) {
  const prefix = `aic-gang-${ctx.kube.runId}`.toLowerCase().slice(0, 50);
  return {
    flavor: `${prefix}-flavor`,
    fits: { cluster: `${prefix}-fits`, local: 'gang-fits', room: pods },
    short: { cluster: `${prefix}-short`, local: 'gang-short', room: pods - 1 },
  };
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
      template: { metadata: { labels: { [GANG_LABEL]: name } }, spec: podSpec(ctx) },
    },
  };
}

async function workloadOf(ctx: ProbeContext, apiVersion: string, job: V1Job): Promise<Workload | undefined> {
  const workloads = await ctx.kube.list<Workload>({ apiVersion, kind: 'Workload', namespace: ctx.namespace });
  return workloads.find((workload) => workload.metadata?.ownerReferences?.some((owner) => owner.uid === job.metadata?.uid));
}

async function kueueFits(ctx: ProbeContext, apiVersion: string, { pods, timeoutMs }: GangBudget): Promise<string> {
  const names = kueueNames(ctx, pods);
  // Kueue resolves these references by name whenever the objects appear (a ClusterQueue waits for
  // its flavor, a LocalQueue for its ClusterQueue): all five are created together.
  const flavor = ctx.kube.create({ apiVersion, kind: 'ResourceFlavor', metadata: { name: names.flavor } });
  const queues = [names.fits, names.short].flatMap((queue) => [
    ctx.kube.create({
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
                name: names.flavor,
                resources: [
                  { name: 'cpu', nominalQuota: quota(queue.room).cpu },
                  { name: 'memory', nominalQuota: quota(queue.room).memory },
                ],
              },
            ],
          },
        ],
      },
    }),
    ctx.kube.create({ apiVersion, kind: 'LocalQueue', metadata: { name: queue.local }, spec: { clusterQueue: queue.cluster } }),
  ]);
  await Promise.all([flavor, ...queues]);

  const job = await ctx.kube.create(kueueJob(ctx, 'gang-fits', names.fits.local, pods));
  const done = await ctx.kube
    .waitFor<V1Job>(
      { apiVersion: 'batch/v1', kind: 'Job', namespace: ctx.namespace, name: 'gang-fits' },
      (current) => {
        const conditions = conditionsOf(current);
        if (isTrue(conditions, 'Failed')) return `job gang-fits failed: ${describeCondition(conditions, 'Failed')}`;
        return isTrue(conditions, 'Complete');
      },
      { description: 'job gang-fits Complete', timeoutMs },
    )
    .catch(
      timeoutFails(async () => {
        const workload = await workloadOf(ctx, apiVersion, job);
        const state = workload
          ? `Workload ${workload.metadata?.name ?? '?'} ${describeCondition(conditionsOf(workload), 'QuotaReserved')}`
          : 'Kueue created no Workload for it';
        return `job gang-fits did not complete within ${seconds(timeoutMs)} on a queue with room for all ${pods} pods: ${state}`;
      }),
    );
  const succeeded = done.status?.succeeded ?? 0;
  if (succeeded < pods) throw new CheckFailure(`job gang-fits completed with ${succeeded} of ${pods} pods succeeded`);
  const workload = await workloadOf(ctx, apiVersion, job);
  if (!workload) throw new CheckFailure('job gang-fits completed without a Kueue Workload: Kueue did not admit it');
  const admitted = (workload.status?.admission?.podSetAssignments ?? []).reduce((sum, set) => sum + (set.count ?? 0), 0);
  if (admitted !== 0 && admitted < pods)
    throw new CheckFailure(`Workload ${workload.metadata?.name ?? '?'} was admitted for ${admitted} of ${pods} pods`);
  return `ResourceFlavor ${names.flavor}, ClusterQueues with room for ${pods} and ${pods - 1} pods of ${POD_CPU_MILLIS}m CPU each; Workload ${workload.metadata?.name ?? '?'} admitted to ${workload.status?.admission?.clusterQueue ?? names.fits.cluster}; all ${succeeded} pods succeeded`;
}

async function kueueShort(ctx: ProbeContext, apiVersion: string, budget: GangBudget): Promise<string> {
  const names = kueueNames(ctx, budget.pods);
  const job = await ctx.kube.create(kueueJob(ctx, 'gang-short', names.short.local, budget.pods));
  return noPodBound(ctx, 'gang-short', budget, async () => {
    const workload = await workloadOf(ctx, apiVersion, job);
    // No Workload: Kueue never took the job, so nothing was admitted or held back by it.
    if (!workload)
      throw new Error('Kueue created no Workload for job gang-short (is the Kueue controller running?): gang admission was not exercised');
    const conditions = conditionsOf(workload);
    if (isTrue(conditions, 'Admitted'))
      throw new CheckFailure(`Workload ${workload.metadata?.name ?? '?'} was admitted although it does not fit`);
    return `Workload ${workload.metadata?.name ?? '?'} waits: ${describeCondition(conditions, 'QuotaReserved')}`;
  });
}

// ---- Volcano ----

interface PodGroup extends KubernetesObject {
  status?: { phase?: string; running?: number; succeeded?: number; conditions?: unknown[] };
}

function volcanoGroups(ctx: ProbeContext, pods: number) {
  const prefix = `aic-gang-${ctx.kube.runId}`.toLowerCase().slice(0, 50);
  return {
    fits: { queue: `${prefix}-fits`, group: 'gang-fits', room: pods },
    short: { queue: `${prefix}-short`, group: 'gang-short', room: pods - 1 },
  };
}

async function createVolcanoGang(
  ctx: ProbeContext,
  apiVersion: string,
  entry: { queue: string; group: string },
  pods: number,
): Promise<void> {
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
        labels: { [GANG_LABEL]: entry.group },
        annotations: { 'scheduling.k8s.io/group-name': entry.group },
      },
      spec: podSpec(ctx, { schedulerName: 'volcano' }),
    });
  }
}

async function podGroupState(ctx: ProbeContext, apiVersion: string, name: string): Promise<string> {
  const group = await ctx.kube.get<PodGroup>({ apiVersion, kind: 'PodGroup', namespace: ctx.namespace, name });
  const message = conditionsOf(group).find((condition) => condition.message)?.message;
  return `PodGroup ${name} is ${group?.status?.phase ?? 'without a phase'}${message ? ` (${message})` : ''}`;
}

async function volcanoFits(ctx: ProbeContext, apiVersion: string, { pods, timeoutMs }: GangBudget): Promise<string> {
  const groups = volcanoGroups(ctx, pods);
  for (const entry of [groups.fits, groups.short]) {
    await ctx.kube.create({
      apiVersion,
      kind: 'Queue',
      metadata: { name: entry.queue },
      spec: { weight: 1, reclaimable: false, capability: quota(entry.room) },
    });
  }
  await createVolcanoGang(ctx, apiVersion, groups.fits, pods);
  const deadline = ctx.clock.now() + timeoutMs;
  for (let index = 0; index < pods; index++) {
    await ctx.kube
      .waitFor<V1Pod>(
        { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: `gang-fits-${index}` },
        (pod) => (pod.status?.phase === 'Failed' ? `pod gang-fits-${index} failed` : pod.status?.phase === 'Succeeded'),
        { description: `pod gang-fits-${index} Succeeded`, timeoutMs: Math.max(1, deadline - ctx.clock.now()) },
      )
      .catch(
        timeoutFails(
          async () =>
            `the ${pods}-pod gang did not complete within ${seconds(timeoutMs)} on a queue with room for all of it: ${await podGroupState(ctx, apiVersion, 'gang-fits')}`,
        ),
      );
  }
  return `Queues with capability for ${pods} and ${pods - 1} pods of ${POD_CPU_MILLIS}m CPU each; ${await podGroupState(ctx, apiVersion, 'gang-fits')} (minMember ${pods}); all ${pods} pods succeeded`;
}

async function volcanoShort(ctx: ProbeContext, apiVersion: string, budget: GangBudget): Promise<string> {
  await createVolcanoGang(ctx, apiVersion, volcanoGroups(ctx, budget.pods).short, budget.pods);
  return noPodBound(ctx, 'gang-short', budget, () => podGroupState(ctx, apiVersion, 'gang-short'));
}
