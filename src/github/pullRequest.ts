// Which pull request (if any) this workflow run is for, read from the event payload the runner
// writes, and whether it comes from a fork (whose token cannot write comments or alerts).

import { readFileSync } from 'node:fs';

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
  /** Head repository differs from the base: GITHUB_TOKEN is read-only under `pull_request`. */
  fromFork: boolean;
  event: string;
}

interface EventPayload {
  repository?: { private?: unknown };
  pull_request?: {
    number?: number;
    head?: { repo?: { full_name?: string } | null };
    base?: { repo?: { full_name?: string } };
  };
}

/** The event payload the runner wrote, or undefined outside Actions or when it is unreadable. */
function readEvent(env: NodeJS.ProcessEnv): EventPayload | undefined {
  const eventPath = env.GITHUB_EVENT_PATH;
  if (!eventPath) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(eventPath, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as EventPayload) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True only when the event payload says the repository is public. Anything else (private,
 * internal, no payload) is false: links into the repository then 404 for anonymous readers.
 */
export function repositoryIsPublic(env: NodeJS.ProcessEnv = process.env): boolean {
  return readEvent(env)?.repository?.private === false;
}

export function pullRequestFromEnv(env: NodeJS.ProcessEnv = process.env): PullRequestRef | undefined {
  const repository = env.GITHUB_REPOSITORY;
  const payload = readEvent(env);
  if (!payload || !repository) return undefined;
  const pr = payload.pull_request;
  if (!pr || typeof pr.number !== 'number') return undefined;
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) return undefined;
  const head = pr.head?.repo?.full_name;
  const base = pr.base?.repo?.full_name ?? repository;
  return { owner, repo, number: pr.number, fromFork: head !== undefined && head !== base, event: env.GITHUB_EVENT_NAME ?? '' };
}
