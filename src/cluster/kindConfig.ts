// The kind cluster config for a Kubernetes version: one control plane and two workers, CDI on
// in containerd (the DRA drivers inject devices through CDI), and on 1.33 the DRA feature gate
// plus the beta resource.k8s.io APIs, which that release serves only when asked. With the
// PR-mode add-ons, containerd also gets gVisor's runtime handler `runsc` (the add-on copies the
// binaries into the nodes; containerd starts a runtime's shim only when a pod asks for it).

import { stringify } from 'yaml';
import type { KubernetesVersion } from '../requirements/catalog.js';
import { FAKE_GPU_POOL_LABEL, WORKER_COUNT } from './pins.js';

interface KindNode {
  role: 'control-plane' | 'worker';
  image: string;
  labels?: Record<string, string>;
}

export interface KindClusterConfig {
  kind: 'Cluster';
  apiVersion: 'kind.x-k8s.io/v1alpha4';
  name: string;
  featureGates?: Record<string, boolean>;
  runtimeConfig?: Record<string, string>;
  containerdConfigPatches: string[];
  nodes: KindNode[];
}

const CDI_PATCH = '[plugins."io.containerd.grpc.v1.cri"]\n  enable_cdi = true\n';
/**
 * gVisor's handler as kubernetes-sigs/agent-sandbox's kind quickstart registers it
 * (examples/quickstart/gvisor.md; io.containerd.runsc.v1 is gVisor's shim, speaking shim v2).
 */
export const RUNSC_HANDLER = 'runsc';
export const RUNSC_PATCH = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${RUNSC_HANDLER}]\n  runtime_type = "io.containerd.runsc.v1"\n`;

export interface KindConfigOptions {
  /** Register gVisor's runsc runtime handler in containerd (the PR-mode add-ons install it). */
  sandbox?: boolean;
}

export function kindConfig(version: KubernetesVersion, name: string, image: string, options: KindConfigOptions = {}): KindClusterConfig {
  const workers: KindNode[] = Array.from({ length: WORKER_COUNT }, () => ({
    role: 'worker',
    image,
    // Lets the fake GPU operator (PR-mode add-on) simulate GPUs on the workers; harmless otherwise.
    labels: { [FAKE_GPU_POOL_LABEL]: 'default' },
  }));
  const config: KindClusterConfig = {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name,
    containerdConfigPatches: options.sandbox ? [CDI_PATCH, RUNSC_PATCH] : [CDI_PATCH],
    nodes: [{ role: 'control-plane', image }, ...workers],
  };
  if (version === '1.33') {
    // DRA is beta and off by default in 1.33; GA from 1.34 on.
    config.featureGates = { DynamicResourceAllocation: true };
    config.runtimeConfig = { 'resource.k8s.io/v1beta1': 'true', 'resource.k8s.io/v1beta2': 'true' };
  }
  return config;
}

/** The node containers kind creates for this config (kind names workers <name>-worker, <name>-worker2, …). */
export function kindNodeNames(name: string): string[] {
  return [`${name}-control-plane`, ...Array.from({ length: WORKER_COUNT }, (_, i) => `${name}-worker${i === 0 ? '' : String(i + 1)}`)];
}

export function kindConfigYaml(version: KubernetesVersion, name: string, image: string, options: KindConfigOptions = {}): string {
  return stringify(kindConfig(version, name, image, options), { lineWidth: 0 });
}
