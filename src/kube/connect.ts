// The first contact with the server: which version it runs, and whether we may talk to it at
// all (the KubeConfig itself is loaded by src/kube/kubeconfig.ts). Nothing here ever prints a token or kubeconfig content.

import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterUnreachableError, UsageError, oneLine } from '../errors.js';
import { KUBERNETES_VERSIONS, parseKubernetesVersion, supportedVersionsText, type KubernetesVersion } from '../requirements/catalog.js';
import { KubeApiError, requestJson } from './http.js';

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
      const what =
        error.code === 401 ? 'rejected our credentials (401 Unauthorized: expired or wrong token?)' : 'refused us (403 Forbidden)';
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
    throw new UsageError(
      `the cluster runs Kubernetes ${gitVersion ?? 'of an unknown version'}, which has no AI conformance requirements here (supported: ${supportedVersionsText()}); pass --kubernetes-version to check against one`,
    );
  }
  return version;
}
