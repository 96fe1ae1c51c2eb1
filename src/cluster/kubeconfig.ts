// The kubeconfig provider: an existing cluster reached through a kubeconfig file, through
// kubeconfig content handed over in a secret (never on a command line), or from inside a pod.

import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import { defaultKubeconfigSource, loadKubeconfig } from '../kube/kubeconfig.js';

/** Environment variable the action passes kubeconfig content (or a path) through. */
export const KUBECONFIG_ENV = 'AI_CONFORMANCE_KUBECONFIG';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeconfigOptions {
  /** Path of a kubeconfig file. */
  kubeconfig?: string;
  /** Kubeconfig content, e.g. from a secret; loaded from memory, never written to disk. */
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
  /** Loaded, merged and checked: nothing loads it again. */
  kubeConfig: KubeConfig;
  /** The context in use (undefined in-cluster). */
  context?: string;
  /** For messages: which file(s) or source it came from. */
  origin: string;
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
  const none = async () => {};

  if (given.kubeconfigContent !== undefined) {
    maskSecret(given.kubeconfigContent, env);
    // Loaded from memory: the secret never touches the disk.
    const loaded = loadKubeconfig({ kind: 'content', content: given.kubeconfigContent, label: 'the kubeconfig content' }, opts.context);
    log('using kubeconfig content from the secret input');
    return { mode: 'kubeconfig', kubeConfig: loaded.config, context: loaded.context, origin: loaded.origin, cleanup: none };
  }

  const saDir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const inClusterAvailable = env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(path.join(saDir, 'token'));
  const fallback = defaultKubeconfigSource(env, env.HOME ?? homedir());
  if (
    opts.inCluster ||
    (opts.allowInClusterFallback === true &&
      given.kubeconfig === undefined &&
      !fallback.files.some((f) => existsSync(f)) &&
      inClusterAvailable)
  ) {
    const loaded = loadKubeconfig({ kind: 'in-cluster', serviceAccountDir: saDir, env });
    log('using the in-cluster service account');
    return { mode: 'in-cluster', kubeConfig: loaded.config, origin: loaded.origin, cleanup: none };
  }

  // A value from the secret input may be content we did not recognise (e.g. base64): never echo it.
  const fromSecret = opts.kubeconfig === undefined ? given.kubeconfig : undefined;
  if (fromSecret !== undefined && !existsSync(fromSecret)) {
    maskSecret(fromSecret, env);
    throw new UsageError(
      `${KUBECONFIG_ENV} (the kubeconfig input) is neither a readable file nor kubeconfig YAML; pass the kubeconfig's content (not base64) or a path`,
    );
  }
  const source = given.kubeconfig !== undefined ? ({ kind: 'files', files: [given.kubeconfig], from: 'flag' } as const) : fallback;
  // Named in the run's first line, once the server answered (src/run/execute.ts).
  const loaded = loadKubeconfig(source, opts.context);
  return { mode: 'kubeconfig', kubeConfig: loaded.config, context: loaded.context, origin: loaded.origin, cleanup: none };
}
