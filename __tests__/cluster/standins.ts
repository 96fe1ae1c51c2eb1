// Stand-in `kind`, `helm`, `kubectl` and `docker` executables for the provider tests. Each
// appends its argv (unit-separated) to a log so tests can assert exact command lines; env
// variables make them fail the ways the real tools do.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const RECORD = `{ printf '%s' "\${0##*/}"; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; } >> "$STANDIN_LOG"`;

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: kind-ai-conformance
  cluster: {server: 'https://127.0.0.1:6443'}
contexts:
- name: kind-ai-conformance
  context: {cluster: kind-ai-conformance, user: kind-ai-conformance}
current-context: kind-ai-conformance
users:
- name: kind-ai-conformance
  user: {token: not-a-real-token}
`;

const SCRIPTS: Record<string, string> = {
  docker: `#!/bin/sh
${RECORD}
if [ -n "$STANDIN_DOCKER_DOWN" ]; then
  echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
  exit 1
fi
if [ "$1" = inspect ]; then echo "$STANDIN_NODE_IMAGE"; exit 0; fi
if [ "$1" = exec ] && [ "$2" = "$STANDIN_DOCKER_EXEC_FAIL" ]; then
  echo "runsc: FAILED"
  echo "sha512sum: WARNING: 1 computed checksum did NOT match" >&2
  exit 1
fi
if [ "$1" = exec ]; then echo "runsc version release-20260622.0"; exit 0; fi
echo 27.3.1
`,
  kind: `#!/bin/sh
${RECORD}
case "$1 $2" in
  "get clusters")
    if [ -n "$STANDIN_KIND_CLUSTERS" ]; then echo "$STANDIN_KIND_CLUSTERS"; else echo "No kind clusters found." >&2; fi ;;
  "create cluster")
    if [ -n "$STANDIN_KIND_CREATE_FAIL" ]; then
      echo "ERROR: failed to create cluster: failed to pull image \\"kindest/node\\": exit status 1" >&2
      exit 1
    fi
    while [ $# -gt 0 ]; do
      case "$1" in
        --config) /usr/bin/cat "$2" > "$STANDIN_DIR/kind-config.yaml" ;;
        --kubeconfig) printf '%s' "$STANDIN_KUBECONFIG" > "$2" ;;
      esac
      shift
    done ;;
  "get kubeconfig") printf '%s' "$STANDIN_KUBECONFIG" ;;
  "delete cluster") echo "Deleting cluster ..." >&2 ;;
esac
`,
  helm: `#!/bin/sh
${RECORD}
for a in "$@"; do
  if [ "$a" = "-" ]; then /usr/bin/cat >> "$STANDIN_DIR/stdin.log"; fi
done
if [ -n "$STANDIN_HELM_FAIL" ] && [ "$3" = "$STANDIN_HELM_FAIL" ]; then
  echo "Error: INSTALLATION FAILED: context deadline exceeded" >&2
  exit 1
fi
`,
  kubectl: `#!/bin/sh
${RECORD}
for a in "$@"; do
  if [ "$a" = "resourceslices" ]; then
    for s in $STANDIN_SLICES; do echo "resourceslice.resource.k8s.io/$s"; done
    # A watch stays open until its caller stops it.
    exec /usr/bin/sleep 60
  fi
  if [ "$a" = "-" ]; then /usr/bin/cat >> "$STANDIN_DIR/stdin.log"; fi
done
`,
};

export interface StandIns {
  dir: string;
  bin: string;
  env: NodeJS.ProcessEnv;
  /** Recorded command lines, each as argv with the tool name first. */
  calls(): string[][];
  kindConfig(): string | undefined;
  cleanup(): void;
}

export function makeStandIns(tools: string[] = ['docker', 'kind', 'helm', 'kubectl'], extraEnv: NodeJS.ProcessEnv = {}): StandIns {
  const dir = mkdtempSync(path.join(tmpdir(), 'standins-'));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  writeFileSync(log, '');
  mkdirSync(bin, { recursive: true });
  for (const tool of tools) {
    const file = path.join(bin, tool);
    writeFileSync(file, SCRIPTS[tool] ?? '');
    chmodSync(file, 0o755);
  }
  const env: NodeJS.ProcessEnv = {
    PATH: bin,
    HOME: dir,
    STANDIN_LOG: log,
    STANDIN_DIR: dir,
    STANDIN_KUBECONFIG: KUBECONFIG,
    STANDIN_SLICES: 'ai-conformance-worker-gpu.example.com-a1 ai-conformance-worker2-gpu.example.com-b2',
    ...extraEnv,
  };
  return {
    dir,
    bin,
    env,
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\x1f')),
    kindConfig: () => {
      const file = path.join(dir, 'kind-config.yaml');
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The error a promise rejects with; the test fails when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}
