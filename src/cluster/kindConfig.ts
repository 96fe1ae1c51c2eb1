// The kind cluster config for a Kubernetes version: one control plane and two workers, CDI on
// in containerd (the DRA drivers inject devices through CDI), and on 1.33 the DRA feature gate
// plus the beta resource.k8s.io APIs, which that release serves only when asked.

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

export function kindConfig(version: KubernetesVersion, name: string, image: string): KindClusterConfig {
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
    containerdConfigPatches: [CDI_PATCH],
    nodes: [{ role: 'control-plane', image }, ...workers],
  };
  if (version === '1.33') {
    // DRA is beta and off by default in 1.33; GA from 1.34 on.
    config.featureGates = { DynamicResourceAllocation: true };
    config.runtimeConfig = { 'resource.k8s.io/v1beta1': 'true', 'resource.k8s.io/v1beta2': 'true' };
  }
  return config;
}

export function kindConfigYaml(version: KubernetesVersion, name: string, image: string): string {
  return stringify(kindConfig(version, name, image), { lineWidth: 0 });
}
