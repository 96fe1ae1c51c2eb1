// What GitHub Actions tells a run about where it runs: read once, at the front door, from the
// environment and the event payload, and handed to the layers that need it as plain data (the
// reporters never read the environment themselves).

import { readFileSync } from 'node:fs';

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
  /** Head repository differs from the base: GITHUB_TOKEN is read-only under `pull_request`. */
  fromFork: boolean;
  event: string;
}

export interface GitHubContext {
  /** The workflow run's URL, when running in Actions. */
  runUrl?: string;
  /**
   * True only when the event payload says the repository is public. Anything else (private,
   * internal, no payload) is false: links into the repository then 404 for anonymous readers.
   */
  publicRepository: boolean;
  pullRequest?: PullRequestRef;
  /** https://github.com/OWNER/REPO/blob/SHA: files of this commit are linked under it. */
  blobUrl?: string;
  /** GITHUB_WORKSPACE: the repository root for repo-relative paths. */
  workspace?: string;
  apiUrl?: string;
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
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function pullRequestOf(env: NodeJS.ProcessEnv, payload: EventPayload | undefined): PullRequestRef | undefined {
  const repository = env.GITHUB_REPOSITORY;
  const pr = payload?.pull_request;
  if (!repository || !pr || typeof pr.number !== 'number') return undefined;
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) return undefined;
  const head = pr.head?.repo?.full_name;
  const base = pr.base?.repo?.full_name ?? repository;
  return { owner, repo, number: pr.number, fromFork: head !== undefined && head !== base, event: env.GITHUB_EVENT_NAME ?? '' };
}

export function readGitHubContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const payload = readEvent(env);
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId, GITHUB_SHA: sha } = env;
  const pullRequest = pullRequestOf(env, payload);
  return {
    ...(server && repository && runId ? { runUrl: `${server}/${repository}/actions/runs/${runId}` } : {}),
    publicRepository: payload?.repository?.private === false,
    ...(pullRequest ? { pullRequest } : {}),
    ...(server && repository && sha ? { blobUrl: `${server}/${repository}/blob/${sha}` } : {}),
    ...(env.GITHUB_WORKSPACE ? { workspace: env.GITHUB_WORKSPACE } : {}),
    ...(env.GITHUB_API_URL ? { apiUrl: env.GITHUB_API_URL } : {}),
  };
}
