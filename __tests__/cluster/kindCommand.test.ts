import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/main.js';
import { exitCodeOf } from '../../src/errors.js';
import { makeStandIns, type StandIns } from './standins.js';

let s: StandIns;
const saved = { ...process.env };
let stdout = '';

beforeEach(() => {
  s = makeStandIns();
  // The commands read process.env, as the CLI does.
  for (const key of Object.keys(process.env)) if (key.startsWith('GITHUB_') || key === 'RUNNER_TOOL_CACHE') delete process.env[key];
  Object.assign(process.env, s.env);
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  s.cleanup();
});

describe('kind up / kind down commands', () => {
  it('kind up creates the cluster, writes a private kubeconfig where asked and says how to use it', async () => {
    const kubeconfig = path.join(s.dir, 'kube', 'config.yaml');
    mkdirSync(path.dirname(kubeconfig));
    expect(await main(['kind', 'up', '--kubernetes-version', '1.34', '--name', 'dev', '--kubeconfig', kubeconfig])).toBe(0);
    expect(existsSync(kubeconfig)).toBe(true);
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    expect(stdout).toBe(`kind cluster dev is ready (context kind-dev)\nexport KUBECONFIG=${kubeconfig}\n`);
    expect(s.calls().find((c) => c[1] === 'create')).toContain('dev');
    // kind up leaves the cluster running.
    expect(s.calls().some((c) => c[1] === 'delete')).toBe(false);
  });

  it('kind up without a version or with an unknown one is a usage error (exit 2)', async () => {
    const missing = await main(['kind', 'up']).catch((e: unknown) => e);
    expect(exitCodeOf(missing)).toBe(2);
    expect((missing as Error).message).toBe('--kubernetes-version is required (one of 1.33, 1.34, 1.35, 1.36, 1.37)');
    expect(exitCodeOf(await main(['kind', 'up', '--kubernetes-version', '1.29']).catch((e: unknown) => e))).toBe(2);
    expect(s.calls()).toEqual([]);
  });

  it('kind down deletes the named cluster', async () => {
    expect(await main(['kind', 'down', '--name', 'dev'])).toBe(0);
    expect(s.calls()).toEqual([['kind', 'delete', 'cluster', '--name', 'dev']]);
    expect(stdout).toBe('kind cluster dev deleted\n');
  });
});
