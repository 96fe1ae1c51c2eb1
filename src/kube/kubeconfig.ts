// Loading kubeconfigs the way kubectl does (client-go's clientcmd rules), into one KubeConfig:
//   - several files (KUBECONFIG=a:b) are merged: the first file to define a cluster, user or
//     context name wins it whole, and the first current-context set wins; missing files in the
//     list are skipped, as kubectl skips them;
//   - relative paths (certificate-authority, client-certificate, client-key, tokenFile, and an
//     exec command with a slash) are relative to the file that names them;
//   - `tokenFile` (and client-node's `token-file`) is read with surrounding whitespace trimmed;
//   - exec credential plugins run through src/kube/auth.ts, which redacts what they print;
//   - a context without a user still gets its cluster's CA and insecure-skip-tls-verify.
// Every credential value is remembered by src/secrets.ts, so no output can carry it. Every file
// a context refers to is checked here, before anything connects: a missing one is exit 2.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import { isCredentialSetting, rememberSecrets } from '../secrets.js';
import { AUTH_PROVIDER, KubeconfigAuthenticator, type AuthProviderConfig, type ExecConfig } from './auth.js';

/** Where a kubeconfig comes from. */
export type KubeconfigSource =
  | { kind: 'files'; files: readonly string[]; from: 'flag' | 'KUBECONFIG' | 'default' }
  | { kind: 'content'; content: string; label: string }
  | { kind: 'in-cluster'; serviceAccountDir: string; env: NodeJS.ProcessEnv };

export interface LoadedKubeconfig {
  config: KubeConfig;
  /** The context in use (undefined in-cluster). */
  context: string | undefined;
  /** For messages: "kubeconfig /home/me/.kube/config", "the service account", … */
  origin: string;
}

type RawRecord = Record<string, unknown>;
interface Named {
  name: string;
  body: RawRecord;
  /** Directory relative paths in this entry are resolved against. */
  base: string;
}
interface RawConfig {
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  currentContext?: string;
}

const isRecord = (value: unknown): value is RawRecord => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function entries(
  doc: RawRecord,
  key: 'clusters' | 'users' | 'contexts',
  field: 'cluster' | 'user' | 'context',
  base: string,
  source: string,
): Named[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new UsageError(`${source}: ${key} is not a list`);
  return list.map((item: unknown, index) => {
    const name = isRecord(item) ? text(item.name) : undefined;
    if (!isRecord(item) || !name) throw new UsageError(`${source}: ${key}[${index}] has no name`);
    const body = item[field];
    return { name, body: isRecord(body) ? body : {}, base };
  });
}

function parseKubeconfig(content: string, source: string, base: string): RawConfig {
  let doc: unknown;
  try {
    doc = parse(content);
  } catch {
    // The parser's message can quote the content; name the source only.
    throw new UsageError(`${source} is not valid YAML`);
  }
  if (doc === null || doc === undefined) return { clusters: [], users: [], contexts: [] }; // an empty file, as kubectl allows
  if (!isRecord(doc)) throw new UsageError(`${source} is not a kubeconfig`);
  return {
    clusters: entries(doc, 'clusters', 'cluster', base, source),
    users: entries(doc, 'users', 'user', base, source),
    contexts: entries(doc, 'contexts', 'context', base, source),
    currentContext: text(doc['current-context']),
  };
}

/** kubectl's merge: the first definition of each name wins, and the first current-context. */
function merge(configs: readonly RawConfig[]): RawConfig {
  const pick = (lists: Named[][]) => {
    const seen = new Map<string, Named>();
    for (const list of lists) for (const entry of list) if (!seen.has(entry.name)) seen.set(entry.name, entry);
    return [...seen.values()];
  };
  return {
    clusters: pick(configs.map((c) => c.clusters)),
    users: pick(configs.map((c) => c.users)),
    contexts: pick(configs.map((c) => c.contexts)),
    currentContext: configs.find((c) => c.currentContext)?.currentContext,
  };
}

function readKubeconfigFiles(source: Extract<KubeconfigSource, { kind: 'files' }>): { raw: RawConfig; origin: string } {
  const present = source.files.filter((file) => file !== '' && existsSync(file));
  if (present.length === 0) {
    const files = source.files.filter((file) => file !== '');
    if (files.length === 1)
      throw new UsageError(`kubeconfig file ${files[0]}${source.from === 'KUBECONFIG' ? ' (from KUBECONFIG)' : ''} does not exist`);
    throw new UsageError(`none of the kubeconfig files in KUBECONFIG exist (${files.join(', ')})`);
  }
  const configs = present.map((file) => {
    let content: string;
    try {
      if (statSync(file).isDirectory()) throw new UsageError(`kubeconfig ${file} is a directory, not a file`);
      content = readFileSync(file, 'utf8');
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`kubeconfig file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return parseKubeconfig(content, `kubeconfig ${file}`, path.dirname(path.resolve(file)));
  });
  return { raw: merge(configs), origin: present.length === 1 ? `kubeconfig ${present[0]}` : `kubeconfig ${present.join(path.delimiter)}` };
}

function resolved(base: string, file: unknown): string | undefined {
  const value = text(file);
  return value === undefined ? undefined : path.resolve(base, value);
}

function requireFile(file: string, what: string): string {
  if (!existsSync(file)) throw new UsageError(`${what} ${file} does not exist`);
  return file;
}

function toCluster(entry: Named, origin: string): Cluster {
  const body = entry.body;
  const server = text(body.server);
  if (!server) throw new UsageError(`${origin}: cluster '${entry.name}' has no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`${origin}: cluster '${entry.name}' has a server that is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`${origin}: cluster '${entry.name}' server must be https:// or http://`);
  const skipTLSVerify = body['insecure-skip-tls-verify'] === true;
  const caFile = resolved(entry.base, body['certificate-authority']);
  const caData = text(body['certificate-authority-data']);
  if (skipTLSVerify && (caFile || caData)) {
    // kubectl refuses this combination too.
    throw new UsageError(`${origin}: cluster '${entry.name}' sets insecure-skip-tls-verify and a certificate authority; drop one of them`);
  }
  const proxyUrl = text(body['proxy-url']);
  if (proxyUrl) {
    let proxy: URL | undefined;
    try {
      proxy = new URL(proxyUrl);
    } catch {
      proxy = undefined;
    }
    if (!proxy || !['http:', 'https:', 'socks5:', 'socks5h:', 'socks4:', 'socks:'].includes(proxy.protocol)) {
      throw new UsageError(`${origin}: cluster '${entry.name}' proxy-url is not an http(s) or socks5 URL`);
    }
    if (proxy.password) rememberSecrets(decodeURIComponent(proxy.password));
  }
  return {
    name: entry.name,
    server: server.replace(/\/+$/, ''),
    skipTLSVerify,
    ...(caFile ? { caFile: requireFile(caFile, `certificate-authority file of cluster '${entry.name}':`) } : {}),
    ...(caData ? { caData } : {}),
    ...(text(body['tls-server-name']) ? { tlsServerName: text(body['tls-server-name']) } : {}),
    ...(proxyUrl ? { proxyUrl } : {}),
  };
}

function execConfigOf(entry: Named, exec: RawRecord, origin: string): ExecConfig {
  const command = text(exec.command);
  if (!command) throw new UsageError(`${origin}: user '${entry.name}' has an exec plugin without a command`);
  const args = Array.isArray(exec.args) ? exec.args.filter((a): a is string => typeof a === 'string') : [];
  const env: Record<string, string> = {};
  for (const item of Array.isArray(exec.env) ? exec.env : []) {
    if (!isRecord(item)) continue;
    const name = text(item.name);
    if (name) env[name] = typeof item.value === 'string' ? item.value : '';
  }
  const apiVersion = text(exec.apiVersion) ?? 'client.authentication.k8s.io/v1beta1';
  return {
    // kubectl resolves a command with a path separator relative to the kubeconfig; a bare name is looked up on PATH.
    command: command.includes('/') ? path.resolve(entry.base, command) : command,
    args,
    env,
    apiVersion,
    user: entry.name,
    provideClusterInfo: exec.provideClusterInfo === true,
  };
}

function toUser(entry: Named, origin: string): User {
  const body = entry.body;
  const token = text(body.token);
  const password = text(body.password);
  const keyData = text(body['client-key-data']);
  const authProviderRaw = isRecord(body['auth-provider']) ? body['auth-provider'] : undefined;
  const certFile = resolved(entry.base, body['client-certificate']);
  const keyFile = resolved(entry.base, body['client-key']);
  const tokenFile = resolved(entry.base, body.tokenFile ?? body['token-file']);

  let authProvider: unknown = authProviderRaw;
  if (isRecord(body.exec)) {
    const config: AuthProviderConfig = { kind: 'exec-plugin', plugin: execConfigOf(entry, body.exec, origin) };
    authProvider = { name: AUTH_PROVIDER, config };
  } else if (!token && tokenFile) {
    // A token in the kubeconfig wins over tokenFile, as in client-go.
    const config: AuthProviderConfig = { kind: 'token-file', path: requireFile(tokenFile, `tokenFile of user '${entry.name}':`) };
    authProvider = { name: AUTH_PROVIDER, config };
  }
  return {
    name: entry.name,
    ...(token ? { token } : {}),
    ...(text(body.username) ? { username: text(body.username) } : {}),
    ...(password ? { password } : {}),
    ...(text(body['client-certificate-data']) ? { certData: text(body['client-certificate-data']) } : {}),
    ...(keyData ? { keyData } : {}),
    ...(certFile ? { certFile: requireFile(certFile, `client-certificate file of user '${entry.name}':`) } : {}),
    ...(keyFile ? { keyFile: requireFile(keyFile, `client-key file of user '${entry.name}':`) } : {}),
    ...(text(body.as) ? { impersonateUser: text(body.as) } : {}),
    ...(authProvider ? { authProvider } : {}),
  };
}

/**
 * Every credential value of every user in the loaded files (not only the one in use), so that no
 * output can carry one: a failing exec plugin, for instance, may print another user's token.
 */
function rememberCredentials(users: readonly Named[]): void {
  for (const { body, base } of users) {
    rememberSecrets(text(body.token), text(body.password), text(body['client-key-data']), keyFileText(base, body['client-key']));
    const provider = isRecord(body['auth-provider']) && isRecord(body['auth-provider'].config) ? body['auth-provider'].config : {};
    for (const [key, value] of Object.entries(provider))
      if (typeof value === 'string' && isCredentialSetting(key, value)) rememberSecrets(value);
    // The plugin's environment often carries credentials (cloud keys), but also plain settings
    // such as AWS_PROFILE=default and paths such as GOOGLE_APPLICATION_CREDENTIALS: only values
    // whose names say they are secret, and that are not a path, URL or flag, are kept.
    const env = isRecord(body.exec) && Array.isArray(body.exec.env) ? body.exec.env : [];
    for (const item of env)
      if (isRecord(item) && typeof item.name === 'string' && typeof item.value === 'string' && isCredentialSetting(item.name, item.value))
        rememberSecrets(item.value);
  }
}

/** A client-key file's contents, when it can be read (a missing one is reported for the user in use only). */
function keyFileText(base: string, file: unknown): string | undefined {
  const keyFile = resolved(base, file);
  if (!keyFile) return undefined;
  try {
    return readFileSync(keyFile, 'utf8');
  } catch {
    return undefined;
  }
}

/** A user for contexts that name none, so the cluster's TLS settings still apply (client-node skips them without a user). */
const ANONYMOUS_USER = 'ai-conformance-anonymous';

/**
 * The KubeConfig for one context: only the selected context's cluster and user are converted
 * (and their files checked), so a broken entry elsewhere in a merged kubeconfig does not matter,
 * as with kubectl.
 */
function buildConfig(raw: RawConfig, origin: string, requested: string | undefined): { config: KubeConfig; context: string } {
  rememberCredentials(raw.users);
  const names = raw.contexts.map((c) => c.name);
  if (names.length === 0) throw new UsageError(`${origin} has no contexts`);
  if (requested !== undefined && !names.includes(requested))
    throw new UsageError(`context '${requested}' is not in ${origin} (contexts: ${names.join(', ')})`);
  const contextName = requested ?? raw.currentContext;
  if (!contextName) throw new UsageError(`${origin} has no current-context; pass --context (contexts: ${names.join(', ')})`);
  const entry = raw.contexts.find((c) => c.name === contextName);
  if (!entry)
    throw new UsageError(`${origin}: current-context '${contextName}' is not one of its contexts (${names.join(', ')}); pass --context`);
  const clusterName = text(entry.body.cluster);
  const clusterEntry = raw.clusters.find((c) => c.name === clusterName);
  if (!clusterName || !clusterEntry)
    throw new UsageError(`${origin}: context '${contextName}' names cluster '${clusterName ?? ''}', which it does not define`);
  const userName = text(entry.body.user);
  const userEntry = userName === undefined ? undefined : raw.users.find((u) => u.name === userName);
  if (userName !== undefined && !userEntry)
    throw new UsageError(`${origin}: context '${contextName}' names user '${userName}', which it does not define`);

  const cluster = toCluster(clusterEntry, origin);
  const user = userEntry ? toUser(userEntry, origin) : { name: ANONYMOUS_USER };
  const context: Context = {
    name: contextName,
    cluster: cluster.name,
    user: user.name,
    ...(text(entry.body.namespace) ? { namespace: text(entry.body.namespace) } : {}),
  };
  return { config: configFrom(cluster, user, context), context: contextName };
}

function configFrom(cluster: Cluster, user: User, context: Context): KubeConfig {
  const config = new KubeConfig();
  config.addAuthenticator(new KubeconfigAuthenticator(cluster));
  config.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: context.name });
  return config;
}

/** The pod's service account, as client-go's InClusterConfig reads it (the token re-read as it rotates). */
function inClusterConfig(source: Extract<KubeconfigSource, { kind: 'in-cluster' }>): LoadedKubeconfig {
  const host = source.env.KUBERNETES_SERVICE_HOST;
  const port = source.env.KUBERNETES_SERVICE_PORT ?? '443';
  const tokenFile = path.join(source.serviceAccountDir, 'token');
  if (!host || !existsSync(tokenFile))
    throw new UsageError(`in-cluster mode needs KUBERNETES_SERVICE_HOST and a service account token at ${tokenFile}`);
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const caFile = path.join(source.serviceAccountDir, 'ca.crt');
  const cluster: Cluster = { name: 'in-cluster', server, skipTLSVerify: false, ...(existsSync(caFile) ? { caFile } : {}) };
  const config: AuthProviderConfig = { kind: 'token-file', path: tokenFile };
  const user: User = { name: 'service-account', authProvider: { name: AUTH_PROVIDER, config } };
  const namespaceFile = path.join(source.serviceAccountDir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  return {
    config: configFrom(cluster, user, {
      name: 'in-cluster',
      cluster: 'in-cluster',
      user: 'service-account',
      ...(namespace ? { namespace } : {}),
    }),
    context: undefined,
    origin: 'the in-cluster service account',
  };
}

/** Loads and checks a kubeconfig; every problem is one UsageError line (exit 2), before any connection. */
export function loadKubeconfig(source: KubeconfigSource, context?: string): LoadedKubeconfig {
  if (source.kind === 'in-cluster') return inClusterConfig(source);
  const { raw, origin } =
    source.kind === 'files'
      ? readKubeconfigFiles(source)
      : { raw: parseKubeconfig(source.content, source.label, process.cwd()), origin: source.label };
  const built = buildConfig(raw, origin, context);
  return { config: built.config, context: built.context, origin };
}

/** kubectl's default: the KUBECONFIG list, else ~/.kube/config. */
export function defaultKubeconfigSource(env: NodeJS.ProcessEnv, home: string): Extract<KubeconfigSource, { kind: 'files' }> {
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter((file) => file !== '');
  return files.length > 0
    ? { kind: 'files', files, from: 'KUBECONFIG' }
    : { kind: 'files', files: [path.join(home, '.kube', 'config')], from: 'default' };
}
