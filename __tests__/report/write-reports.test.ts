import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGitHubContext } from '../../src/github/context.js';
import { requirementLines } from '../../src/checklist/lines.js';
import { FALLBACK_PRODUCT_PATH } from '../../src/report/locations.js';
import { evidenceFor, REPORT_FILES, writeReports } from '../../src/report/index.js';
import type { SarifLog } from '../../src/report/sarif.js';
import { loadSarifValidator } from './sarif-schema.js';
import { sample, withRequirement } from './samples.js';

const TEMPLATE_135 = path.resolve(import.meta.dirname, '../../fixtures/checklists/templates/AIConformance-1.35.yaml');
const validateSarif = loadSarifValidator();
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'report-write-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function readSarif(file: string): Promise<SarifLog> {
  return JSON.parse(await readFile(file, 'utf8')) as SarifLog;
}

describe('writeReports', () => {
  it('writes every report into the directory and returns absolute paths', async () => {
    const results = sample('mixed-1.35');
    const outDir = path.join(tmp, 'all', 'nested');
    const written = await writeReports(results, { outDir, offline: true, repoRoot: tmp });
    for (const [key, name] of Object.entries(REPORT_FILES)) {
      const file = written[key as keyof typeof REPORT_FILES];
      expect(path.isAbsolute(file)).toBe(true);
      expect(file).toBe(path.join(outDir, name));
      expect(existsSync(file), file).toBe(true);
    }
    // One evidence document per requirement of the checklist.
    for (const r of results.requirements) expect(existsSync(path.join(written.evidence, `${r.id}.md`)), r.id).toBe(true);
    // ai-conformance.json is the input as given, 2-space JSON; results.json is the go test -json stream.
    expect(await readFile(written.model, 'utf8')).toBe(`${JSON.stringify(results, null, 2)}\n`);
    expect((await readFile(written.testEvents, 'utf8')).split('\n')[0]).toMatch(
      /^\{"Time":".+","Action":"start","Package":"k8s-ai-conformance"\}$/,
    );
    // The folder was validated, and the summary says what the validator said.
    expect(written.validation?.valid).toBe(false);
    expect(await readFile(written.summary, 'utf8')).toContain("**Submission folder:** `PRODUCT.yaml` fails the CNCF validator's rules");
    expect(validateSarif(await readSarif(written.sarif))).toBe(true);
    expect((await readFile(written.comment, 'utf8')).startsWith('<!-- ai-conformance:sticky -->')).toBe(true);
  });

  it('redacts credentials from every report, results.json and PRODUCT.yaml included', async () => {
    const secrets = ['abcdefghijklmnopqrstuvwxyz0123456789', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl'];
    const results = withRequirement(sample('mixed-1.35'), 'dra_support', {
      verdict: 'failed',
      reason: `the API said: Authorization: Bearer ${secrets[0]}`,
      observations: [{ atMs: 5, message: `pod log: token: ${secrets[1]}` }],
    });
    const written = await writeReports(results, { outDir: path.join(tmp, 'redacted'), offline: true, repoRoot: tmp });
    const files = [
      ...Object.keys(REPORT_FILES).map((k) => written[k as keyof typeof REPORT_FILES]),
      ...results.requirements.map((r) => path.join(written.evidence, `${r.id}.md`)),
    ];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const secret of secrets) expect(text, file).not.toContain(secret);
    }
    expect(await readFile(written.model, 'utf8')).toContain('Bearer [redacted]');
    expect(await readFile(path.join(written.evidence, 'dra_support.md'), 'utf8')).toMatch(/Bearer \\?\[redacted\\?\]/);
  });

  it('fills PRODUCT.yaml with the evidence files written beside it and, for a public repository, the run URL', async () => {
    const results = sample('all-pass-1.35');
    const outDir = path.join(tmp, 'product');
    const event = path.join(tmp, 'public-event.json');
    await writeFile(event, JSON.stringify({ repository: { full_name: 'acme/platform', private: false } }));
    const written = await writeReports(results, {
      outDir,
      offline: true,
      repoRoot: tmp,
      repository: readGitHubContext({ GITHUB_EVENT_PATH: event }),
    });
    const product = await readFile(written.product, 'utf8');
    const gang = results.requirements.find((r) => r.id === 'gang_scheduling')!;
    expect(evidenceFor(results, gang, { publicRepository: true })).toEqual([
      'file://junit.xml#TestGangScheduling',
      'file://results.json#TestGangScheduling',
      'file://e2e.log',
      'file://evidence/gang_scheduling.md',
      results.runUrl,
    ]);
    expect(product).toContain('file://junit.xml#TestGangScheduling');
    expect(product).toContain('file://evidence/gang_scheduling.md');
    expect(product).toContain(results.runUrl);
    expect(product.match(/status: "?Implemented"?/g)).toHaveLength(results.requirements.length);
    for (const name of ['junit.xml', 'results.json', 'e2e.log', 'README.md', 'evidence/gang_scheduling.md'])
      expect(existsSync(path.join(path.dirname(written.product), name)), name).toBe(true);
  });

  it('leaves the run URL out of the checklist unless the repository is known to be public; the summary keeps it', async () => {
    const results = sample('all-pass-1.35');
    expect(results.runUrl).toMatch(/^https:\/\//);
    const privateEvent = path.join(tmp, 'private-event.json');
    await writeFile(privateEvent, JSON.stringify({ repository: { full_name: 'acme/platform', private: true } }));
    const unreadable = path.join(tmp, 'no-such-event.json');
    for (const [name, env] of [
      ['private', { GITHUB_EVENT_PATH: privateEvent }],
      ['no-event', {}],
      ['unreadable', { GITHUB_EVENT_PATH: unreadable }],
    ] as const) {
      const written = await writeReports(results, {
        outDir: path.join(tmp, `runurl-${name}`),
        offline: true,
        repoRoot: tmp,
        repository: readGitHubContext(env),
      });
      const product = await readFile(written.product, 'utf8');
      expect(product, name).toContain('file://junit.xml#');
      expect(product, name).not.toContain(results.runUrl);
      expect(await readFile(written.summary, 'utf8'), name).toContain(results.runUrl);
    }
    expect(evidenceFor(results, results.requirements[0], { publicRepository: false })).not.toContain(results.runUrl);
  });

  it('marks comment.md with the SARIF category, so matrix jobs keep separate sticky comments', async () => {
    const results = sample('mixed-1.35');
    const withCategory = await writeReports(results, {
      outDir: path.join(tmp, 'cat-a'),
      offline: true,
      repoRoot: tmp,
      sarifCategory: 'gpu nodes/1.35',
    });
    expect((await readFile(withCategory.comment, 'utf8')).split('\n')[0]).toBe('<!-- ai-conformance:sticky:gpu_nodes/1.35 -->');
    const plain = await writeReports(results, { outDir: path.join(tmp, 'cat-none'), offline: true, repoRoot: tmp });
    expect((await readFile(plain.comment, 'utf8')).split('\n')[0]).toBe('<!-- ai-conformance:sticky -->');
  });

  it('points SARIF at the id lines of a PRODUCT.yaml inside the repository', async () => {
    const repo = path.join(tmp, 'repo');
    const productFile = path.join(repo, 'conformance', 'PRODUCT.yaml');
    await mkdir(path.dirname(productFile), { recursive: true });
    await copyFile(TEMPLATE_135, productFile);
    const results = sample('mixed-1.35');
    const written = await writeReports(results, {
      outDir: path.join(tmp, 'in-repo-out'),
      product: productFile,
      offline: true,
      repoRoot: repo,
      sarifCategory: 'nightly',
    });
    const log = await readSarif(written.sarif);
    const expectedLines = requirementLines(await readFile(TEMPLATE_135, 'utf8'));
    const run = log.runs[0];
    expect(run.automationDetails.id).toBe('nightly/');
    expect(run.results.length).toBeGreaterThan(0);
    for (const result of run.results) {
      const location = result.locations[0].physicalLocation;
      expect(location.artifactLocation.uri).toBe('conformance/PRODUCT.yaml');
      expect(location.region.startLine).toBe(expectedLines.get(result.ruleId));
      expect(location.region.startLine).toBeGreaterThan(1);
    }
    // The summary points at the same line.
    const summary = await readFile(written.summary, 'utf8');
    expect(summary).toContain(`**Checklist entry:** conformance/PRODUCT.yaml line ${expectedLines.get('gang_scheduling')}`);
  });

  it('links the checklist entry to the commit on GitHub inside Actions', async () => {
    const repo = path.join(tmp, 'linked');
    const productFile = path.join(repo, 'PRODUCT.yaml');
    await mkdir(repo, { recursive: true });
    await copyFile(TEMPLATE_135, productFile);
    // The GitHub context is read at the front door and handed in; the reporters never read the environment.
    const repository = readGitHubContext({
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/platform',
      GITHUB_SHA: 'abc123',
    });
    const written = await writeReports(sample('mixed-1.35'), {
      outDir: path.join(tmp, 'linked-out'),
      product: productFile,
      offline: true,
      repoRoot: repo,
      repository,
    });
    const line = requirementLines(await readFile(productFile, 'utf8')).get('gang_scheduling');
    expect(await readFile(written.comment, 'utf8')).toContain(
      `**Checklist entry:** [PRODUCT.yaml line ${line}](https://github.com/acme/platform/blob/abc123/PRODUCT.yaml#L${line})`,
    );
  });

  it('takes the repository root from GITHUB_WORKSPACE when none is given', async () => {
    const repo = path.join(tmp, 'workspace');
    const productFile = path.join(repo, 'PRODUCT.yaml');
    await mkdir(repo, { recursive: true });
    await copyFile(TEMPLATE_135, productFile);
    const repository = readGitHubContext({ GITHUB_WORKSPACE: repo });
    const written = await writeReports(sample('mixed-1.35'), {
      outDir: path.join(tmp, 'ws-out'),
      product: productFile,
      offline: true,
      repository,
    });
    const uris = (await readSarif(written.sarif)).runs[0].results.map((r) => r.locations[0].physicalLocation.artifactLocation.uri);
    expect(new Set(uris)).toEqual(new Set(['PRODUCT.yaml']));
  });

  it('falls back to the stable path, at the lines of the generated checklist, for a product outside the repository', async () => {
    const results = sample('mixed-1.35');
    const written = await writeReports(results, {
      outDir: path.join(tmp, 'fallback'),
      product: TEMPLATE_135,
      offline: true,
      repoRoot: path.join(tmp, 'elsewhere'),
    });
    const generatedLines = requirementLines(await readFile(written.product, 'utf8'));
    expect(await readFile(written.summary, 'utf8')).not.toContain('Checklist entry');
    for (const result of (await readSarif(written.sarif)).runs[0].results) {
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe(FALLBACK_PRODUCT_PATH);
      expect(result.locations[0].physicalLocation.region.startLine).toBe(generatedLines.get(result.ruleId));
    }
  });

  it('writes the other reports, removes a stale PRODUCT.yaml and then throws when the checklist cannot be rendered', async () => {
    const outDir = path.join(tmp, 'bad-template');
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, 'PRODUCT.yaml'), 'stale');
    await expect(
      writeReports(sample('mixed-1.35'), { outDir, template: path.join(tmp, 'missing.yaml'), offline: true, repoRoot: tmp }),
    ).rejects.toThrow(/missing\.yaml/);
    expect(existsSync(path.join(outDir, 'PRODUCT.yaml'))).toBe(false);
    for (const name of [
      'ai-conformance.json',
      'results.json',
      'junit.xml',
      'e2e.log',
      'README.md',
      'results.sarif',
      'summary.md',
      'comment.md',
    ]) {
      expect(existsSync(path.join(outDir, name)), name).toBe(true);
    }
  });

  it('leads summary and comment with what changed when given a baseline', async () => {
    const written = await writeReports(sample('mixed-1.35'), {
      outDir: path.join(tmp, 'baseline'),
      offline: true,
      repoRoot: tmp,
      baseline: sample('all-pass-1.35'),
    });
    for (const file of [written.summary, written.comment]) {
      const text = await readFile(file, 'utf8');
      expect(text).toContain('### What changed');
      expect(text).toContain('**Newly failing (3)**');
    }
  });
});
