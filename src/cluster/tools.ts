// Runs the external tools the kind provider drives (kind, helm, kubectl, docker) with execa.
// Every failure becomes a one-line ProvisionError naming what failed; nothing here sleeps:
// waits are the tools' own (--wait, kubectl wait) or a watch read line by line.

import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { ProvisionError } from './errors.js';

export interface ToolContext {
  /** Environment for the tools; PATH decides which binaries run. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface ToolCall {
  /** What the call does, for messages: "create the kind cluster". */
  what: string;
  timeoutMs: number;
  /** Written to stdin (e.g. a manifest for `kubectl apply -f -`). */
  input?: string;
}

/** Where to get each tool, named in the error when it is missing. */
export const INSTALL_HINTS: Readonly<Record<string, string>> = {
  kind: 'install kind v0.33.0 (https://kind.sigs.k8s.io/docs/user/quick-start/#installation, e.g. `go install sigs.k8s.io/kind@v0.33.0`)',
  helm: 'install Helm 3.8+ (https://helm.sh/docs/intro/install/)',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/)',
  docker: 'install Docker Engine (https://docs.docker.com/engine/install/); kind runs its nodes as Docker containers',
};

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** The absolute path of an executable on the env's PATH, or undefined. */
export function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export function requireTool(name: string, env: NodeJS.ProcessEnv): string {
  const found = which(name, env);
  if (!found) throw new ProvisionError(`${name} not found on PATH: ${INSTALL_HINTS[name] ?? `install ${name}`}`);
  return found;
}

/** Runs a tool to completion and returns its stdout. */
export async function runTool(ctx: ToolContext, file: string, args: string[], call: ToolCall): Promise<string> {
  ctx.log(`$ ${path.basename(file)} ${args.join(' ')}`);
  const result = await execa(file, args, {
    env: ctx.env,
    extendEnv: false,
    reject: false,
    timeout: call.timeoutMs,
    cancelSignal: ctx.signal,
    input: call.input,
    stripFinalNewline: true,
  });
  if (!result.failed) return result.stdout;
  const name = path.basename(file);
  if (result.code === 'ENOENT') throw new ProvisionError(`${name} not found: ${INSTALL_HINTS[name] ?? `install ${name}`}`);
  if (result.timedOut) throw new ProvisionError(`timed out after ${formatMs(call.timeoutMs)} trying to ${call.what}`);
  if (result.isCanceled) throw new ProvisionError(`cancelled while trying to ${call.what}`);
  const detail = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.exitCode}`;
  throw new ProvisionError(`failed to ${call.what}: ${detail}`);
}

/**
 * Runs a watching tool (e.g. `kubectl get ... --watch -o name`) and resolves once `done` is true
 * for the lines seen so far; then stops the tool. Fails if the tool ends first or time runs out.
 */
export async function watchLines(
  ctx: ToolContext,
  file: string,
  args: string[],
  call: Omit<ToolCall, 'input'> & { done: (lines: string[]) => boolean; progress?: (lines: string[]) => string },
): Promise<string[]> {
  ctx.log(`$ ${path.basename(file)} ${args.join(' ')}`);
  const lines: string[] = [];
  const subprocess = execa(file, args, {
    env: ctx.env,
    extendEnv: false,
    reject: false,
    timeout: call.timeoutMs,
    cancelSignal: ctx.signal,
    buffer: { stdout: false, stderr: true },
    stdin: 'ignore',
  });
  let satisfied = false;
  subprocess.stdout.setEncoding('utf8');
  let pending = '';
  subprocess.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts.map((l) => l.trim()).filter((l) => l !== '')) lines.push(line);
    if (!satisfied && call.done(lines)) {
      satisfied = true;
      subprocess.kill();
    }
  });
  const result = await subprocess;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the stdout handler, which flow analysis does not follow
  if (satisfied) return lines;
  const name = path.basename(file);
  const seen = call.progress ? ` (${call.progress(lines)})` : '';
  if (result.code === 'ENOENT') throw new ProvisionError(`${name} not found: ${INSTALL_HINTS[name] ?? `install ${name}`}`);
  if (result.timedOut) throw new ProvisionError(`timed out after ${formatMs(call.timeoutMs)} waiting to ${call.what}${seen}`);
  if (result.isCanceled) throw new ProvisionError(`cancelled while waiting to ${call.what}${seen}`);
  const detail = firstLine(result.stderr) || `${name} exited with code ${result.exitCode}`;
  throw new ProvisionError(`failed waiting to ${call.what}: ${detail}${seen}`);
}

export function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
