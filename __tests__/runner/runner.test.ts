import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { RUN_LABEL } from '../../src/kube/types.js';
import { planRequirements, runSuite, type RunSuiteOptions } from '../../src/runner/index.js';
import { createImageCatalog } from '../../src/runner/images.js';
import { exampleProfile } from '../../src/probes/profiles.js';
import { CheckFailure, type Probe, type ProbeContext } from '../../src/probes/types.js';
import { exitCodeFor } from '../../src/model/results.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

function probe(id: string, run: (ctx: ProbeContext) => Promise<void>, extra: Partial<Probe> = {}): Probe {
  return { id, timeoutMs: 5_000, run, ...extra };
}

function options(cluster: MemoryCluster, probes: Probe[], extra: Partial<RunSuiteOptions> = {}): RunSuiteOptions {
  const lines: string[] = [];
  return {
    cluster,
    clusterInfo: { mode: 'fake', simulated: true },
    kubernetesVersion: '1.35',
    plan: planRequirements({ version: '1.35', builtin: probes, only: probes.map((p) => p.id) }),
    profile: exampleProfile({ detected: false, detail: 'test' }),
    probeOptions: { kubernetesVersion: '1.35', allowNodeScaling: false, extra: {} },
    images: createImageCatalog(probes),
    progress: (line) => lines.push(line),
    ...extra,
  };
}

const passing = (id: string) =>
  probe(id, async (ctx) => {
    await ctx.check('works', async () => 'saw it work');
  });

describe('runSuite verdicts', () => {
  it('computes passed only from passed checks and skips what --only left out', async () => {
    const cluster = new MemoryCluster();
    const results = await runSuite(options(cluster, [passing('dra_support')]));
    const dra = results.requirements.find((r) => r.id === 'dra_support')!;
    expect(dra.verdict).toBe('passed');
    expect(dra.reason).toBe('saw it work');
    expect(dra.checks).toHaveLength(1);
    expect(results.requirements.find((r) => r.id === 'ai_inference')!.verdict).toBe('skipped');
    expect(results.leaked).toBe(0);
    expect(cluster.cleanedUp).toBe(1);
  });

  it('never prints a credential that cluster text carries into a progress line', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl';
    const lines: string[] = [];
    await runSuite(
      options(
        new MemoryCluster(),
        [
          probe('ai_inference', async (ctx) => {
            ctx.log.info(`pod log says token: ${token}`);
            await ctx.check('class accepted', async () => {
              throw new CheckFailure(`the API answered: Authorization: Bearer ${token}`);
            });
          }),
        ],
        { progress: (line) => lines.push(line) },
      ),
    );
    expect(lines.some((line) => line.includes('[redacted'))).toBe(true);
    expect(lines.join('\n')).not.toContain(token);
  });

  it('fails on the first failed check even when later checks pass', async () => {
    const cluster = new MemoryCluster();
    const results = await runSuite(
      options(cluster, [
        probe('ai_inference', async (ctx) => {
          await ctx.check('class accepted', async () => {
            throw new CheckFailure('GatewayClass x not accepted');
          });
          await ctx.check('other', async () => 'fine');
        }),
      ]),
    );
    const r = results.requirements.find((x) => x.id === 'ai_inference')!;
    expect(r.verdict).toBe('failed');
    expect(r.reason).toBe('class accepted: GatewayClass x not accepted');
    expect(exitCodeFor(results)).toBe(1);
  });

  it('errors when a check throws something other than CheckFailure, and when nothing was checked', async () => {
    const cluster = new MemoryCluster();
    const results = await runSuite(
      options(cluster, [
        probe('ai_inference', async (ctx) => {
          await ctx.check('list', async () => {
            throw new Error('500 Internal Server Error\nstack line');
          });
        }),
        probe('robust_controller', async () => undefined),
      ]),
    );
    const inference = results.requirements.find((x) => x.id === 'ai_inference')!;
    expect(inference.verdict).toBe('error');
    expect(inference.reason).toBe('list: 500 Internal Server Error');
    const robust = results.requirements.find((x) => x.id === 'robust_controller')!;
    expect(robust.verdict).toBe('error');
    expect(robust.reason).toBe('probe recorded no checks');
  });

  it('takes not-applicable and manual as thrown, with notes', async () => {
    const cluster = new MemoryCluster();
    const results = await runSuite(
      options(cluster, [
        probe('cluster_autoscaling', async (ctx) => ctx.notApplicable('no cluster autoscaler found')),
        probe('gang_scheduling', async (ctx) => ctx.manual('run the gang test by hand')),
      ]),
    );
    const autoscaling = results.requirements.find((x) => x.id === 'cluster_autoscaling')!;
    expect(autoscaling).toMatchObject({ verdict: 'not-applicable', notes: 'no cluster autoscaler found' });
    expect(results.requirements.find((x) => x.id === 'gang_scheduling')).toMatchObject({ verdict: 'manual' });
  });

  it('marks requirements without a probe manual, never passed', async () => {
    const cluster = new MemoryCluster();
    const plan = planRequirements({ version: '1.35', builtin: [] });
    const results = await runSuite({ ...options(cluster, []), plan });
    expect(results.requirements.length).toBeGreaterThan(5);
    expect(results.requirements.every((r) => r.verdict === 'manual' && r.notes)).toBe(true);
  });

  it('gives each probe its own labelled namespace', async () => {
    const cluster = new MemoryCluster();
    await runSuite(options(cluster, [passing('dra_support'), passing('ai_inference')]));
    expect(cluster.views.map((v) => v.namespace).sort()).toEqual(['aic-ai-inference-000001', 'aic-dra-support-000001']);
  });
});

describe('runSuite timeouts and aborts', () => {
  it('ends a probe that outlives its timeout as error and still cleans up', async () => {
    const cluster = new MemoryCluster();
    const slow = probe(
      'ai_inference',
      async (ctx) => {
        await ctx.check('wait for gateway', async () => {
          await ctx.kube.waitFor({ apiVersion: 'v1', kind: 'Pod' }, () => false, { description: 'x', timeoutMs: 60_000 });
          return 'never';
        });
      },
      { timeoutMs: 50 },
    );
    const started = Date.now();
    const results = await runSuite(options(cluster, [slow]));
    expect(Date.now() - started).toBeLessThan(2_000);
    const r = results.requirements.find((x) => x.id === 'ai_inference')!;
    expect(r.verdict).toBe('error');
    expect(r.reason).toMatch(/timed out after 0.1s/);
    expect(r.checks).toEqual([expect.objectContaining({ name: 'wait for gateway', verdict: 'error' })]);
    expect(cluster.cleanedUp).toBe(1);
  });

  it('a probe ignoring its signal cannot hold the run past its timeout', async () => {
    const cluster = new MemoryCluster();
    const stubborn = probe('ai_inference', () => new Promise<void>(() => undefined), { timeoutMs: 30 });
    const results = await runSuite(options(cluster, [stubborn]));
    expect(results.requirements.find((x) => x.id === 'ai_inference')!.verdict).toBe('error');
  });

  it('stops every probe on the run signal (SIGTERM) and reports leaks', async () => {
    const cluster = new MemoryCluster();
    cluster.stuck = 1;
    const controller = new AbortController();
    const waiting = (id: string) =>
      probe(id, async (ctx) => {
        await ctx.check('wait', async () => {
          await ctx.kube.waitFor({ apiVersion: 'v1', kind: 'Pod' }, () => false, { description: 'x', timeoutMs: 60_000 });
          return 'never';
        });
      });
    setTimeout(() => controller.abort(new Error('cancelled by SIGTERM')), 30);
    const results = await runSuite(
      options(cluster, [waiting('ai_inference'), waiting('robust_controller')], { signal: controller.signal }),
    );
    for (const id of ['ai_inference', 'robust_controller']) {
      expect(results.requirements.find((x) => x.id === id)).toMatchObject({ verdict: 'error', reason: 'cancelled by SIGTERM' });
    }
    expect(results.leaked).toBe(1);
    expect(exitCodeFor(results)).toBe(1);
    expect(cluster.objects[0].metadata!.labels![RUN_LABEL]).toBe(cluster.runId);
  });
});

describe('runSuite concurrency', () => {
  it('runs independent probes at the same time and serialises exclusive ones', async () => {
    const cluster = new MemoryCluster();
    let running = 0;
    let peak = 0;
    const overlaps: string[] = [];
    const active = new Set<string>();
    const timed = (id: string, exclusive?: string[]) =>
      probe(
        id,
        async (ctx) => {
          await ctx.check('hold', async () => {
            running += 1;
            peak = Math.max(peak, running);
            if (exclusive) {
              for (const other of active) overlaps.push(`${other}+${id}`);
              active.add(id);
            }
            await new Promise((resolve) => setTimeout(resolve, 40));
            active.delete(id);
            running -= 1;
            return 'held';
          });
        },
        exclusive ? { exclusive } : {},
      );
    await runSuite(
      options(cluster, [
        timed('dra_support', ['accelerators']),
        timed('secure_accelerator_access', ['accelerators']),
        timed('ai_inference'),
        timed('robust_controller'),
      ]),
    );
    expect(overlaps).toEqual([]);
    expect(peak).toBe(3);
  });

  it('among probes sharing an exclusive resource, starts the one with the shortest timeout first', async () => {
    const cluster = new MemoryCluster();
    const order: string[] = [];
    const recorded = (id: string, timeoutMs: number) =>
      probe(
        id,
        async (ctx) => {
          order.push(id);
          await ctx.check('x', async () => 'ok');
        },
        { exclusive: ['accelerators'], timeoutMs },
      );
    await runSuite(options(cluster, [recorded('cluster_autoscaling', 40_000), recorded('secure_accelerator_access', 8_000)]));
    expect(order).toEqual(['secure_accelerator_access', 'cluster_autoscaling']);
  });

  it('honours --parallel', async () => {
    const cluster = new MemoryCluster();
    let running = 0;
    let peak = 0;
    const timed = (id: string) =>
      probe(id, async (ctx) => {
        await ctx.check('hold', async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 20));
          running -= 1;
          return 'held';
        });
      });
    await runSuite(options(cluster, ['dra_support', 'ai_inference', 'robust_controller'].map(timed), { parallel: 1 }));
    expect(peak).toBe(1);
  });
});

describe('planRequirements', () => {
  it('rejects unknown ids in --only and --skip', () => {
    expect(() => planRequirements({ version: '1.35', builtin: [], only: ['nope'] })).toThrow(UsageError);
    expect(() => planRequirements({ version: '1.35', builtin: [], skip: ['dra_suport'] })).toThrow(
      /--skip: unknown requirement id dra_suport/,
    );
  });

  it('filters by level', () => {
    const plan = planRequirements({ version: '1.35', builtin: [], level: 'should' });
    const skipped = plan.filter((p) => p.action === 'skip').map((p) => p.requirement.level);
    expect(new Set(skipped)).toEqual(new Set(['MUST']));
  });

  it('accepts a proposed requirement from --probe-dir and requires its proposal', () => {
    const proposed = probe('model_cache', async () => undefined, {
      proposal: { category: 'accelerators', level: 'SHOULD', summary: 'Models are cached.' },
    });
    const plan = planRequirements({ version: '1.35', builtin: [], extra: [{ probe: proposed, origin: 'probes/model_cache.ts' }] });
    expect(plan.at(-1)).toMatchObject({ action: 'run', proposed: true, requirement: { id: 'model_cache', level: 'SHOULD' } });
    const bare = probe('model_cache', async () => undefined);
    expect(() => planRequirements({ version: '1.35', builtin: [], extra: [{ probe: bare, origin: 'x.ts' }] })).toThrow(/proposal/);
  });

  it('a probe that does not support the version leaves the requirement manual', () => {
    const plan = planRequirements({ version: '1.35', builtin: [probe('ai_inference', async () => undefined, { versions: ['1.33'] })] });
    expect(plan.find((p) => p.requirement.id === 'ai_inference')).toMatchObject({ action: 'manual' });
  });
});

describe('runSuite progress', () => {
  it('says a probe is still running, with its time so far and its timeout, when it has been silent for a heartbeat', async () => {
    const lines: string[] = [];
    await runSuite(
      options(
        new MemoryCluster(),
        [
          probe('ai_inference', async (ctx) => {
            // Busy without a kube wait (as a poll or a back-off would be), saying nothing.
            await new Promise((resolve) => setTimeout(resolve, 400));
            await ctx.check('done', async () => 'fine');
          }),
        ],
        { progress: (line) => lines.push(line), heartbeatMs: 90 },
      ),
    );
    const still = lines.filter((line) => line.includes('still running'));
    expect(still.length).toBeGreaterThanOrEqual(2);
    expect(still[0]).toMatch(/^ {8}ai_inference: still running \(\d+\.\ds so far, timeout 5\.0s\)$/);
  });
});
