import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { exitCodeOf, oneLine } from '../../src/errors.js';
import { main } from '../../src/main.js';

const work = mkdtempSync(path.join(tmpdir(), 'validate-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The real entry point in a child process: exit code and stderr exactly as a user sees them. */
function spawnCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, AI_CONFORMANCE_DEBUG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** main() in-process, with src/cli.ts's error mapping: much faster than a child process. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stdout, stderr: '' };
  } catch (error) {
    return { code: exitCodeOf(error), stdout, stderr: `ai-conformance: ${oneLine(error)}\n` };
  } finally {
    spy.mockRestore();
  }
}

describe('ai-conformance validate', () => {
  it('exit 0 for a valid submission, with the offline notes (child process)', () => {
    const r = spawnCli('validate', 'fixtures/checklists/submissions/v1.36/Softbank/PRODUCT.yaml', '--offline');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: offline: 80 URL(s) not checked for reachability');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      'fixtures/checklists/submissions/v1.36/Softbank/PRODUCT.yaml: valid for Kubernetes 1.36',
    );
  });

  it('exit 1 with one line per violation naming the field', async () => {
    const r = await cli('validate', 'fixtures/checklists/submissions/v1.34/gke/PRODUCT.yaml', '--offline');
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('fixtures/checklists/submissions/v1.34/gke/PRODUCT.yaml:5: '))).toEqual([
      'fixtures/checklists/submissions/v1.34/gke/PRODUCT.yaml:5: contactEmailAddress: missing required metadata field contactEmailAddress (or contact_email_address)',
      'fixtures/checklists/submissions/v1.34/gke/PRODUCT.yaml:5: k8sConformanceUrl: missing required metadata field k8sConformanceUrl (or k8s_conformance_url)',
    ]);
  });

  it('--format json and --kubernetes-version for a flat file name', async () => {
    const file = path.join(work, 'gke-PRODUCT.yaml');
    writeFileSync(file, readFileSync('fixtures/checklists/submissions/v1.34/gke/PRODUCT.yaml', 'utf8'));
    const r = await cli('validate', file, '--offline', '--kubernetes-version', '1.34', '--format', 'json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { valid: boolean; kubernetesVersion: string; violations: Array<{ subject: string; line: number }> };
    expect(out).toMatchObject({ valid: false, kubernetesVersion: '1.34' });
    expect(out.violations.map((v) => v.subject)).toEqual(['contactEmailAddress', 'k8sConformanceUrl']);
  });

  const badInput: Array<[string, () => string[], RegExp]> = [
    ['a missing file', () => ['validate', path.join(work, 'v1.35/x/PRODUCT.yaml'), '--offline'], /PRODUCT\.yaml: no such file$/],
    [
      'malformed YAML (with its line)',
      () => {
        const file = path.join(work, 'v1.35', 'bad', 'PRODUCT.yaml');
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, 'metadata:\n  platformName: ok\nspec:\n  accelerators: [\n');
        return ['validate', file, '--offline'];
      },
      /PRODUCT\.yaml:\d+: malformed YAML/,
    ],
    [
      'an unknown version',
      () => ['validate', 'fixtures/checklists/templates/AIConformance-1.35.yaml', '--offline', '--kubernetes-version', '1.99'],
      /unknown Kubernetes version '1\.99'/,
    ],
    ['an unknown flag', () => ['validate', 'fixtures/checklists/templates/AIConformance-1.35.yaml', '--frob'], /Unknown option '--frob'/],
    ['no file', () => ['validate', '--offline'], /exactly one FILE/],
    ['a bad --format', () => ['validate', 'x.yaml', '--format', 'xml'], /unknown --format 'xml'/],
  ];
  it('exit 2, one line and no stack trace from the real entry point (child process)', () => {
    const r = spawnCli('validate', path.join(work, 'v1.35/none/PRODUCT.yaml'), '--offline');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ai-conformance: .*PRODUCT\.yaml: no such file\n$/);
  });

  for (const [what, args, message] of badInput) {
    it(`exit 2 and one line on stderr for ${what}`, async () => {
      const r = await cli(...args());
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
