// Cluster providers: how a run gets a cluster to probe.
//
//   provisionCluster(opts): Promise<ProvisionedCluster>
//
//   opts.cluster  'kind'        create (or reuse) a kind cluster with dra-example-driver; with
//                               opts.addons also the PR-mode add-ons. Needs opts.kubernetesVersion
//                               (the server's version is not known before the cluster exists).
//                 'kubeconfig'  an existing cluster: opts.kubeconfig (path), opts.kubeconfigContent
//                               (secret content, loaded from memory, masked in Actions), or
//                               the AI_CONFORMANCE_KUBECONFIG env var (content or path); else
//                               $KUBECONFIG (merged as kubectl merges) / ~/.kube/config.
//                               opts.context picks a context.
//                 'in-cluster'  the pod's service account.
//                 'auto'        (default) kubeconfig if one is given or present, else in-cluster.
//
//   Result: { mode, kubeConfig (loaded and checked), context, origin, cleanup() }. Always call cleanup() (in a finally):
//   it deletes the kind cluster this run created unless opts.keepCluster, and removes temp
//   kubeconfig files. Failures throw UsageError (exit 2: bad input) or ProvisionError (a
//   ClusterUnreachableError, exit 3: no usable cluster), each with a one-line message.

import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import { loadKubeconfig, type LoadedKubeconfig } from '../kube/kubeconfig.js';
import { KUBERNETES_VERSIONS, parseKubernetesVersion, type KubernetesVersion } from '../requirements/catalog.js';
import { createKindCluster, type KindOptions } from './kind.js';
import { connectKubeconfig, type KubeconfigOptions } from './kubeconfig.js';

export { ProvisionError } from './errors.js';
export { createKindCluster, deleteKindCluster, ensureDocker } from './kind.js';
export { connectKubeconfig, kubeconfigFromEnv, KUBECONFIG_ENV } from './kubeconfig.js';
export { kindConfig, kindConfigYaml } from './kindConfig.js';
export { shouldAddons } from './addons.js';
export { DEFAULT_CLUSTER_NAME, NODE_IMAGES, KIND_VERSION } from './pins.js';

export type ClusterMode = 'kind' | 'kubeconfig' | 'in-cluster' | 'auto';
export const CLUSTER_MODES: readonly ClusterMode[] = ['kind', 'kubeconfig', 'in-cluster', 'auto'];

export interface ProvisionOptions {
  cluster?: ClusterMode;
  kubernetesVersion?: KubernetesVersion;
  kubeconfig?: string;
  kubeconfigContent?: string;
  context?: string;
  /** kind: cluster name (default ai-conformance). */
  name?: string;
  nodeImage?: string;
  addons?: boolean;
  keepCluster?: boolean;
  waitTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Tests only: where kind is downloaded from in Actions. */
  kindRelease?: KindOptions['kindRelease'];
}

export interface ProvisionedCluster {
  mode: 'kind' | 'kubeconfig' | 'in-cluster';
  /** Loaded (merged as kubectl merges) and checked: nothing loads it again. */
  kubeConfig: KubeConfig;
  context?: string;
  /** For messages: where the kubeconfig came from. */
  origin: string;
  cleanup(): Promise<void>;
}

export function parseClusterMode(value: string | undefined): ClusterMode {
  if (value === undefined || value === '') return 'auto';
  if ((CLUSTER_MODES as readonly string[]).includes(value)) return value as ClusterMode;
  throw new UsageError(`unknown --cluster '${value}' (expected one of: ${CLUSTER_MODES.join(', ')})`);
}

/** The catalog's version parser, for flags: an unsupported version is a usage error. */
export function requireKubernetesVersion(value: string): KubernetesVersion {
  const version = parseKubernetesVersion(value);
  if (version) return version;
  throw new UsageError(`unsupported Kubernetes version '${value}' (supported: ${KUBERNETES_VERSIONS.join(', ')})`);
}

export async function provisionCluster(opts: ProvisionOptions): Promise<ProvisionedCluster> {
  const mode = opts.cluster ?? 'auto';
  if (mode === 'kind') {
    if (!opts.kubernetesVersion)
      throw new UsageError('--cluster kind needs --kubernetes-version (one of ' + KUBERNETES_VERSIONS.join(', ') + ')');
    if (opts.kubeconfig || opts.kubeconfigContent) throw new UsageError('--cluster kind creates its own kubeconfig; drop --kubeconfig');
    const cluster = await createKindCluster({
      kubernetesVersion: opts.kubernetesVersion,
      name: opts.name,
      nodeImage: opts.nodeImage,
      addons: opts.addons,
      waitTimeoutMs: opts.waitTimeoutMs,
      env: opts.env,
      signal: opts.signal,
      log: opts.log,
      kindRelease: opts.kindRelease,
    });
    let loaded: LoadedKubeconfig;
    try {
      loaded = loadKubeconfig({ kind: 'files', files: [cluster.kubeconfigPath], from: 'flag' }, cluster.context);
    } catch (error) {
      await cluster.remove();
      throw error;
    }
    return {
      mode: 'kind',
      kubeConfig: loaded.config,
      context: cluster.context,
      origin: `kind cluster ${cluster.name}`,
      cleanup: async () => {
        if (opts.keepCluster) {
          opts.log?.(
            `keeping kind cluster ${cluster.name}; get its kubeconfig with: kind export kubeconfig --name ${cluster.name}; delete it with: ai-conformance kind down --name ${cluster.name}`,
          );
          await cluster.release();
          return;
        }
        await cluster.remove();
      },
    };
  }
  if (opts.addons) throw new UsageError('--addons only applies to --cluster kind');
  if (opts.nodeImage) throw new UsageError('--node-image only applies to --cluster kind');
  const kubeOpts: KubeconfigOptions = {
    kubeconfig: opts.kubeconfig,
    kubeconfigContent: opts.kubeconfigContent,
    context: opts.context,
    inCluster: mode === 'in-cluster',
    allowInClusterFallback: mode === 'auto',
    env: opts.env,
    log: opts.log,
  };
  return connectKubeconfig(kubeOpts);
}
