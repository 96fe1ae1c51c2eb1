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
  pull_request?: {
    number?: number;
    head?: { repo?: { full_name?: string } | null };
    base?: { repo?: { full_name?: string } };
  };
}

export function pullRequestFromEnv(env: NodeJS.ProcessEnv = process.env): PullRequestRef | undefined {
  const eventPath = env.GITHUB_EVENT_PATH;
  const repository = env.GITHUB_REPOSITORY;
  if (!eventPath || !repository) return undefined;
  let payload: EventPayload;
  try {
    payload = JSON.parse(readFileSync(eventPath, 'utf8')) as EventPayload;
  } catch {
    return undefined;
  }
  const pr = payload.pull_request;
  if (!pr || typeof pr.number !== 'number') return undefined;
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) return undefined;
  const head = pr.head?.repo?.full_name;
  const base = pr.base?.repo?.full_name ?? repository;
  return { owner, repo, number: pr.number, fromFork: head !== undefined && head !== base, event: env.GITHUB_EVENT_NAME ?? '' };
}
