// summary.md (the job summary, ≤ 1 MiB) and comment.md (the sticky PR comment, ≤ 65,536
// characters). Both lead with the verdict and, given a baseline, with what changed; then a table
// per category and the details of each requirement folded in <details>. Every string that came
// from the cluster or from results.json goes through escape.ts first.

import type { RequirementResult, RunResults } from '../model/results.js';
import { countByVerdict, isReadyToSubmit, leftOutMusts, platformFacts, runOutcome, unprovenMusts, VERDICTS } from '../model/results.js';
import { diffBaseline, hasChanges, type VerdictChange } from './baseline.js';
import { BoundedText, utf16Units, utf8Bytes, type Measure } from './budget.js';
import { COMMENT_MAX_CHARS, STICKY_MARKER, STICKY_MARKER_LINE, SUMMARY_MAX_BYTES } from './github-limits.js';
import { escapeHtml, escapeMarkdown as md, truncateText } from './escape.js';
import { cleanupLines } from './cleanup.js';
import { factText, replacedProbeSentence, replacedProbes } from './format.js';
import { byCategory, categoryTitle, clusterDescription, formatDuration, formatOffset, VERDICT_EMOJI, VERDICT_LABEL } from './format.js';

// The limits and the sticky marker live in ./github-limits.ts; re-exported for the writers' callers.
export { COMMENT_MAX_CHARS, STICKY_MARKER, STICKY_MARKER_LINE, SUMMARY_MAX_BYTES, stickyMarker } from './github-limits.js';

export interface MarkdownOptions {
  baseline?: RunResults;
  /** The requirement's entry in the user's PRODUCT.yaml, when the repository has one. */
  checklistEntry?: (requirementId: string) => { path: string; startLine: number; url?: string } | undefined;
  /** The comment's sticky marker (see stickyMarker); default STICKY_MARKER. */
  marker?: string;
  /** What `validate` said about the submission folder this run wrote. */
  validation?: SubmissionCheck;
}

/** The result of validating the written submission folder, as the reports show it. */
export interface SubmissionCheck {
  /** The PRODUCT.yaml that was validated, as the user sees its path. */
  file: string;
  valid: boolean;
  /** One line each, without the file name. */
  errors: string[];
  warnings: string[];
}

function validationLines(check: SubmissionCheck, max: number): string[] {
  const lines = [
    check.valid
      ? `**Submission folder:** \`${md(check.file)}\` passes the CNCF validator's rules${check.warnings.length ? ` with ${check.warnings.length} warning(s)` : ''}.\n`
      : `**Submission folder:** \`${md(check.file)}\` fails the CNCF validator's rules (${check.errors.length} error(s)):\n`,
  ];
  for (const error of check.errors.slice(0, 20)) lines.push(`- ❌ ${cell(error, max)}\n`);
  if (check.errors.length > 20) lines.push(`- … and ${check.errors.length - 20} more (run \`ai-conformance validate\`)\n`);
  for (const warning of check.warnings.slice(0, 10)) lines.push(`- ⚠️ ${cell(warning, max)}\n`);
  lines.push('\n');
  return lines;
}

function entryLine(r: RequirementResult, options: MarkdownOptions): string[] {
  const entry = options.checklistEntry?.(r.id);
  if (!entry) return [];
  const label = `${md(entry.path)} line ${entry.startLine}`;
  const link = entry.url && /^https:\/\/[^\s<>()"'`\\]+$/.test(entry.url) ? `[${label}](${entry.url})` : label;
  return [`**Checklist entry:** ${link}\n`, '\n'];
}

interface Layout {
  limit: number;
  measure: Measure;
  /** Longest reason shown in a table cell or change line, before escaping. */
  reasonMax: number;
  /** Longest observation or check reason shown in details, before escaping. */
  detailMax: number;
  /** Which requirements get a <details> block. */
  details: (r: RequirementResult) => boolean;
  truncationNote: (results: RunResults) => string;
  marker?: string;
}

// Room for the closing note, footer and one `</details>`; each of those is bounded in length.
const RESERVE = 4096;

function safeLink(url: string | undefined, label: string): string | undefined {
  if (!url) return undefined;
  const clean = truncateText(url, 500);
  return /^https?:\/\/[^\s<>()"'`\\]+$/.test(clean) ? `[${label}](${clean})` : `${label}: ${md(clean)}`;
}

function cell(text: string, max: number): string {
  return md(truncateText(text, max));
}

function notReadyReasons(results: RunResults): string[] {
  const reasons: string[] = [];
  const blocking = unprovenMusts(results);
  if (blocking.length > 0) {
    const shown = blocking.slice(0, 20).map((r) => `${md(r.id)} (${VERDICT_LABEL[r.verdict]})`);
    const more = blocking.length > shown.length ? `, and ${blocking.length - shown.length} more` : '';
    const noun = blocking.length === 1 ? 'requirement did' : 'requirements did';
    reasons.push(`${blocking.length} MUST ${noun} not pass: ${shown.join(', ')}${more}`);
  }
  if (results.interrupted) reasons.push(`the run was cut short (${md(results.interrupted)}), so these results are partial`);
  const leftOut = leftOutMusts(results);
  if (leftOut.length > 0)
    reasons.push(
      `${leftOut.length} MUST requirement(s) were left out with --only/--skip/--level (${leftOut
        .slice(0, 10)
        .map((r) => md(r.id))
        .join(', ')}), so the result is partial`,
    );
  if (results.leaked > 0)
    reasons.push(`${results.leaked} object${results.leaked === 1 ? ' was' : 's were'} left on the cluster after cleanup`);
  if (results.cluster.simulated) reasons.push('this run used a simulated cluster, which certifies nothing');
  return reasons;
}

/** The one-line verdict both the summary and the comment lead with. */
export function verdictLine(results: RunResults, validation?: SubmissionCheck): string {
  if (isReadyToSubmit(results) && validation?.valid !== false) return '**✅ Ready to submit.** Every MUST requirement passed.';
  if (isReadyToSubmit(results)) return '**❌ Not ready, because** the submission folder fails the CNCF validator (see below).';
  return `**❌ Not ready, because** ${notReadyReasons(results).join('; ')}.`;
}

function changeLine(change: VerdictChange, reasonMax: number): string {
  const before = change.before ? VERDICT_LABEL[change.before] : 'not in baseline';
  const after = change.after ? VERDICT_LABEL[change.after] : 'not in this run';
  const emoji = change.after ? VERDICT_EMOJI[change.after] : '➖';
  return `- ${emoji} **${md(change.id)}** (${change.level}): ${before} → ${after} — ${cell(change.reason, reasonMax)}\n`;
}

function whatChanged(results: RunResults, baseline: RunResults, reasonMax: number): string[] {
  const diff = diffBaseline(results, baseline);
  const lines = ['### What changed\n', '\n'];
  const version = diff.sameVersion ? '' : ` (Kubernetes v${baseline.kubernetesVersion}; this run is v${results.kubernetesVersion})`;
  lines.push(`Compared with the baseline run ${md(baseline.runId)} of ${md(baseline.startedAt)}${version}.\n`, '\n');
  if (!hasChanges(diff)) {
    lines.push('No verdict changed.\n', '\n');
    return lines;
  }
  const groups: [string, VerdictChange[]][] = [
    ['Newly failing', diff.newlyFailing],
    ['Newly passing', diff.newlyPassing],
    ['Other changes', diff.otherChanges],
    ['No longer checked', diff.removed],
  ];
  for (const [title, changes] of groups) {
    if (changes.length === 0) continue;
    lines.push(`**${title} (${changes.length})**\n`, '\n');
    for (const change of changes) lines.push(changeLine(change, reasonMax));
    lines.push('\n');
  }
  return lines;
}

function statsLine(results: RunResults): string {
  const counts = countByVerdict(results);
  const parts = VERDICTS.filter((v) => counts[v] > 0).map((v) => `${VERDICT_EMOJI[v]} ${counts[v]} ${VERDICT_LABEL[v]}`);
  const accelerator = results.accelerator ? ` · accelerator ${md(results.accelerator.profile)}` : '';
  return (
    `Kubernetes v${results.kubernetesVersion} · ${results.requirements.length} requirements: ${parts.join(' · ')}` +
    `\nCluster: ${md(clusterDescription(results))}${accelerator} · took ${formatDuration(results.durationMs)} · run ${md(results.runId)}\n`
  );
}

/** The components the probes found on the platform, with their versions ("version not found" when none is stated). */
function platformLines(results: RunResults, reasonMax: number): string[] {
  const facts = platformFacts(results);
  if (facts.length === 0) return [];
  const lines = ['### Platform\n\n', '| Component | Version and where it was read | Reported by |\n| --- | --- | --- |\n'];
  for (const fact of facts)
    lines.push(`| ${cell(fact.component, 100)} | ${cell(factText(fact), reasonMax)} | ${cell(fact.requirements.join(', '), 200)} |\n`);
  lines.push('\n');
  return lines;
}

function tableRow(r: RequirementResult, reasonMax: number): string {
  return `| ${md(r.id)}${r.proposed ? ' (proposed)' : ''} | ${r.level} | ${VERDICT_EMOJI[r.verdict]} ${VERDICT_LABEL[r.verdict]} | ${formatDuration(r.durationMs)} | ${cell(r.reason, reasonMax)} |\n`;
}

/** A requirement's <details>, in pieces: a probe may have recorded thousands of observations. */
interface DetailsPieces {
  head: string;
  lists: { title: string; count: number; item: (i: number) => string }[];
}

function detailsPieces(r: RequirementResult, layout: Layout, options: MarkdownOptions): DetailsPieces {
  const head = [
    `<details><summary>${VERDICT_EMOJI[r.verdict]} ${escapeHtml(r.id)}: ${VERDICT_LABEL[r.verdict]} (${r.level}, ${formatDuration(r.durationMs)})</summary>\n`,
    '\n',
    `${cell(r.summary, layout.detailMax)}\n`,
    '\n',
    `**Reason:** ${cell(r.reason, layout.detailMax)}\n`,
    ...(r.notes ? ['\n', `**Notes:** ${cell(r.notes, layout.detailMax)}\n`] : []),
    '\n',
    ...entryLine(r, options),
  ].join('');
  const check = (i: number): string => {
    const c = r.checks[i];
    return `- ${VERDICT_EMOJI[c.verdict]} ${cell(c.name, 200)} (${formatDuration(c.durationMs)}): ${cell(c.reason, layout.detailMax)}\n`;
  };
  const observation = (i: number): string => {
    const o = r.observations[i];
    return `- ${formatOffset(o.atMs)} ${cell(o.message, layout.detailMax)}\n`;
  };
  return {
    head,
    lists: [
      { title: 'Checks', count: r.checks.length, item: check },
      { title: 'Observations', count: r.observations.length, item: observation },
    ],
  };
}

/** Room kept in each requirement's share for its "left out" notes and closing tag. */
const NOTES_ROOM = 400;

/** What the whole <details> of a requirement would take. */
function detailsSize(pieces: DetailsPieces, measure: Measure): number {
  let size = measure(pieces.head) + measure('</details>\n\n');
  for (const list of pieces.lists) {
    // Its heading, and the blank line that closes it.
    if (list.count > 0) size += measure(`**${list.title}**\n\n`) + measure('\n');
    for (let i = 0; i < list.count; i += 1) size += measure(list.item(i));
  }
  return size;
}

/** Max-min fair shares of the room: each gets what it needs or an equal part of what is left. */
function fairShares(needs: number[], room: number): number[] {
  const shares = needs.map(() => 0);
  let left = room;
  const order = needs.map((need, index) => ({ need, index })).sort((a, b) => a.need - b.need);
  order.forEach(({ need, index }, k) => {
    const share = Math.min(need, Math.floor(left / (order.length - k)));
    shares[index] = share;
    left -= share;
  });
  return shares;
}

/**
 * Adds a requirement's <details>; its checks and observations go in one by one until its share of
 * the budget is spent, so one requirement with thousands of observations cannot leave the others
 * without details. False when not even its heading fitted.
 */
function addDetails(out: BoundedText, pieces: DetailsPieces, share: number, need: number, measure: Measure): boolean {
  const start = out.remaining();
  // Cut short, it keeps room in its share for the notes that say what was left out.
  const capped = share < need;
  const withinShare = (text: string): boolean => {
    const fits = !capped || start - out.remaining() + measure(text) + NOTES_ROOM <= share;
    if (!fits) out.truncated = true;
    return fits;
  };
  if (!out.add(pieces.head)) return false;
  let room = true;
  for (const { title, count, item } of pieces.lists) {
    if (count === 0) continue;
    const heading = `**${title}**\n\n`;
    if (!room || !withinShare(heading) || !out.add(heading)) {
      room = false;
      out.close(`_${count} ${title.toLowerCase()} left out (size limit); see e2e.log_\n\n`);
      continue;
    }
    let shown = 0;
    while (shown < count) {
      const text = item(shown);
      if (!withinShare(text) || !out.add(text)) break;
      shown += 1;
    }
    if (shown < count) {
      room = false;
      out.close(`- … ${count - shown} more ${title.toLowerCase()} left out (size limit); see e2e.log\n`);
    }
    out.close('\n');
  }
  out.close('</details>\n\n');
  return true;
}

function render(results: RunResults, options: MarkdownOptions, layout: Layout): string {
  const out = new BoundedText(layout.limit, layout.measure, RESERVE);
  const head: string[] = [];
  if (layout.marker) head.push(`${layout.marker}\n`);
  head.push(`## Kubernetes AI Conformance v${results.kubernetesVersion}\n`, '\n', `${verdictLine(results, options.validation)}\n`, '\n');
  if (results.cluster.simulated) {
    head.push(
      '> [!WARNING]\n> **SIMULATION.** These results come from a simulated cluster. They certify nothing and must not be submitted.\n',
      '\n',
    );
  }
  for (const replaced of replacedProbes(results)) {
    head.push(`> [!CAUTION]\n> **Built-in probe replaced.** ${md(replacedProbeSentence(replaced))}\n`, '\n');
  }
  head.push(`**Result:** ${runOutcome(results)}\n`, '\n');
  for (const piece of head) out.close(piece);
  const cleanup = cleanupLines(results);
  if (cleanup.leftovers.length > 0) {
    out.add(`### Left on the cluster\n\n`);
    for (const leftover of cleanup.leftovers) if (!out.add(`- ${cell(leftover, 300)}\n`)) break;
    // The command names only kubectl resource names and the run label (cleanup.ts checks them).
    if (cleanup.command) out.add(`\nDelete it with:\n\n\`\`\`\n${cleanup.command}\n\`\`\`\n`);
    out.add('\n');
  }
  if (options.validation) for (const line of validationLines(options.validation, layout.reasonMax)) if (!out.add(line)) break;
  if (options.baseline) {
    for (const line of whatChanged(results, options.baseline, layout.reasonMax)) if (!out.add(line)) break;
  }
  out.add(`${statsLine(results)}\n`);
  for (const line of platformLines(results, layout.reasonMax)) if (!out.add(line)) break;

  let tablesComplete = !out.truncated;
  for (const [category, requirements] of byCategory(results)) {
    if (!tablesComplete) break;
    if (
      !out.add(
        `### ${md(categoryTitle(category))}\n\n| Requirement | Level | Status | Duration | Reason |\n| --- | --- | --- | --- | --- |\n`,
      )
    ) {
      tablesComplete = false;
      break;
    }
    let shown = 0;
    for (const r of requirements) {
      if (!out.add(tableRow(r, layout.reasonMax))) break;
      shown += 1;
    }
    if (shown < requirements.length) {
      tablesComplete = false;
      out.close(`\n_… ${requirements.length - shown} more rows left out (size limit)._\n`);
    }
    out.close('\n');
  }

  const detailed = results.requirements.filter(layout.details);
  if (tablesComplete && detailed.length > 0 && out.add('### Details\n\n')) {
    const pieces = detailed.map((r) => detailsPieces(r, layout, options));
    const needs = pieces.map((p) => detailsSize(p, layout.measure));
    const shares = fairShares(needs, out.remaining());
    let done = 0;
    while (done < pieces.length && addDetails(out, pieces[done], shares[done], needs[done], layout.measure)) done += 1;
    if (done < detailed.length) out.close(`_Details of ${detailed.length - done} more requirements left out (size limit)._\n\n`);
  }

  if (out.truncated) out.close(`${layout.truncationNote(results)}\n\n`);
  const run = safeLink(results.runUrl, 'Workflow run');
  out.close(`<sub>${md(`${results.tool.name} ${results.tool.version}`)}${run ? ` · ${run}` : ''}</sub>\n`);
  return out.toString();
}

function artifactPointer(results: RunResults): string {
  const run = safeLink(results.runUrl, 'the workflow run');
  return `the report artifact (summary.md, e2e.log, ai-conformance.json)${run ? ` of ${run}` : ''}`;
}

export function renderSummary(results: RunResults, options: MarkdownOptions = {}): string {
  return render(results, options, {
    limit: SUMMARY_MAX_BYTES,
    measure: utf8Bytes,
    reasonMax: 500,
    detailMax: 2000,
    details: () => true,
    truncationNote: (r) =>
      `> [!NOTE]\n> This summary was shortened to stay within GitHub's 1 MiB job-summary limit. Everything is in ${artifactPointer(r)}.`,
  });
}

export function renderComment(results: RunResults, options: MarkdownOptions = {}): string {
  return render(results, options, {
    limit: COMMENT_MAX_CHARS,
    measure: utf16Units,
    reasonMax: 200,
    detailMax: 300,
    details: (r) => r.verdict === 'failed' || r.verdict === 'error',
    marker: options.marker !== undefined && STICKY_MARKER_LINE.test(options.marker) ? options.marker : STICKY_MARKER,
    truncationNote: (r) =>
      `> [!NOTE]\n> This comment was shortened to stay within GitHub's 65,536-character limit. The full report is in the job summary and in ${artifactPointer(r)}.`,
  });
}
