// Process mode (contract): npm run fake-cluster -- --scenario FILE --kubeconfig-out FILE.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = join(ROOT, '__tests__', 'harness', 'main.ts');

describe('fake-cluster process mode', () => {
  it('writes a kubeconfig, prints one ready line, serves, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-proc-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(TSX, [MAIN, '--scenario', join(ROOT, 'fixtures', 'scenarios', 'bare-1.35.yaml'), '--kubeconfig-out', kubeconfig], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((res, rej) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) res(out);
        });
        child.on('exit', (code) => rej(new Error(`exited ${String(code)} before ready`)));
      });
      expect(line.trim().split('\n')).toHaveLength(1);
      expect(line).toMatch(/^fake-cluster ready: scenario bare-1.35 \(Kubernetes 1.35\) at https:\/\/127\.0\.0\.1:\d+/);
      const config = readFileSync(kubeconfig, 'utf8');
      expect(config).toContain('certificate-authority-data');
      const kubectl = spawnSync('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'nodes', '-o', 'name'], {
        encoding: 'utf8',
      });
      if (kubectl.error) console.warn('kubectl is not installed: process-mode kubectl check SKIPPED');
      else expect(kubectl.stdout.trim().split('\n').sort()).toEqual(['node/bare-control-plane', 'node/bare-worker', 'node/bare-worker2']);
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(kubeconfig)).toBe(true); // an explicit --kubeconfig-out is the caller's file
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a bad scenario in one line and exits 2', () => {
    const r = spawnSync(TSX, [MAIN, '--scenario', '/nonexistent.yaml', '--kubeconfig-out', join(tmpdir(), 'never')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('scenario /nonexistent.yaml: cannot be read');
    const usage = spawnSync(TSX, [MAIN], { cwd: ROOT, encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^fake-cluster: --scenario and --kubeconfig-out are required/);
  });
});
