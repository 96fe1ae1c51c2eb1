import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exitCodeOf, oneLine } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { samplePath } from './samples.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'report-cmd-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Runs main() like cli.ts does: exit code and the one stderr line, stdout captured. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr: '' };
  } catch (error) {
    return { code: exitCodeOf(error), stdout, stderr: oneLine(error) };
  } finally {
    spy.mockRestore();
  }
}

describe('report command', () => {
  it('re-renders every report and exits with the results exit code', async () => {
    const out = path.join(tmp, 'mixed');
    const mixed = await runCli(['report', samplePath('mixed-1.35'), '--out', out, '--offline']);
    expect(mixed).toMatchObject({ code: 1, stderr: '' });
    expect(mixed.stdout).toContain(`to ${out}`);
    const written = [
      'ai-conformance.json',
      'PRODUCT.yaml',
      'junit.xml',
      'results.json',
      'e2e.log',
      'README.md',
      'evidence/gang_scheduling.md',
      'results.sarif',
      'summary.md',
      'comment.md',
    ];
    for (const name of written) {
      expect(existsSync(path.join(out, name)), name).toBe(true);
    }
    // Re-rendering from the written ai-conformance.json gives the same reports, the submission folder included.
    const again = path.join(tmp, 'again');
    expect((await runCli(['report', path.join(out, 'ai-conformance.json'), '--out', again, '--offline'])).code).toBe(1);
    // results.json is the go test -json artifact, not the model: one clear line.
    const wrong = await runCli(['report', path.join(out, 'results.json'), '--out', path.join(tmp, 'wrong'), '--offline']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('pass the ai-conformance.json beside it');
    for (const name of written) {
      expect(await readFile(path.join(again, name), 'utf8'), name).toBe(await readFile(path.join(out, name), 'utf8'));
    }
    expect((await runCli(['report', samplePath('all-pass-1.35'), '--out', path.join(tmp, 'pass'), '--offline'])).code).toBe(0);
    // A simulated run is never ready, but no MUST failed: the exit code follows exitCodeFor.
    const simulated = await runCli(['report', samplePath('simulated-1.35'), '--out', path.join(tmp, 'sim'), '--offline']);
    expect(simulated.code).toBe(0);
    expect(simulated.stdout).toContain('Not ready to submit');
  });

  it('passes --baseline, --sarif-category and --metadata through', async () => {
    const out = path.join(tmp, 'flags');
    const metadata = path.join(tmp, 'metadata.yaml');
    await writeFile(metadata, 'platformName: Acme GPU Cloud\nvendorName: Acme\n');
    const result = await runCli([
      'report',
      samplePath('mixed-1.35'),
      '--out',
      out,
      '--offline',
      '--baseline',
      samplePath('all-pass-1.35'),
      '--sarif-category',
      'pr/kind',
      '--metadata',
      metadata,
    ]);
    expect(await readFile(path.join(out, 'PRODUCT.yaml'), 'utf8')).toContain('Acme GPU Cloud');
    expect(result.code).toBe(1);
    expect(await readFile(path.join(out, 'summary.md'), 'utf8')).toContain('### What changed');
    const sarif = JSON.parse(await readFile(path.join(out, 'results.sarif'), 'utf8')) as { runs: { automationDetails: { id: string } }[] };
    expect(sarif.runs[0].automationDetails.id).toBe('pr/kind/');
  });

  it.each([
    [
      'a missing file',
      () => ['report', path.join(tmp, 'nope.json'), '--out', tmp],
      /^cannot read results file .*nope\.json: no such file$/,
    ],
    ['a file that is not JSON', () => ['report', path.join(tmp, 'not-json.json'), '--out', tmp], /not-json\.json is not valid JSON: /],
    [
      'a file that fails the schema',
      () => ['report', path.join(tmp, 'bad-verdict.json'), '--out', tmp],
      /bad-verdict\.json is not a results file: \/requirements\/0\/verdict must be equal to one of the allowed values/,
    ],
    [
      'a bad baseline',
      () => ['report', samplePath('mixed-1.35'), '--out', tmp, '--baseline', path.join(tmp, 'not-json.json')],
      /not-json\.json is not valid JSON/,
    ],
    ['an unknown flag', () => ['report', samplePath('mixed-1.35'), '--out', tmp, '--frob'], /^Unknown option '--frob'/],
    ['no results file', () => ['report', '--out', tmp], /^report takes exactly one results file, got 0/],
    ['two results files', () => ['report', 'a.json', 'b.json', '--out', tmp], /^report takes exactly one results file, got 2/],
    ['no --out', () => ['report', samplePath('mixed-1.35')], /^report needs --out DIR/],
    [
      'a missing template',
      () => ['report', samplePath('mixed-1.35'), '--out', path.join(tmp, 'tpl'), '--template', path.join(tmp, 'missing.yaml'), '--offline'],
      /missing\.yaml/,
    ],
  ])('rejects %s with one line and exit 2', async (_, args, expected) => {
    await writeFile(path.join(tmp, 'not-json.json'), '{"schemaVersion": 1,');
    const bad = JSON.parse(await readFile(samplePath('mixed-1.35'), 'utf8')) as { requirements: { verdict: string }[] };
    bad.requirements[0].verdict = 'green';
    await writeFile(path.join(tmp, 'bad-verdict.json'), JSON.stringify(bad));
    const result = await runCli(args());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).not.toContain('\n');
  });

  it('a file the out directory cannot be is a one-line usage error', async () => {
    const file = path.join(tmp, 'a-file');
    await writeFile(file, 'x');
    const result = await runCli(['report', samplePath('mixed-1.35'), '--out', path.join(file, 'sub'), '--offline']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^cannot write reports to /);
  });

  it('prints one line and no stack trace from the real entry point', async () => {
    const run = promisify(execFile);
    const failure = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'report', path.join(tmp, 'nope.json'), '--out', tmp], {
      cwd: ROOT,
    }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr.trim().split('\n')).toHaveLength(1);
    expect(failure?.stderr).toMatch(/^ai-conformance: cannot read results file/);
  });
});
