// The tool's name and version as results.json records them (kept equal to package.json by a test).
export const TOOL = { name: 'k8s-ai-conformance', version: '0.1.0' } as const;

/** The GitHub Actions workflow run URL, when running in Actions. */
export function workflowRunUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env;
  return GITHUB_SERVER_URL && GITHUB_REPOSITORY && GITHUB_RUN_ID
    ? `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
    : undefined;
}
