// Credentials client-node does not read the way kubectl does: a token file (trimmed, re-read as
// it rotates) and exec credential plugins (client.authentication.k8s.io), whose output is
// credentials are remembered as secret and whose stderr is shown only redacted: a failing plugin often prints
// the very token or key it was handling.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import type { Cluster, KubeConfig, User } from '@kubernetes/client-node';
import { redactSecrets, rememberSecrets, tokenShapedWords } from '../secrets.js';

/** The auth-provider name our users carry; client-node's own authenticators ignore it. */
export const AUTH_PROVIDER = 'ai-conformance';

export interface ExecConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
  apiVersion: string;
  /** The kubeconfig user, for messages. */
  user: string;
  provideClusterInfo: boolean;
}

// No key may be called `exec` or `tokenFile`: client-node's own authenticators would claim the user.
export type AuthProviderConfig = { kind: 'token-file'; path: string } | { kind: 'exec-plugin'; plugin: ExecConfig };

/** client-go re-reads a token file after a minute, so a rotated (projected) token is picked up. */
const TOKEN_FILE_TTL_MS = 60_000;
/** A plugin that neither answers nor fails is given up (kubectl would wait; a CI run must not). */
const EXEC_TIMEOUT_MS = 120_000;

interface Credential {
  token?: string;
  cert?: string;
  key?: string;
  /** ms since the epoch; undefined: valid for the whole run. */
  expiresAt?: number;
}

/** client-node does not export the interface by name. */
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

type RequestOptions = https.RequestOptions & { cert?: string | Buffer; key?: string | Buffer };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** One line of plugin text, redacted and bounded, for an error message. */
function shown(text: string): string {
  const line = redactSecrets(text).replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * The credentials in the plugin's output, remembered before anything is shown: the status token
 * and client key (the certificate is public), or, when the output is not JSON, its token-shaped
 * words; plain words and messages stay readable.
 */
function rememberOutput(stdout: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    rememberSecrets(...tokenShapedWords(stdout));
    return;
  }
  const status = isRecord(parsed) && isRecord(parsed.status) ? parsed.status : {};
  for (const field of ['token', 'clientKeyData']) if (typeof status[field] === 'string') rememberSecrets(status[field]);
}

export function runExecPlugin(exec: ExecConfig, cluster: Cluster | undefined): Promise<Credential> {
  const info = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo && cluster
        ? {
            cluster: {
              server: cluster.server,
              'insecure-skip-tls-verify': cluster.skipTLSVerify,
              ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
            },
          }
        : {}),
    },
  };
  const what = `exec credential plugin '${exec.command}' (kubeconfig user '${exec.user}')`;
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, exec.args, {
      env: { ...process.env, ...exec.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: EXEC_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'ENOENT'
            ? `${what} was not found (is it installed and on PATH?)`
            : `${what} could not start: ${error.code ?? error.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      rememberOutput(stdout);
      if (code !== 0) {
        const why = signal ? `was stopped by ${signal}` : `failed with exit code ${code}`;
        reject(new Error(`${what} ${why}${stderr.trim() ? `: ${shown(stderr)}` : ''}`));
        return;
      }
      let status: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(stdout);
        status = isRecord(parsed) && isRecord(parsed.status) ? parsed.status : undefined;
      } catch {
        status = undefined;
      }
      if (!status) {
        reject(new Error(`${what} did not print an ExecCredential (JSON with a status)`));
        return;
      }
      const str = (key: string) => (typeof status[key] === 'string' && status[key] !== '' ? status[key] : undefined);
      const token = str('token');
      const cert = str('clientCertificateData');
      const key = str('clientKeyData');
      if (!token && !(cert && key)) {
        reject(new Error(`${what} returned neither a token nor a client certificate and key`));
        return;
      }
      const expiry = str('expirationTimestamp');
      const expiresAt = expiry ? Date.parse(expiry) : undefined;
      resolve({ token, cert, key, expiresAt: Number.isNaN(expiresAt) ? undefined : expiresAt });
    });
  });
}

function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`cannot read the token file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  rememberSecrets(token);
  if (!token) throw new Error(`the token file ${file} is empty`);
  return token;
}

/** Authenticates the users src/kube/kubeconfig.ts marked with AUTH_PROVIDER. */
export class KubeconfigAuthenticator implements Authenticator {
  private cached: { credential: Credential; until: number } | undefined;
  private pending: Promise<Credential> | undefined;

  constructor(private readonly cluster: Cluster | undefined) {}

  isAuthProvider(user: User): boolean {
    return isRecord(user.authProvider) && user.authProvider.name === AUTH_PROVIDER;
  }

  async applyAuthentication(user: User, opts: RequestOptions): Promise<void> {
    const credential = await this.credential((user.authProvider as { config: AuthProviderConfig }).config);
    opts.headers ??= {};
    if (credential.token) (opts.headers as Record<string, string>).Authorization = `Bearer ${credential.token}`;
    if (credential.cert) opts.cert = credential.cert;
    if (credential.key) opts.key = credential.key;
  }

  private async credential(config: AuthProviderConfig): Promise<Credential> {
    const now = Date.now();
    if (this.cached && this.cached.until > now) return this.cached.credential;
    if (config.kind === 'token-file') {
      const credential = { token: readTokenFile(config.path) };
      this.cached = { credential, until: now + TOKEN_FILE_TTL_MS };
      return credential;
    }
    // Concurrent requests share one plugin run.
    this.pending ??= runExecPlugin(config.plugin, this.cluster).finally(() => {
      this.pending = undefined;
    });
    const credential = await this.pending;
    // Renewed a little before it expires, so a request never goes out with a stale token.
    this.cached = { credential, until: credential.expiresAt === undefined ? Number.POSITIVE_INFINITY : credential.expiresAt - 10_000 };
    return credential;
  }
}
