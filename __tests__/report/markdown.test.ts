import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { blockingRequirements } from '../../src/model/results.js';
import { diffBaseline } from '../../src/report/baseline.js';
import {
  COMMENT_MAX_CHARS,
  renderComment,
  renderSummary,
  STICKY_MARKER,
  SUMMARY_MAX_BYTES,
  verdictLine,
} from '../../src/report/markdown.js';
import { HOSTILE, SAMPLE_NAMES, sample, withRequirement } from './samples.js';

const renderers = [
  ['summary.md', renderSummary],
  ['comment.md', renderComment],
] as const;

describe.each(SAMPLE_NAMES)('Markdown for %s', (name) => {
  const results = sample(name);
  const summary = renderSummary(results);
  const comment = renderComment(results);

  it('leads with the verdict', () => {
    for (const text of [summary, comment]) {
      const firstParagraphs = text.split('\n').slice(0, 6).join('\n');
      if (name === 'all-pass-1.35') expect(firstParagraphs).toContain('**✅ Ready to submit.**');
      else expect(firstParagraphs).toContain('**❌ Not ready, because**');
    }
  });

  it('has a table row per requirement with level, status, duration and reason', () => {
    for (const r of results.requirements) {
      const row = summary.split('\n').find((l) => l.startsWith(`| ${r.id.replace(/_/g, '\\_')} |`));
      expect(row, r.id).toBeDefined();
      expect(row).toContain(` | ${r.level} | `);
      expect(row).toMatch(/ \| (✅|❌|⚠️|➖|⏭️|✋) /);
    }
  });

  it('folds details per requirement (all in the summary, failing ones in the comment)', () => {
    expect(summary.match(/<details>/g) ?? []).toHaveLength(results.requirements.length);
    expect(summary.match(/<\/details>/g) ?? []).toHaveLength(results.requirements.length);
    const bad = results.requirements.filter((r) => r.verdict === 'failed' || r.verdict === 'error');
    expect(comment.match(/<details>/g) ?? []).toHaveLength(bad.length);
  });

  it('carries the sticky marker in the comment only, on the first line', () => {
    expect(comment.split('\n')[0]).toBe(STICKY_MARKER);
    expect(comment.split(STICKY_MARKER)).toHaveLength(2);
    expect(summary).not.toContain(STICKY_MARKER);
  });
});

describe('the verdict line', () => {
  it('names every blocking MUST, leaked objects, and never calls a simulated run ready', () => {
    const mixed = sample('mixed-1.35');
    const line = verdictLine(mixed);
    for (const r of blockingRequirements(mixed)) expect(line).toContain(r.id.replace(/_/g, '\\_'));
    expect(line).not.toContain('driver\\_runtime\\_management'); // a failed SHOULD does not block

    expect(verdictLine(sample('release-1.36'))).toContain('2 objects were left on the cluster after cleanup');

    const simulated = sample('simulated-1.35');
    expect(simulated.requirements.every((r) => r.verdict === 'passed')).toBe(true);
    expect(verdictLine(simulated)).toBe('**❌ Not ready, because** this run used a simulated cluster, which certifies nothing.');
    expect(renderSummary(simulated)).toContain('[!WARNING]');
    expect(renderSummary(simulated)).toContain('SIMULATION');
  });
});

describe('hostile cluster strings', () => {
  const hostile = withRequirement(sample('mixed-1.35'), 'gang_scheduling', {
    reason: HOSTILE.join(' '),
    summary: HOSTILE.join(' '),
    notes: HOSTILE.join(' '),
    checks: HOSTILE.map((s, i) => ({ name: s, verdict: 'failed' as const, reason: s, durationMs: i })),
    observations: HOSTILE.map((message, i) => ({ atMs: i, message })),
  });

  it.each(renderers)('are escaped in %s', (_, render) => {
    const text = render(hostile);
    expect(text).not.toContain('<script');
    expect(text).not.toContain('<img');
    expect(text).not.toContain('<!-- hide');
    expect(text).not.toMatch(/@(octocat|github)/);
    expect(text).not.toMatch(/(?<!\\)\]\(https:\/\/evil/);
    expect(text).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    expect(text).not.toContain('\u001b');
    // Only our own marker may open an HTML comment.
    expect(text.split('<!--').length - 1).toBe(render === renderComment ? 1 : 0);
    // Every table row still has exactly six unescaped pipes.
    for (const line of text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'))) {
      expect(line.replace(/\\\\/g, '').match(/(?<!\\)\|/g), line).toHaveLength(6);
    }
    // <details> blocks stay balanced.
    expect(text.match(/<details>/g)?.length).toBe(text.match(/<\/details>/g)?.length);
  });
});

function hugeRun(): RunResults {
  const big = 'x'.repeat(5000) + ' | <b> `y` @someone ';
  return withRequirement(sample('mixed-1.35'), 'gang_scheduling', {
    reason: big,
    observations: Array.from({ length: 10_000 }, (_, i) => ({ atMs: i, message: `${i} ${big}` })),
    checks: Array.from({ length: 500 }, (_, i) => ({ name: `check ${i}`, verdict: 'failed' as const, reason: big, durationMs: i })),
  });
}

describe('size limits', () => {
  const huge = hugeRun();

  it('keeps summary.md within 1 MiB and says it was shortened', () => {
    const text = renderSummary(huge);
    expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(Buffer.byteLength(text, 'utf8')).toBeGreaterThan(SUMMARY_MAX_BYTES - 8192); // it used the room
    expect(text).toContain('1 MiB job-summary limit');
    expect(text).toMatch(/more observations left out/);
    expect(text.match(/<details>/g)?.length).toBe(text.match(/<\/details>/g)?.length);
    expect(text).toContain('**❌ Not ready, because**');
  });

  it('keeps comment.md within 65,536 characters including the marker, pointing to the job summary', () => {
    const text = renderComment(huge);
    expect(text.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(text.startsWith(STICKY_MARKER)).toBe(true);
    expect(text).toContain('The full report is in the job summary');
    expect(text).toContain('artifact');
    expect(text.match(/<details>/g)?.length).toBe(text.match(/<\/details>/g)?.length);
    for (const r of huge.requirements) expect(text).toContain(`| ${r.id.replace(/_/g, '\\_')} |`);
  });

  it('gives every requirement a share of the room: one noisy requirement does not crowd out the details of the others', () => {
    const noisy = withRequirement(sample('mixed-1.35'), 'driver_runtime_management', {
      observations: Array.from({ length: 20_000 }, (_, i) => ({ atMs: i, message: `noise ${i} ${'n'.repeat(200)}` })),
    });
    const quiet = ['gang_scheduling', 'pod_autoscaling'].reduce(
      (results, id) =>
        withRequirement(results, id, {
          observations: Array.from({ length: 5 }, (_, i) => ({ atMs: i, message: `${id} step ${i}` })),
        }),
      noisy,
    );
    for (const text of [renderComment(quiet), renderSummary(quiet)]) {
      for (const id of ['gang_scheduling', 'pod_autoscaling'])
        for (let i = 0; i < 5; i += 1) expect(text).toContain(`${id.replace(/_/g, '\\_')} step ${i}`);
      expect(text).toMatch(/more observations left out \(size limit\)/);
      expect(text).not.toContain('more requirements left out');
      expect(text.match(/<details>/g)?.length).toBe(text.match(/<\/details>/g)?.length);
    }
    expect(renderComment(quiet).length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    // The room is used, not wasted on caution.
    expect(renderComment(quiet).length).toBeGreaterThan(COMMENT_MAX_CHARS - 8192);
  });

  it('counts multi-byte characters in bytes for the summary', () => {
    const emoji = withRequirement(sample('mixed-1.35'), 'gang_scheduling', {
      observations: Array.from({ length: 5000 }, (_, i) => ({ atMs: i, message: '🚀'.repeat(400) })),
    });
    expect(Buffer.byteLength(renderSummary(emoji), 'utf8')).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(renderComment(emoji).length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
  });

  it('does not mention truncation when everything fits', () => {
    expect(renderSummary(sample('mixed-1.35'))).not.toContain('shortened');
    expect(renderComment(sample('mixed-1.35'))).not.toContain('shortened');
  });
});

describe('baseline diff', () => {
  const baseline = sample('all-pass-1.35');
  const current = sample('mixed-1.35');

  it('finds newly failing, newly passing and other changes by id', () => {
    const diff = diffBaseline(current, baseline);
    expect(diff.newlyFailing.map((c) => [c.id, c.before, c.after])).toEqual([
      ['driver_runtime_management', 'passed', 'failed'],
      ['gang_scheduling', 'passed', 'failed'],
      ['pod_autoscaling', 'passed', 'error'],
    ]);
    expect(diff.newlyPassing).toEqual([]);
    expect(diff.otherChanges.map((c) => c.id)).toEqual(['gpu_sharing', 'virtualized_accelerator', 'cluster_autoscaling']);
    const back = diffBaseline(baseline, current);
    expect(back.newlyPassing.map((c) => c.id)).toEqual([
      'driver_runtime_management',
      'gpu_sharing',
      'virtualized_accelerator',
      'gang_scheduling',
      'cluster_autoscaling',
      'pod_autoscaling',
    ]);
    expect(back.newlyFailing).toEqual([]);
  });

  it('treats new and removed requirements as changes', () => {
    const other = sample('release-1.36');
    const diff = diffBaseline(other, current);
    expect(diff.sameVersion).toBe(false);
    expect(diff.removed.map((c) => c.id)).toEqual(['dra_support']);
    const added = diff.otherChanges.find((c) => c.id === 'high_performance_networking');
    expect(added?.after).toBe('not-applicable');
    expect(added).not.toHaveProperty('before');
  });

  it.each(renderers)('leads %s with what changed', (_, render) => {
    const text = render(current, { baseline });
    const lines = text.split('\n');
    const changed = lines.indexOf('### What changed');
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(lines.findIndex((l) => l.startsWith('| Requirement')));
    expect(text).toContain('**Newly failing (3)**');
    expect(text).toContain('- ❌ **gang\\_scheduling** (MUST): passed → failed — only 2 of 4 gang pods started');
    expect(text).toContain('- ⚠️ **pod\\_autoscaling** (MUST): passed → error — timed out');
    expect(text).not.toContain('Newly passing');
    const reverse = render(baseline, { baseline: current });
    expect(reverse).toContain('**Newly passing (6)**');
    expect(reverse).toContain('- ✅ **gang\\_scheduling** (MUST): failed → passed');
  });

  it('says so when nothing changed', () => {
    expect(renderSummary(current, { baseline: current })).toContain('No verdict changed.');
  });
});
