// Versions the PR-mode kind cluster is built from, pinned so a run is reproducible. Bump them
// deliberately: a kind node image only works with the kind release that published it, and
// the dra-example-driver chart declares the Kubernetes versions it supports.

import type { KubernetesVersion } from '../requirements/catalog.js';

export const KIND_VERSION = 'v0.32.0';

/** sha256 of the kind release binaries (kind-<os>-<arch>.sha256sum on the release page). */
export const KIND_SHA256: Readonly<Record<string, string>> = {
  'linux-amd64': '50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54',
  'linux-arm64': 'b92cd615e97585de8ddade28ed5cd7feb4248d717c233eea5b03c37298900f5d',
};

export function kindDownloadUrl(version: string, platform: string): string {
  return `https://github.com/kubernetes-sigs/kind/releases/download/${version}/kind-${platform}`;
}

/** Node images published with kind v0.32.0, pinned by digest. */
export const NODE_IMAGES: Readonly<Record<KubernetesVersion, string>> = {
  '1.33': 'kindest/node:v1.33.12@sha256:3f5c8443c620245e4d355cfe09e96a91ead32ceaa569d3f1ca9edf0cb2fe2ff4',
  '1.34': 'kindest/node:v1.34.8@sha256:02722c2dedddcfc00febf5d27fbeb9b7b2c14294c82109ff4a85d89ac9ba3256',
  '1.35': 'kindest/node:v1.35.5@sha256:ce977ae6d65918d0b58a5f8b5e940429c2ce42fa3a5619ec2bbc60b949c0ac95',
  '1.36': 'kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5',
  // Published with kind v0.33.0 (the release whose default is Kubernetes 1.37).
  '1.37': 'kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5',
};

export const DRA_EXAMPLE_DRIVER = {
  chart: 'oci://registry.k8s.io/dra-example-driver/charts/dra-example-driver',
  release: 'dra-example-driver',
  namespace: 'dra-example-driver',
  driverName: 'gpu.example.com',
  /** Chart version per Kubernetes version: 0.2.x still serves 1.33's beta APIs; 0.4.0 needs 1.33+ and targets v1. */
  chartVersion: {
    '1.33': '0.2.0',
    '1.34': '0.4.0',
    '1.35': '0.4.0',
    '1.36': '0.4.0',
    '1.37': '0.4.0',
  } satisfies Record<KubernetesVersion, string>,
} as const;

/** PR-mode add-ons, each pinned. */
export const ADDON_PINS = {
  gatewayApi: 'v1.3.0',
  envoyGateway: 'v1.4.2',
  kueue: '0.13.4',
  prometheus: '29.2.0',
  prometheusAdapter: '5.3.0',
  fakeGpuOperator: '0.2.0',
  kuberay: '1.4.2',
} as const;

/** Worker label the fake GPU operator selects its simulated GPU nodes by. */
export const FAKE_GPU_POOL_LABEL = 'run.ai/simulated-gpu-node-pool';

export const DEFAULT_CLUSTER_NAME = 'ai-conformance';
export const WORKER_COUNT = 2;
