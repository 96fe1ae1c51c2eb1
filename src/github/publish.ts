// After a run in GitHub Actions: the job summary, the sticky PR comment and the step outputs,
// all from the files the run left in its output directory. Anything GitHub refuses (fork PRs,
// missing permissions) becomes a notice, never a failed step.

import * as core from '@actions/core';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { countByVerdict, runOutcome, type RunResults } from '../model/results.js';
import { UsageError } from '../errors.js';
import { upsertStickyComment, type CommentOutcome } from './comment.js';
import { readGitHubContext, type GitHubContext } from './context.js';
import { writeJobSummary, type SummaryOutcome } from './summary.js';
import { REPORT_FILES, readResultsFile } from '../report/index.js';
import { markerFor } from '../report/github-limits.js';

export { markerFor } from '../report/github-limits.js';

export interface PublishOptions {
  outDir: string;
  comment: boolean;
  token?: string;
  /** Overrides the checklist path reported (default <out>/PRODUCT.yaml). */
  checklist?: string;
  /** The run's SARIF category: picks the sticky marker, so each matrix job keeps its own comment. */
  sarifCategory?: string;
  /** The GitHub context, read once by the front door; default: read from env. */
  github?: GitHubContext;
  /** Where GITHUB_STEP_SUMMARY (and, without `github`, the context) come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  baseUrl?: string;
  notice?: (message: string) => void;
}

export interface PublishOutcome {
  summary: SummaryOutcome;
  comment: CommentOutcome;
  outputs: Record<string, string>;
}

/** The run's results.json, with the same schema check as `report`. */
async function readResults(file: string): Promise<RunResults> {
  if (!existsSync(file)) throw new UsageError(`${file} is missing or not JSON; did the run write its reports?`);
  return readResultsFile(file);
}

function readOptional(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

export async function publish(opts: PublishOptions): Promise<PublishOutcome> {
  const env = opts.env ?? process.env;
  const notice = opts.notice ?? ((m: string) => core.notice(m));
  const out = path.resolve(opts.outDir);
  const results = await readResults(path.join(out, REPORT_FILES.model));
  const github = opts.github ?? readGitHubContext(env);
  const counts = countByVerdict(results);

  const summaryPath = path.join(out, REPORT_FILES.summary);
  const summaryText = readOptional(summaryPath);
  const summary: SummaryOutcome =
    summaryText === undefined ? { written: false, reason: `${summaryPath} not found` } : await writeJobSummary(summaryText, env);
  if (summary.written && summary.truncated)
    notice("The job summary was cut to fit GitHub's 1 MiB limit; see the artifact for the full report.");

  let comment: CommentOutcome;
  const pr = github.pullRequest;
  const commentFile = readOptional(path.join(out, REPORT_FILES.comment));
  const commentText = commentFile ?? summaryText;
  const marker = markerFor(opts.sarifCategory, commentFile);
  if (!opts.comment) comment = { action: 'skipped', reason: 'comment: off' };
  else if (!pr) comment = { action: 'skipped', reason: 'not a pull request run' };
  else if (pr.fromFork && pr.event === 'pull_request')
    comment = {
      action: 'skipped',
      reason: 'pull request from a fork: GITHUB_TOKEN is read-only, so no PR comment (the job summary has the report)',
    };
  else if (!opts.token) comment = { action: 'skipped', reason: 'no token to comment with' };
  else if (commentText === undefined) comment = { action: 'skipped', reason: 'no comment.md or summary.md in the output directory' };
  else comment = await upsertStickyComment({ token: opts.token, pr, body: commentText, marker, baseUrl: opts.baseUrl ?? github.apiUrl });
  if (comment.action === 'skipped' && opts.comment && pr) notice(`Sticky PR comment skipped: ${comment.reason}`);

  const checklist = opts.checklist ?? path.join(out, REPORT_FILES.product);
  const sarif = path.join(out, REPORT_FILES.sarif);
  const outputs: Record<string, string> = {
    result: runOutcome(results),
    passed: String(counts.passed),
    failed: String(counts.failed + counts.error),
    results: path.join(out, REPORT_FILES.model),
    checklist: existsSync(checklist) ? checklist : '',
    sarif: existsSync(sarif) ? sarif : '',
    summary: summaryText === undefined ? '' : summaryPath,
  };
  return { summary, comment, outputs };
}
