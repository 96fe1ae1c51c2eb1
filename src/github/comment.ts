// The sticky PR comment: one comment per PR, found again by a hidden marker and edited in
// place, so reruns never pile up comments.

import { getOctokit } from '@actions/github';
import { COMMENT_MAX_CHARS, COMMENT_TRUNCATED_NOTE, STICKY_MARKER, truncateChars } from '../report/github-limits.js';
import type { PullRequestRef } from './context.js';

export { COMMENT_TRUNCATED_NOTE, STICKY_MARKER, STICKY_MARKER_LINE, stickyMarker } from '../report/github-limits.js';

export type CommentOutcome = { action: 'created' | 'updated'; id: number; truncated: boolean } | { action: 'skipped'; reason: string };

export interface StickyCommentOptions {
  token: string;
  pr: Pick<PullRequestRef, 'owner' | 'repo' | 'number'>;
  body: string;
  marker?: string;
  /** GitHub API base URL; defaults to GITHUB_API_URL or api.github.com. */
  baseUrl?: string;
}

/** The body as posted: marker guaranteed, within the size limit with the marker kept. */
export function stickyBody(body: string, marker: string = STICKY_MARKER): string {
  // First, because only a comment that starts with the marker is recognised as ours.
  const withMarker = body.startsWith(marker) ? body : `${marker}\n${body}`;
  return truncateChars(withMarker, COMMENT_MAX_CHARS, COMMENT_TRUNCATED_NOTE);
}

interface ListedComment {
  id: number;
  body?: string | null;
  user?: { login?: string; type?: string } | null;
}

/**
 * Ours: starts with the marker and was written by a bot (GITHUB_TOKEN posts as
 * github-actions[bot]) or by the account the token acts as (a personal access token posts as its
 * owner). Anyone on the PR can post the marker; editing their comment would put our report into
 * text they can change afterwards.
 */
export function isStickyComment(comment: ListedComment, marker: string, tokenLogin?: string): boolean {
  if (!(comment.body ?? '').startsWith(marker)) return false;
  return comment.user?.type === 'Bot' || (tokenLogin !== undefined && comment.user?.login === tokenLogin);
}

/** The login a personal access token acts as; an installation token (GITHUB_TOKEN) may not ask (403). */
async function loginOf(octokit: ReturnType<typeof getOctokit>): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.type === 'Bot' ? undefined : data.login;
  } catch {
    return undefined;
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = error.status;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

export async function upsertStickyComment(opts: StickyCommentOptions): Promise<CommentOutcome> {
  const marker = opts.marker ?? STICKY_MARKER;
  const body = stickyBody(opts.body, marker);
  const octokit = getOctokit(opts.token, opts.baseUrl ? { baseUrl: opts.baseUrl } : {});
  const { owner, repo, number } = opts.pr;
  try {
    // Pages through every comment (100 a page); the first opening with the marker, by a bot or by
    // the token's own account, is ours.
    const tokenLogin = await loginOf(octokit);
    let existing: { id: number } | undefined;
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: number,
      per_page: 100,
    })) {
      existing = page.data.find((c) => isStickyComment(c, marker, tokenLogin));
      if (existing) break;
    }
    const truncated = body.includes(COMMENT_TRUNCATED_NOTE) && !opts.body.includes(COMMENT_TRUNCATED_NOTE);
    if (existing) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
      return { action: 'updated', id: existing.id, truncated };
    }
    const created = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
    return { action: 'created', id: created.data.id, truncated };
  } catch (error) {
    const status = statusOf(error);
    if (status === 403 || status === 404) {
      return {
        action: 'skipped',
        reason: `the token cannot write PR comments (HTTP ${status}); on pull requests from forks GITHUB_TOKEN is read-only, otherwise grant 'pull-requests: write'`,
      };
    }
    throw error;
  }
}
