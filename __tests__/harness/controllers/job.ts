// The Job controller: runs pods from the template (parallelism, completions, Indexed mode),
// counts succeeded/failed pods, and sets Complete or Failed (BackoffLimitExceeded). Suspended
// jobs run nothing, which is what Kueue relies on.
import { nowTimestamp } from '../store.js';
import type { KObj } from '../types.js';
import type { ControllerFactory } from './types.js';
import { arr, conditionTrue, isOwnedBy, ownerRef, podPhase, podReady, rec, recordEvent, setCondition } from './util.js';

const JOBS = 'jobs.batch';

export const jobController: ControllerFactory = (ctx) => {
  const { store } = ctx;
  const pending = new Set<string>();

  const podsOf = (job: KObj): KObj[] => store.list('pods', { namespace: job.metadata.namespace }).filter((p) => isOwnedBy(p, job));

  const sync = (job: KObj): void => {
    if (job.metadata.deletionTimestamp) return;
    const spec = rec(job.spec);
    const finished = conditionTrue(job, 'Complete') || conditionTrue(job, 'Failed');
    const pods = podsOf(job);
    const succeeded = pods.filter((p) => podPhase(p) === 'Succeeded');
    const failed = pods.filter((p) => podPhase(p) === 'Failed');
    const active = pods.filter((p) => podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed' && !p.metadata.deletionTimestamp);
    const completions = typeof spec.completions === 'number' ? spec.completions : 1;
    const parallelism = typeof spec.parallelism === 'number' ? spec.parallelism : 1;
    const backoffLimit = typeof spec.backoffLimit === 'number' ? spec.backoffLimit : 6;
    const indexed = spec.completionMode === 'Indexed';
    const suspended = spec.suspend === true;

    let outcome: 'Complete' | 'Failed' | undefined;
    if (!finished) {
      if (failed.length > backoffLimit) outcome = 'Failed';
      else if (succeeded.length >= completions) outcome = 'Complete';
    }

    if (!finished && !outcome && !suspended) {
      const want = Math.min(parallelism, completions - succeeded.length) - active.length;
      const usedIndexes = new Set(
        [...active, ...succeeded].map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']),
      );
      let nextIndex = 0;
      for (let i = 0; i < want; i++) {
        const template = structuredClone(rec(spec.template));
        const meta = rec(template.metadata);
        const labels = { ...(rec(meta.labels) as Record<string, string>) };
        const annotations = { ...(rec(meta.annotations) as Record<string, string>) };
        const podSpec = rec(template.spec);
        if (indexed) {
          while (usedIndexes.has(String(nextIndex))) nextIndex++;
          usedIndexes.add(String(nextIndex));
          labels['batch.kubernetes.io/job-completion-index'] = String(nextIndex);
          annotations['batch.kubernetes.io/job-completion-index'] = String(nextIndex);
          podSpec.hostname ??= `${job.metadata.name ?? ''}-${nextIndex}`;
          for (const c of arr(podSpec.containers))
            c.env = [
              ...arr(c.env),
              {
                name: 'JOB_COMPLETION_INDEX',
                valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } },
              },
            ];
        }
        try {
          const pod = store.create('pods', {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              generateName: indexed ? `${job.metadata.name ?? ''}-${nextIndex}-` : `${job.metadata.name ?? ''}-`,
              namespace: job.metadata.namespace,
              labels,
              annotations,
              ownerReferences: [ownerRef(job)],
            },
            spec: podSpec,
          });
          recordEvent(store, job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`, 'job-controller');
          active.push(pod);
        } catch (e) {
          ctx.log(`cannot create pod for job ${job.metadata.name ?? ''}: ${(e as Error).message}`);
          break;
        }
      }
    }

    store.mutate(
      JOBS,
      job.metadata.namespace,
      job.metadata.name ?? '',
      (j) => {
        const status = rec(j.status);
        const before = JSON.stringify(status);
        if (!suspended && !status.startTime) status.startTime = nowTimestamp();
        status.active = active.length;
        status.ready = active.filter(podReady).length;
        status.succeeded = succeeded.length;
        status.failed = failed.length;
        status.terminating = pods.filter((p) => p.metadata.deletionTimestamp).length;
        status.uncountedTerminatedPods = {};
        if (indexed)
          status.completedIndexes = succeeded
            .map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])
            .filter(Boolean)
            .sort((a, b) => Number(a) - Number(b))
            .join(',');
        if (suspended && !finished)
          setCondition(status, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' });
        else if (arr(status.conditions).some((c) => c.type === 'Suspended'))
          setCondition(status, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' });
        if (outcome === 'Complete') {
          setCondition(status, {
            type: 'SuccessCriteriaMet',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          });
          setCondition(status, {
            type: 'Complete',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          });
          status.completionTime = nowTimestamp();
        } else if (outcome === 'Failed') {
          setCondition(status, {
            type: 'FailureTarget',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          });
          setCondition(status, {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          });
        }
        if (JSON.stringify(status) === before) return undefined;
        j.status = status;
        return j;
      },
      'status',
    );
    if (outcome)
      recordEvent(
        store,
        job,
        outcome === 'Complete' ? 'Normal' : 'Warning',
        outcome === 'Complete' ? 'Completed' : 'BackoffLimitExceeded',
        outcome === 'Complete' ? 'Job completed' : 'Job has reached the specified backoff limit',
        'job-controller',
      );
    // Active pods of a failed job are deleted.
    if (outcome === 'Failed') for (const p of active) store.delete('pods', p.metadata.namespace, p.metadata.name ?? '', {});
  };

  const enqueue = (namespace: string | undefined, name: string): void => {
    const key = `${namespace ?? ''}/${name}`;
    if (pending.has(key)) return;
    pending.add(key);
    setImmediate(() => {
      pending.delete(key);
      const job = store.get(JOBS, namespace, name);
      if (job) sync(job);
    });
  };

  return {
    start() {
      if (!store.registry.byKey(JOBS)) return;
      ctx.watch(JOBS, (ev) => {
        if (ev.type !== 'DELETED') enqueue(ev.object.metadata.namespace, ev.object.metadata.name ?? '');
      });
      ctx.watch(
        'pods',
        (ev) => {
          const owner = (ev.object.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'Job');
          if (owner) enqueue(ev.object.metadata.namespace, owner.name);
        },
        { replay: false },
      );
    },
  };
};
