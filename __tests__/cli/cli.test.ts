// The CLI as a user meets it: --version, --help for every command (one line per flag with its
// default and an example), `kind --help`, `list --kubeconfig` reading the cluster's version,
// a closed pipe ending quietly, and the Node versions the README names matching package.json.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { COMMANDS } from '../../src/commands/index.js';
import { runCli } from '../../src/main.js';
import { TOOL } from '../../src/runner/tool.js';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await runCli(args, {}), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let cluster: FakeCluster;
beforeAll(async () => {
  cluster = await startFakeCluster({ scenario: { name: 'list', kubernetesVersion: '1.34' }, tls: false });
});
afterAll(async () => {
  await cluster.stop();
});

describe('the command line', () => {
  it('--version prints the name and version', async () => {
    for (const flag of ['--version', '-V'])
      expect(await cli(flag)).toEqual({ code: 0, stdout: `${TOOL.name} ${TOOL.version}\n`, stderr: '' });
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '%s --help: one line per flag, with its default and an example',
    async (name, command) => {
      const { code, stdout } = await cli(...name.split(' '), '--help');
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: ai-conformance ${command.usage}`);
      const lines = stdout.split('\n');
      for (const [flag, spec] of Object.entries(command.flags)) {
        const line = lines.filter(
          (l) => l.trimStart().startsWith(`--${flag} `) || l.trim() === `--${flag}` || l.trimStart().startsWith(`--${flag}  `),
        );
        expect(line, `--${flag}`).toHaveLength(1);
        expect(line[0], `--${flag}`).toContain(spec.description);
        if (spec.default !== undefined) expect(line[0], `--${flag}`).toContain(`default: ${spec.default}`);
        expect(line[0], `--${flag}: an example`).toMatch(new RegExp(`e\\.g\\. --${flag}`));
      }
      expect(stdout).toMatch(/\nExamples:\n {2}ai-conformance /);
    },
  );

  it('kind --help lists kind up and kind down', async () => {
    const { code, stdout } = await cli('kind', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/kind up\s+Create the PR-mode kind cluster/);
    expect(stdout).toMatch(/kind down\s+Delete the PR-mode kind cluster/);
    expect((await cli('kind', 'up', '--help')).stdout).toContain('--kubernetes-version X.Y');
  });

  it("list --kubeconfig lists the requirements of the cluster's version", async () => {
    cluster.resetStats();
    const { code, stdout } = await cli('list', '--kubeconfig', cluster.kubeconfigPath);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('AI conformance requirements for Kubernetes 1.34');
    // One /version request: nothing listed, nothing created.
    expect(cluster.stats().requests).toBe(1);
    const explicit = await cli('list', '--kubeconfig', cluster.kubeconfigPath, '--kubernetes-version', '1.36');
    expect(explicit.stdout.split('\n')[0]).toBe('AI conformance requirements for Kubernetes 1.36');
  });

  it('output into a closed pipe ends quietly (list | head -1)', async () => {
    // The reading end is closed before the CLI writes anything, as `head` does once it has its lines.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'list', '--format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('package.json accepts the Node versions the README names', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string }; bin: Record<string, string> };
    expect(pkg.engines.node).toBe('>=20.19');
    expect(readFileSync('README.md', 'utf8')).toContain('Node.js 20.19 or later');
    expect(pkg.bin['ai-conformance']).toBe('dist/cli.js');
  });
});
