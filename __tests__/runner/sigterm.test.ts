// End to end: `ai-conformance run` against the fake cluster, stopped with SIGTERM while probes
// wait on pods that never start, must clean up so that nothing labelled with its run id is left.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { labelledInStore } from '../helpers/probe-harness.js';
import type { RunResults } from '../../src/model/results.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('run and SIGTERM', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    'cleans up everything it created when stopped mid-run by %s, and exits %i as shells and kubectl do',
    { timeout: 60_000 },
    async (signal, exitCode) => {
      cluster = await startFakeCluster({
        tls: false,
        scenario: {
          name: 'sigterm',
          kubernetesVersion: '1.35',
          nodes: [{ name: 'worker-1' }],
          objects: [{ apiVersion: 'resource.k8s.io/v1', kind: 'DeviceClass', metadata: { name: 'gpu.example.com' }, spec: {} }],
          // No scheduler: probe pods stay Pending, so the probes are mid-wait when the signal comes.
          behaviours: { scheduler: false },
        },
      });
      const out = mkdtempSync(path.join(tmpdir(), 'aic-sigterm-'));
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli.ts',
          'run',
          '--kubeconfig',
          cluster.kubeconfigPath,
          '--out',
          out,
          '--accelerator',
          'example',
          '--offline',
          '--only',
          'dra_support,secure_accelerator_access',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      let signalled = false;
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          // Both probes have started and created their namespaces and pods.
          if (!signalled && (stderr.match(/\[start\]/g) ?? []).length >= 2 && cluster!.store.list('pods').length > 0) {
            signalled = true;
            child.kill(signal);
            resolve();
          }
        });
        void exited.then(() => (signalled ? undefined : reject(new Error(`run exited before SIGTERM:\n${stderr}`))));
      });
      const code = await exited;
      const runId = /run (r[0-9a-z-]+) against/.exec(stderr)?.[1];
      expect(runId).toBeDefined();
      expect(stderr).toContain(`${signal} received`);
      expect(code).toBe(exitCode);
      expect(labelledInStore(cluster, runId!)).toEqual([]);
      const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as {
        leaked: number;
        requirements: { id: string; verdict: string; reason: string }[];
      };
      expect(results.leaked).toBe(0);
      const dra = results.requirements.find((r) => r.id === 'dra_support')!;
      expect(dra.verdict).not.toBe('passed');
      expect(stderr).not.toMatch(/token|BEGIN CERTIFICATE/i);
    },
  );
});

const execFileAsync = promisify(execFile);
const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('run and SIGTERM twice', () => {
  it('writes partial reports and prints a cleanup command that works on a cluster without Kueue', { timeout: 60_000 }, async () => {
    cluster = await startFakeCluster({
      // TLS: kubectl sends the bearer token only over HTTPS.
      tls: true,
      scenario: {
        name: 'sigterm-twice',
        kubernetesVersion: '1.35',
        nodes: [{ name: 'worker-1' }],
        objects: [{ apiVersion: 'resource.k8s.io/v1', kind: 'DeviceClass', metadata: { name: 'gpu.example.com' }, spec: {} }],
        behaviours: { scheduler: false },
        // Deletes hang for a while, so cleanup is surely unfinished when the second signal comes.
        faults: [{ verb: 'delete', latencyMs: 5_000 }],
      },
    });
    const out = mkdtempSync(path.join(tmpdir(), 'aic-sigterm2-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'run',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--out',
        out,
        '--accelerator',
        'example',
        '--offline',
        '--only',
        'dra_support,secure_accelerator_access',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let signals = 0;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (signals === 0 && (stderr.match(/\[start\]/g) ?? []).length >= 2 && cluster!.store.list('pods').length > 0) {
        signals = 1;
        child.kill('SIGTERM');
      }
      if (signals === 1 && stderr.includes('[clean] deleting')) {
        signals = 2;
        child.kill('SIGTERM');
      }
    });
    const code = await exited;
    expect(signals, stderr).toBe(2);
    expect(code).toBe(143);
    const runId = /run (r[0-9a-z-]+) against/.exec(stderr)?.[1];
    expect(stderr).toContain(`partial results written to ${out}`);

    const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
    expect(results.interrupted).toMatch(/SIGTERM received twice/);
    expect(results.cleanup?.finished).toBe(false);
    expect(results.leaked).toBeGreaterThan(0);
    expect(results.cleanup?.leftovers.map((o) => `${o.kind} ${o.name}`)).toEqual(
      expect.arrayContaining([
        `Namespace aic-dra-support-${runId!.slice(-6)}`,
        `Namespace aic-secure-accelerator-access-${runId!.slice(-6)}`,
      ]),
    );
    for (const id of ['dra_support', 'secure_accelerator_access'])
      expect(results.requirements.find((r) => r.id === id)?.verdict).not.toBe('passed');
    const e2e = readFileSync(path.join(out, 'e2e.log'), 'utf8');
    expect(e2e).toMatch(/INTERRUPTED: .*partial/);
    expect(e2e).toMatch(/left: Namespace aic-dra-support-/);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/partial/);

    const command = /delete what this run may have left with: (kubectl delete \S+ --all-namespaces -l \S+ --ignore-not-found)/.exec(
      stderr,
    )?.[1];
    expect(command, stderr).toBeDefined();
    expect(command).toBe(results.cleanup?.command);
    expect(command).not.toMatch(/clusterqueues|resourceflavors|kueue/);
    expect(labelledInStore(cluster, runId!).length).toBeGreaterThan(0);
    if (KUBECTL) {
      // The command as printed, against this cluster: it succeeds and leaves nothing of the run.
      cluster.scenario.faults = [];
      const args = command!.split(' ').slice(1);
      // Asynchronously: the fake serves from this process.
      const ran = await execFileAsync('kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      }).then(
        () => ({ status: 0, stderr: '' }),
        (error: unknown) => {
          const { code, stderr } = error as { code?: number; stderr?: string };
          return { status: code ?? 1, stderr: stderr ?? '' };
        },
      );
      expect(ran.status, ran.stderr).toBe(0);
      expect(labelledInStore(cluster, runId!)).toEqual([]);
    }
  });
});
