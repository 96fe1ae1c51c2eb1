import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publish } from '../../src/github/publish.js';
import { STICKY_MARKER } from '../../src/github/comment.js';
import type { RequirementResult, RunResults } from '../../src/model/results.js';
import { startFakeGitHub, type FakeGitHub } from './fakeGitHub.js';

function requirement(id: string, verdict: RequirementResult['verdict'], level: RequirementResult['level'] = 'MUST'): RequirementResult {
  return {
    id,
    category: 'accelerators',
    level,
    summary: id,
    verdict,
    reason: verdict,
    probe: 'builtin',
    startedAt: '2026-11-22T08:00:00Z',
    durationMs: 10,
    checks: [],
    observations: [],
  };
}

function results(verdicts: Array<[string, RequirementResult['verdict']]>): RunResults {
  return {
    schemaVersion: 1,
    tool: { name: 'ai-conformance', version: '0.1.0' },
    runId: 'r1',
    startedAt: '2026-11-22T08:00:00Z',
    finishedAt: '2026-11-22T08:01:00Z',
    durationMs: 60_000,
    kubernetesVersion: '1.35',
    cluster: { mode: 'kind', simulated: false },
    requirements: verdicts.map(([id, v]) => requirement(id, v)),
    leaked: 0,
  };
}

let gh: FakeGitHub;
let root: string;
let out: string;
let env: NodeJS.ProcessEnv;
const notices: string[] = [];

function event(headRepo: string): string {
  const file = path.join(root, 'event.json');
  writeFileSync(
    file,
    JSON.stringify({
      pull_request: { number: 42, head: { repo: { full_name: headRepo } }, base: { repo: { full_name: 'acme/platform' } } },
    }),
  );
  return file;
}

beforeEach(async () => {
  gh = await startFakeGitHub();
  root = mkdtempSync(path.join(tmpdir(), 'publish-'));
  out = path.join(root, 'out');
  mkdirSync(out);
  writeFileSync(
    path.join(out, 'ai-conformance.json'),
    JSON.stringify(
      results([
        ['dra_support', 'passed'],
        ['ai_inference', 'failed'],
        ['gang_scheduling', 'error'],
      ]),
    ),
  );
  writeFileSync(path.join(out, 'summary.md'), '## Summary\n');
  writeFileSync(path.join(out, 'comment.md'), `${STICKY_MARKER}\n## Comment\n`);
  writeFileSync(path.join(out, 'results.sarif'), '{}');
  writeFileSync(path.join(root, 'summary'), '');
  env = {
    GITHUB_STEP_SUMMARY: path.join(root, 'summary'),
    GITHUB_REPOSITORY: 'acme/platform',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event('acme/platform'),
  };
  notices.length = 0;
});
afterEach(async () => {
  await gh.close();
  rmSync(root, { recursive: true, force: true });
});

describe('publish', () => {
  it('writes the summary, posts the sticky comment, and computes the outputs', async () => {
    const outcome = await publish({ outDir: out, comment: true, token: 't', env, baseUrl: gh.baseUrl, notice: (m) => notices.push(m) });
    expect(readFileSync(path.join(root, 'summary'), 'utf8')).toBe('## Summary\n');
    expect(outcome.comment.action).toBe('created');
    expect(gh.comments.map((c) => c.body)).toEqual([`${STICKY_MARKER}\n## Comment\n`]);
    expect(outcome.outputs).toEqual({
      result: 'failed',
      passed: '1',
      failed: '2',
      results: path.join(out, 'ai-conformance.json'),
      checklist: '',
      sarif: path.join(out, 'results.sarif'),
      summary: path.join(out, 'summary.md'),
    });
    expect(notices).toEqual([]);
  });

  it('skips the comment on a fork PR with a notice, without calling the API', async () => {
    env.GITHUB_EVENT_PATH = event('stranger/platform');
    const outcome = await publish({ outDir: out, comment: true, token: 't', env, baseUrl: gh.baseUrl, notice: (m) => notices.push(m) });
    expect(outcome.comment.action).toBe('skipped');
    expect(gh.requests).toEqual([]);
    expect(notices).toEqual([
      'Sticky PR comment skipped: pull request from a fork: GITHUB_TOKEN is read-only, so no PR comment (the job summary has the report)',
    ]);
    expect(readFileSync(path.join(root, 'summary'), 'utf8')).toBe('## Summary\n');
  });

  it('turns a 403 from GitHub into a notice', async () => {
    gh.readOnly = true;
    const outcome = await publish({ outDir: out, comment: true, token: 't', env, baseUrl: gh.baseUrl, notice: (m) => notices.push(m) });
    expect(outcome.comment.action).toBe('skipped');
    expect(notices[0]).toMatch(/^Sticky PR comment skipped: the token cannot write PR comments \(HTTP 403\)/);
  });

  it('comment: off and non-PR events post nothing', async () => {
    expect(
      (await publish({ outDir: out, comment: false, token: 't', env, baseUrl: gh.baseUrl, notice: (m) => notices.push(m) })).comment,
    ).toEqual({ action: 'skipped', reason: 'comment: off' });
    const push = { ...env, GITHUB_EVENT_PATH: path.join(root, 'push.json') };
    writeFileSync(push.GITHUB_EVENT_PATH, JSON.stringify({ ref: 'refs/heads/main' }));
    expect(
      (await publish({ outDir: out, comment: true, token: 't', env: push, baseUrl: gh.baseUrl, notice: (m) => notices.push(m) })).comment,
    ).toEqual({ action: 'skipped', reason: 'not a pull request run' });
    expect(gh.requests).toEqual([]);
  });

  it('a passing run reports result passed', async () => {
    writeFileSync(path.join(out, 'ai-conformance.json'), JSON.stringify(results([['dra_support', 'passed']])));
    const outcome = await publish({ outDir: out, comment: false, env, notice: (m) => notices.push(m) });
    expect(outcome.outputs.result).toBe('passed');
  });

  it('checks ai-conformance.json against the same schema as `report`', async () => {
    // The shape the old check accepted (requirements and leaked), but not a results file.
    writeFileSync(path.join(out, 'ai-conformance.json'), JSON.stringify({ requirements: [], leaked: 0 }));
    await expect(publish({ outDir: out, comment: false, env })).rejects.toThrow(
      /ai-conformance.json is not a results file: \(top level\): missing required field/,
    );
  });

  it('a missing results file is one clear usage error', async () => {
    rmSync(path.join(out, 'ai-conformance.json'));
    await expect(publish({ outDir: out, comment: false, env })).rejects.toThrow(
      `${path.join(out, 'ai-conformance.json')} is missing or not JSON; did the run write its reports?`,
    );
  });
  it('uses the marker run wrote into comment.md, or the one for --sarif-category, to find its comment', async () => {
    const marker = '<!-- ai-conformance:sticky:k8s-1.34 -->';
    writeFileSync(path.join(out, 'comment.md'), `${marker}\n## Job 1.34\n`);
    gh.comments.push({ id: 7, body: `${STICKY_MARKER}\n## other job`, user: { login: 'github-actions[bot]', type: 'Bot' } });
    const first = await publish({ outDir: out, comment: true, token: 't', env, baseUrl: gh.baseUrl, notice: (m) => notices.push(m) });
    expect(first.comment.action).toBe('created');
    const second = await publish({
      outDir: out,
      comment: true,
      token: 't',
      env,
      baseUrl: gh.baseUrl,
      sarifCategory: 'k8s-1.34',
      notice: (m) => notices.push(m),
    });
    expect(second.comment.action).toBe('updated');
    expect(gh.comments.map((c) => c.body)).toEqual([`${STICKY_MARKER}\n## other job`, `${marker}\n## Job 1.34\n`]);
    // Without comment.md the summary is posted, under the category's marker.
    rmSync(path.join(out, 'comment.md'));
    await publish({
      outDir: out,
      comment: true,
      token: 't',
      env,
      baseUrl: gh.baseUrl,
      sarifCategory: 'k8s-1.34',
      notice: (m) => notices.push(m),
    });
    expect(gh.comments[1]?.body).toBe(`${marker}\n## Summary\n`);
  });
});
