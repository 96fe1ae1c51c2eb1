// Loading the KubeConfig and the first contact with the server: which cluster, which version,
// and whether we may talk to it at all. Nothing here ever prints a token or kubeconfig content.

import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterUnreachableError, UsageError, oneLine } from '../errors.js';
import { KUBERNETES_VERSIONS, parseKubernetesVersion, supportedVersionsText, type KubernetesVersion } from '../requirements/catalog.js';
import { KubeApiError, requestJson } from './http.js';

export interface ConfigSource {
  kubeconfig?: string;
  context?: string;
  /** The pod's service account, whatever the environment says. */
  inCluster?: boolean;
}

export interface LoadedConfig {
  config: KubeConfig;
  mode: 'kubeconfig' | 'in-cluster';
  context?: string;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** --kubeconfig, else KUBECONFIG, else ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(source: ConfigSource): LoadedConfig {
  const config = new KubeConfig();
  if (source.inCluster) {
    try {
      config.loadFromCluster();
    } catch {
      throw new UsageError('cannot use the in-cluster service account: not running inside a cluster');
    }
    return { config, mode: 'in-cluster', context: undefined };
  }
  try {
    if (source.kubeconfig) {
      if (!existsSync(source.kubeconfig)) throw new UsageError(`kubeconfig ${source.kubeconfig} does not exist`);
      config.loadFromFile(source.kubeconfig);
    } else {
      config.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // The parser's message can quote the file; name the file only.
    throw new UsageError(`cannot read the kubeconfig${source.kubeconfig ? ` ${source.kubeconfig}` : ''}: it is not a valid kubeconfig`);
  }
  if (source.context) {
    if (!config.getContexts().some((c) => c.name === source.context)) {
      throw new UsageError(`context '${source.context}' is not in the kubeconfig (contexts: ${config.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    config.setCurrentContext(source.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new UsageError('no cluster to talk to: pass --kubeconfig, set KUBECONFIG, or run inside a cluster');
  const inCluster = !source.kubeconfig && !process.env.KUBECONFIG && existsSync(IN_CLUSTER_TOKEN) && config.getCurrentContext() === 'inClusterContext';
  return { config, mode: inCluster ? 'in-cluster' : 'kubeconfig', context: config.getCurrentContext() || undefined };
}

export interface ServerInfo {
  gitVersion: string;
  /**
   * True for the test fake (__tests__/harness), recognised by its all-zero gitCommit, which no
   * real build has. Such a run is reported as simulated and certifies nothing.
   */
  simulated: boolean;
}

/** GET /version; unreachable, bad certificate, 401 and 403 become ClusterUnreachableError. */
export async function serverVersion(config: KubeConfig): Promise<ServerInfo> {
  const server = config.getCurrentCluster()?.server ?? '?';
  try {
    const version = await requestJson<{ gitVersion?: string; gitCommit?: string }>(config, '/version');
    if (!version.gitVersion) throw new ClusterUnreachableError(`${server} did not report a version`);
    return { gitVersion: version.gitVersion, simulated: /^0{40}$/.test(version.gitCommit ?? '') };
  } catch (error) {
    if (error instanceof ClusterUnreachableError) throw error;
    if (error instanceof KubeApiError && (error.code === 401 || error.code === 403)) {
      const what = error.code === 401 ? 'rejected our credentials (401 Unauthorized: expired or wrong token?)' : 'refused us (403 Forbidden)';
      throw new ClusterUnreachableError(`cluster ${server} ${what}`);
    }
    throw new ClusterUnreachableError(`cannot reach cluster ${server}: ${oneLine(error)}`);
  }
}

/** The catalog version to check: --kubernetes-version when given, else the server's. */
export function catalogVersion(requested: string | undefined, gitVersion: string | undefined): KubernetesVersion {
  if (requested !== undefined) {
    const version = parseKubernetesVersion(requested);
    if (!version) throw new UsageError(`unsupported --kubernetes-version '${requested}' (supported: ${KUBERNETES_VERSIONS.join(', ')})`);
    return version;
  }
  const version = gitVersion ? parseKubernetesVersion(gitVersion) : undefined;
  if (!version) {
    throw new UsageError(`the cluster runs Kubernetes ${gitVersion ?? 'of an unknown version'}, which has no AI conformance requirements here (supported: ${supportedVersionsText()}); pass --kubernetes-version to check against one`);
  }
  return version;
}
