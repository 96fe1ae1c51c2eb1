// The job summary: the run's summary.md, written to $GITHUB_STEP_SUMMARY within GitHub's 1 MiB.

import { appendFile } from 'node:fs/promises';
import { SUMMARY_MAX_BYTES, SUMMARY_TRUNCATED_NOTE, truncateBytes } from '../report/github-limits.js';

export { SUMMARY_TRUNCATED_NOTE } from '../report/github-limits.js';

export type SummaryOutcome = { written: true; bytes: number; truncated: boolean } | { written: false; reason: string };

export async function writeJobSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<SummaryOutcome> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return { written: false, reason: 'GITHUB_STEP_SUMMARY is not set (not running in GitHub Actions)' };
  const body = truncateBytes(markdown, SUMMARY_MAX_BYTES, SUMMARY_TRUNCATED_NOTE);
  // Appending, as the runner expects; each step gets its own file.
  await appendFile(file, body, 'utf8');
  return { written: true, bytes: Buffer.byteLength(body, 'utf8'), truncated: body !== markdown };
}
