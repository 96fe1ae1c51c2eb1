// The kubeconfig provider: an existing cluster reached through a kubeconfig file, through
// kubeconfig content handed over in a secret (never on a command line), or from inside a pod.

import * as core from '@actions/core';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';

/** Environment variable the action passes kubeconfig content (or a path) through. */
export const KUBECONFIG_ENV = 'AI_CONFORMANCE_KUBECONFIG';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeconfigOptions {
  /** Path of a kubeconfig file. */
  kubeconfig?: string;
  /** Kubeconfig content, e.g. from a secret; written to a private temp file for the run. */
  kubeconfigContent?: string;
  context?: string;
  inCluster?: boolean;
  /** With no kubeconfig given or present, fall back to the service account (auto mode). */
  allowInClusterFallback?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Where the service account files live (tests). */
  serviceAccountDir?: string;
}

export interface KubeconfigCluster {
  mode: 'kubeconfig' | 'in-cluster';
  /** Undefined in-cluster: load the config from the service account instead. */
  kubeconfigPath: string | undefined;
  context?: string;
  cleanup(): Promise<void>;
}

/** A value holding kubeconfig content rather than a path: it has a newline or starts like YAML/JSON. */
export function looksLikeKubeconfigContent(value: string): boolean {
  const trimmed = value.trimStart();
  return value.includes('\n') || trimmed.startsWith('apiVersion:') || trimmed.startsWith('{');
}

/** Reads AI_CONFORMANCE_KUBECONFIG: content or a path, whichever it holds. */
export function kubeconfigFromEnv(env: NodeJS.ProcessEnv): Pick<KubeconfigOptions, 'kubeconfig' | 'kubeconfigContent'> {
  const value = env[KUBECONFIG_ENV];
  if (value === undefined || value.trim() === '') return {};
  return looksLikeKubeconfigContent(value) ? { kubeconfigContent: value } : { kubeconfig: value.trim() };
}

function defaultKubeconfigPath(env: NodeJS.ProcessEnv): string {
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).find((p) => p !== '');
  return fromEnv ?? path.join(env.HOME ?? homedir(), '.kube', 'config');
}

interface KubeconfigDoc {
  contexts?: Array<{ name?: string }>;
  'current-context'?: string;
}

/** Parses the kubeconfig just enough to check it is one and that the context exists. */
function checkKubeconfig(text: string, source: string, context: string | undefined): void {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    throw new UsageError(`${source} is not valid YAML`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${source} is not a kubeconfig`);
  const contexts = ((doc as KubeconfigDoc).contexts ?? []).map((c) => c.name).filter((n): n is string => typeof n === 'string');
  if (contexts.length === 0) throw new UsageError(`${source} has no contexts`);
  if (context !== undefined && !contexts.includes(context)) {
    throw new UsageError(`context '${context}' is not in ${source} (contexts: ${contexts.join(', ')})`);
  }
  if (context === undefined && !(doc as KubeconfigDoc)['current-context']) {
    throw new UsageError(`${source} has no current-context; pass --context (contexts: ${contexts.join(', ')})`);
  }
}

/** Registers the content with the runner's log masking, line by line as multi-line secrets need. */
function maskSecret(content: string, env: NodeJS.ProcessEnv): void {
  if (env.GITHUB_ACTIONS !== 'true') return; // outside Actions ::add-mask:: would print the secret
  core.setSecret(content);
  for (const line of content.split('\n')) {
    const value = line.includes(':') ? line.slice(line.indexOf(':') + 1).trim() : line.trim();
    if (value.length >= 16) core.setSecret(value);
  }
}

export async function connectKubeconfig(opts: KubeconfigOptions): Promise<KubeconfigCluster> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const given = opts.kubeconfig !== undefined || opts.kubeconfigContent !== undefined ? opts : { ...opts, ...kubeconfigFromEnv(env) };

  if (given.kubeconfigContent !== undefined) {
    maskSecret(given.kubeconfigContent, env);
    checkKubeconfig(given.kubeconfigContent, 'the kubeconfig content', opts.context);
    const dir = await mkdtemp(path.join(tmpdir(), 'ai-conformance-kubeconfig-'));
    const file = path.join(dir, 'kubeconfig');
    await writeFile(file, given.kubeconfigContent, { mode: 0o600 });
    await chmod(file, 0o600); // mode is subject to umask; make sure
    log('using kubeconfig content from the secret input (written to a private temp file)');
    return { mode: 'kubeconfig', kubeconfigPath: file, context: opts.context, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }

  const saDir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const inClusterAvailable = env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(path.join(saDir, 'token'));
  if (opts.inCluster || (opts.allowInClusterFallback === true && given.kubeconfig === undefined && !existsSync(defaultKubeconfigPath(env)) && inClusterAvailable)) {
    if (!inClusterAvailable) {
      throw new UsageError(`in-cluster mode needs KUBERNETES_SERVICE_HOST and a service account token at ${path.join(saDir, 'token')}`);
    }
    log('using the in-cluster service account');
    return { mode: 'in-cluster', kubeconfigPath: undefined, cleanup: async () => {} };
  }

  const file = given.kubeconfig ?? defaultKubeconfigPath(env);
  // A value from the secret input may be content we did not recognise (e.g. base64): never echo it.
  const fromSecret = opts.kubeconfig === undefined && given.kubeconfig !== undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (fromSecret) {
      maskSecret(file, env);
      throw new UsageError(`${KUBECONFIG_ENV} (the kubeconfig input) is neither a readable file nor kubeconfig YAML; pass the kubeconfig's content (not base64) or a path`);
    }
    throw new UsageError(`kubeconfig file ${file} cannot be read`);
  }
  checkKubeconfig(text, `kubeconfig ${file}`, opts.context);
  log(`using kubeconfig ${file}${opts.context ? ` (context ${opts.context})` : ''}`);
  return { mode: 'kubeconfig', kubeconfigPath: file, context: opts.context, cleanup: async () => {} };
}
