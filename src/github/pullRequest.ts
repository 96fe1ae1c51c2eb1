// Which pull request (if any) this workflow run is for, and whether the repository is public:
// both from the GitHub context the front door reads once (src/github/context.ts).

import { readGitHubContext, type PullRequestRef } from './context.js';

export type { PullRequestRef } from './context.js';

export function repositoryIsPublic(env: NodeJS.ProcessEnv = process.env): boolean {
  return readGitHubContext(env).publicRepository;
}

export function pullRequestFromEnv(env: NodeJS.ProcessEnv = process.env): PullRequestRef | undefined {
  return readGitHubContext(env).pullRequest;
}
