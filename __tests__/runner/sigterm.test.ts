// End to end: `ai-conformance run` against the fake cluster, stopped with SIGTERM while probes
// wait on pods that never start, must clean up so that nothing labelled with its run id is left.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { labelledInStore } from '../helpers/probe-harness.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('run and SIGTERM', () => {
  it('cleans up everything it created when stopped mid-run', { timeout: 60_000 }, async () => {
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
      ['--import', 'tsx', 'src/cli.ts', 'run', '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--accelerator', 'example', '--offline', '--only', 'dra_support,secure_accelerator_access'],
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
          child.kill('SIGTERM');
          resolve();
        }
      });
      void exited.then(() => (signalled ? undefined : reject(new Error(`run exited before SIGTERM:\n${stderr}`))));
    });
    const code = await exited;
    const runId = /run (r[0-9a-z-]+) against/.exec(stderr)?.[1];
    expect(runId).toBeDefined();
    expect(stderr).toContain('SIGTERM received');
    expect(code).toBe(1);
    expect(labelledInStore(cluster, runId!)).toEqual([]);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as { leaked: number; requirements: { id: string; verdict: string; reason: string }[] };
    expect(results.leaked).toBe(0);
    const dra = results.requirements.find((r) => r.id === 'dra_support')!;
    expect(dra.verdict).not.toBe('passed');
    expect(stderr).not.toMatch(/token|BEGIN CERTIFICATE/i);
  });
});
