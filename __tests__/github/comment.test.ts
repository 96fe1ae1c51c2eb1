import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STICKY_MARKER, COMMENT_TRUNCATED_NOTE, stickyBody, stickyMarker, upsertStickyComment } from '../../src/github/comment.js';
import { COMMENT_MAX_CHARS } from '../../src/report/github-limits.js';
import { startFakeGitHub, type FakeGitHub } from './fakeGitHub.js';

let gh: FakeGitHub;
const pr = { owner: 'acme', repo: 'platform', number: 42 };
beforeEach(async () => {
  gh = await startFakeGitHub();
});
afterEach(async () => {
  await gh.close();
});

describe('sticky PR comment', () => {
  it('creates the comment once, then updates it in place', async () => {
    const first = await upsertStickyComment({ token: 't', pr, body: `${STICKY_MARKER}\n## run 1`, baseUrl: gh.baseUrl });
    expect(first).toMatchObject({ action: 'created', truncated: false });
    const second = await upsertStickyComment({ token: 't', pr, body: `${STICKY_MARKER}\n## run 2`, baseUrl: gh.baseUrl });
    expect(second).toEqual({ action: 'updated', id: first.action === 'created' ? first.id : -1, truncated: false });
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]?.body).toBe(`${STICKY_MARKER}\n## run 2`);
    expect(gh.requests.filter((r) => r.startsWith('POST'))).toHaveLength(1);
  });

  it('adds the marker when the body lacks it, so the next run finds the comment', async () => {
    await upsertStickyComment({ token: 't', pr, body: 'no marker here', baseUrl: gh.baseUrl });
    expect(gh.comments[0]?.body).toBe(`${STICKY_MARKER}\nno marker here`);
    const again = await upsertStickyComment({ token: 't', pr, body: 'still none', baseUrl: gh.baseUrl });
    expect(again.action).toBe('updated');
    expect(gh.comments).toHaveLength(1);
  });

  it('pages through more than 100 comments to find its own', async () => {
    for (let i = 0; i < 250; i += 1)
      gh.comments.push({
        id: i + 1,
        body: i === 230 ? `${STICKY_MARKER}\nold` : `comment ${i}`,
        user: i === 230 ? { login: 'github-actions[bot]', type: 'Bot' } : { login: 'someone', type: 'User' },
      });
    const outcome = await upsertStickyComment({ token: 't', pr, body: `${STICKY_MARKER}\nnew`, baseUrl: gh.baseUrl });
    expect(outcome).toEqual({ action: 'updated', id: 231, truncated: false });
    expect(gh.comments).toHaveLength(250);
    expect(gh.comments[230]?.body).toBe(`${STICKY_MARKER}\nnew`);
    const lists = gh.requests.filter((r) => r.startsWith('GET') && r.includes('/comments'));
    expect(lists).toHaveLength(3);
    expect(lists[0]).toContain('per_page=100');
  });

  it("does not mistake another tool's comment for its own", async () => {
    gh.comments.push({ id: 1, body: '<!-- Sticky Pull Request Comment -->\nother tool', user: { login: 'x' } });
    const outcome = await upsertStickyComment({ token: 't', pr, body: 'ours', baseUrl: gh.baseUrl });
    expect(outcome.action).toBe('created');
    expect(gh.comments).toHaveLength(2);
  });

  it("ignores a person's comment that carries the marker and creates its own", async () => {
    gh.comments.push({ id: 1, body: `${STICKY_MARKER}\nplanted by a participant`, user: { login: 'mallory', type: 'User' } });
    const outcome = await upsertStickyComment({ token: 't', pr, body: `${STICKY_MARKER}\nreport`, baseUrl: gh.baseUrl });
    expect(outcome.action).toBe('created');
    expect(gh.comments.map((c) => c.body)).toEqual([`${STICKY_MARKER}\nplanted by a participant`, `${STICKY_MARKER}\nreport`]);
    expect(gh.requests.some((r) => r.startsWith('PATCH'))).toBe(false);
  });

  it("with a personal access token, finds its own comment by the token's account, not a participant's", async () => {
    gh.users.set('pat', { login: 'release-bot-user', type: 'User' });
    gh.comments.push({ id: 1, body: `${STICKY_MARKER}\nplanted by a participant`, user: { login: 'mallory', type: 'User' } });
    const first = await upsertStickyComment({ token: 'pat', pr, body: `${STICKY_MARKER}\nrun 1`, baseUrl: gh.baseUrl });
    expect(first.action).toBe('created');
    expect(gh.comments[1]?.user.login).toBe('release-bot-user');
    const second = await upsertStickyComment({ token: 'pat', pr, body: `${STICKY_MARKER}\nrun 2`, baseUrl: gh.baseUrl });
    expect(second).toEqual({ action: 'updated', id: first.action === 'created' ? first.id : -1, truncated: false });
    expect(gh.comments).toHaveLength(2);
    expect(gh.comments[0]?.body).toBe(`${STICKY_MARKER}\nplanted by a participant`);
    expect(gh.comments[1]?.body).toBe(`${STICKY_MARKER}\nrun 2`);
  });

  it('ignores a bot comment that only quotes the marker further down', async () => {
    gh.comments.push({ id: 1, body: `> quoted:\n${STICKY_MARKER}`, user: { login: 'other[bot]', type: 'Bot' } });
    const outcome = await upsertStickyComment({ token: 't', pr, body: 'report', baseUrl: gh.baseUrl });
    expect(outcome.action).toBe('created');
    expect(gh.comments[0]?.body).toBe(`> quoted:\n${STICKY_MARKER}`);
  });

  it('keeps one comment per SARIF category: matrix jobs do not overwrite each other', async () => {
    const a = stickyMarker('k8s-1.34');
    const b = stickyMarker('k8s-1.35');
    expect(a).toBe('<!-- ai-conformance:sticky:k8s-1.34 -->');
    await upsertStickyComment({ token: 't', pr, body: `${a}\njob a`, marker: a, baseUrl: gh.baseUrl });
    await upsertStickyComment({ token: 't', pr, body: `${b}\njob b`, marker: b, baseUrl: gh.baseUrl });
    await upsertStickyComment({ token: 't', pr, body: 'default', baseUrl: gh.baseUrl });
    const again = await upsertStickyComment({ token: 't', pr, body: `${a}\njob a, run 2`, marker: a, baseUrl: gh.baseUrl });
    expect(again.action).toBe('updated');
    expect(gh.comments.map((c) => c.body)).toEqual([`${a}\njob a, run 2`, `${b}\njob b`, `${STICKY_MARKER}\ndefault`]);
  });

  it('stickyMarker: no category keeps the default; unsafe characters cannot close the comment', () => {
    expect(stickyMarker()).toBe(STICKY_MARKER);
    expect(stickyMarker('   ')).toBe(STICKY_MARKER);
    expect(stickyMarker('x --> <b>@all</b>')).toBe('<!-- ai-conformance:sticky:x_--_b_all_/b_ -->');
    expect(stickyMarker('a'.repeat(500)).length).toBe('<!-- ai-conformance:sticky: -->'.length + 100);
  });

  it('turns a 403 (fork PR, read-only token) into a skip with a reason, not a failure', async () => {
    gh.readOnly = true;
    const outcome = await upsertStickyComment({ token: 't', pr, body: 'x', baseUrl: gh.baseUrl });
    expect(outcome.action).toBe('skipped');
    expect(outcome.action === 'skipped' && outcome.reason).toMatch(/HTTP 403.*forks GITHUB_TOKEN is read-only.*pull-requests: write/);
    expect(gh.comments).toHaveLength(0);
  });

  it('keeps the body within 65,536 characters, marker first, note last', async () => {
    const huge = `${STICKY_MARKER}\n${'| row | 😀 passed |\n'.repeat(10_000)}`;
    const outcome = await upsertStickyComment({ token: 't', pr, body: huge, baseUrl: gh.baseUrl });
    expect(outcome).toMatchObject({ action: 'created', truncated: true });
    const posted = gh.comments[0]?.body ?? '';
    expect(posted.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(posted.startsWith(STICKY_MARKER)).toBe(true);
    expect(posted.endsWith(COMMENT_TRUNCATED_NOTE)).toBe(true);
    // Cut at a line end: no half row, no lone surrogate.
    expect(posted.slice(0, -COMMENT_TRUNCATED_NOTE.length).endsWith('|\n')).toBe(true);
    expect(posted).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('stickyBody leaves bodies under the limit untouched', () => {
    const body = `${STICKY_MARKER}\nshort`;
    expect(stickyBody(body)).toBe(body);
    expect(stickyBody('x'.repeat(COMMENT_MAX_CHARS + 1)).length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
  });
});
