// Versions the PR-mode kind cluster is built from, pinned so a run is reproducible. Bump them
// deliberately: a kind node image only works with the kind release that published it, and
// the dra-example-driver chart declares the Kubernetes versions it supports.

import type { KubernetesVersion } from '../requirements/catalog.js';

export const KIND_VERSION = 'v0.33.0';

/** sha256 of the kind release binaries (kind-<os>-<arch>.sha256sum on the release page). */
export const KIND_SHA256: Readonly<Record<string, string>> = {
  'linux-amd64': 'aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d',
  'linux-arm64': '20022bee6cfcd5086cb7234d218e3454e6090022f2a8f55d1fa7fcf42c3867a2',
};

export function kindDownloadUrl(version: string, platform: string): string {
  return `https://github.com/kubernetes-sigs/kind/releases/download/${version}/kind-${platform}`;
}

/**
 * Node images pinned by digest: those published with kind v0.33.0 (its release notes list
 * v1.37.0, its default, v1.36.4, v1.35.8 and v1.34.11). v0.33.0 publishes no 1.33 image (1.33 is
 * out of upstream support), so 1.33 keeps the last one kind published, with v0.32.0. The release
 * page cannot be reached from the build machines: these digests and the binaries' sha256 above
 * were cross-checked against ten or more unrelated public repositories pinning the same v0.33.0
 * release (each digest and checksum identical in every one), not copied from a single source.
 */
export const NODE_IMAGES: Readonly<Record<KubernetesVersion, string>> = {
  '1.33': 'kindest/node:v1.33.12@sha256:3f5c8443c620245e4d355cfe09e96a91ead32ceaa569d3f1ca9edf0cb2fe2ff4',
  '1.34': 'kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d',
  '1.35': 'kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0',
  '1.36': 'kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed',
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

/**
 * gVisor release whose runsc and containerd-shim-runsc-v1 the kind nodes get, and where: the
 * release bucket gVisor's install guide names (g3doc/user_guide/install.md, "specific release").
 * Each binary is checked against the `<binary>.sha512` published beside it in that release, as
 * the guide does: gVisor publishes no signed checksum list elsewhere. 20260622 runs on kind on
 * GitHub's ubuntu-latest runners (isola-run/isola .github/workflows/e2e.yml uses it there).
 */
export const GVISOR_RELEASE = '20260622';
export const GVISOR_BINARIES = ['runsc', 'containerd-shim-runsc-v1'] as const;

export function gvisorReleaseUrl(release: string, arch: string): string {
  return `https://storage.googleapis.com/gvisor/releases/release/${release}/${arch}`;
}

/**
 * What an add-on's project says about the Kubernetes versions a release supports: a closed range
 * (`to` set) where the project publishes a matrix, open-ended where it only states a minimum.
 */
export interface KubernetesSupport {
  from: string;
  to?: string;
  /** Where upstream says so, at the pinned tag. */
  source: string;
}

export interface AddonRelease {
  /** The upstream project, as the scenarios' `models` entries name it. */
  project: string;
  version: string;
  supports: KubernetesSupport;
  /**
   * Provisioned versions outside `supports`, each with why we still install this release there.
   * Said in the run's log, never silently.
   */
  outsideMatrix?: Partial<Record<string, string>>;
}

/**
 * PR-mode add-ons, each pinned to a release whose project supports the Kubernetes versions we
 * provision (see the README of ../shared/fixtures/addons for the statements quoted here).
 * The kind scenarios (fixtures/scenarios/kind-example-dra-*.yaml) model exactly these releases;
 * __tests__/cluster/addon-scenarios.test.ts fails when the two disagree.
 */
export type AddonKey =
  | 'gatewayApi'
  | 'envoyGateway'
  | 'kueue'
  | 'kubeflowTrainer'
  | 'kubePrometheusStack'
  | 'prometheusAdapter'
  | 'fakeGpuOperator'
  | 'inferenceExtension'
  | 'envoyAiGateway'
  | 'inferenceSim'
  | 'gvisor';

export const ADDON_RELEASES: Readonly<Record<AddonKey, AddonRelease>> = {
  gatewayApi: {
    project: 'kubernetes-sigs/gateway-api',
    version: 'v1.6.1',
    supports: {
      from: '1.32',
      to: '1.36',
      source:
        'site/content/en/docs/concepts/versioning.md (most recent 5 minors); CRD CEL tests on 1.32-1.36 (.github/workflows/crd-validation.yml)',
    },
    outsideMatrix: {
      '1.37': 'no Gateway API release tested on 1.37 yet; the project supports the 5 most recent minors, which now include 1.37',
    },
  },
  envoyGateway: {
    project: 'envoyproxy/gateway',
    version: 'v1.9.0',
    supports: {
      from: '1.33',
      to: '1.36',
      source: 'site/content/en/news/releases/matrix.md (v1.9: Kubernetes 1.33-1.36, Gateway API v1.6.1)',
    },
    outsideMatrix: { '1.37': 'no Envoy Gateway release lists 1.37 yet; v1.9.0 is the newest and bundles Gateway API v1.6.1' },
  },
  kueue: {
    project: 'kubernetes-sigs/kueue',
    version: 'v0.19.2',
    supports: { from: '1.29', source: 'README.md ("Requires Kubernetes 1.29 or newer")' },
  },
  kubeflowTrainer: {
    project: 'kubeflow/trainer',
    version: 'v2.3.0',
    supports: { from: '1.31', source: 'docs/operator-guides/installation.md ("Kubernetes >= 1.31")' },
  },
  kubePrometheusStack: {
    project: 'prometheus-community/kube-prometheus-stack',
    version: '88.5.3',
    supports: {
      from: '1.25',
      source: 'charts/kube-prometheus-stack/Chart.yaml (kubeVersion ">=1.25.0-0"); prometheus-operator v0.93: Kubernetes >= 1.25',
    },
  },
  prometheusAdapter: {
    project: 'prometheus-community/prometheus-adapter',
    version: '5.3.0',
    supports: { from: '1.25', source: 'charts/prometheus-adapter (aggregated API apiregistration.k8s.io/v1, autoscaling/v2)' },
  },
  fakeGpuOperator: {
    project: 'run-ai/fake-gpu-operator',
    version: '0.2.0',
    supports: { from: '1.31', source: 'README.md ("Kubernetes 1.31+")' },
  },
  inferenceExtension: {
    project: 'kubernetes-sigs/gateway-api-inference-extension',
    version: 'v1.6.0',
    supports: {
      from: '1.34',
      to: '1.36',
      source:
        'site-src/_includes/prereqs.md ("one of the three most recent Kubernetes minor releases"; 1.34-1.36 at its release, 2026-08-10)',
    },
    outsideMatrix: {
      '1.37': 'no release after 1.37; the project supports the three most recent minors, which now include 1.37',
    },
  },
  envoyAiGateway: {
    project: 'envoyproxy/ai-gateway',
    version: 'v1.1.0',
    supports: {
      from: '1.32',
      source: 'site/versioned_docs/version-1.1/compatibility.md (v1.1.x: Envoy Gateway v1.8.1+, Kubernetes v1.32+, Gateway API v1.5.x)',
    },
  },
  inferenceSim: {
    project: 'llm-d/llm-d-inference-sim',
    version: 'v0.8.2',
    supports: {
      from: '1.25',
      source:
        'no Kubernetes statement: a plain apps/v1 Deployment, as gateway-api-inference-extension v1.5.0 config/manifests/vllm/sim-deployment.yaml runs it',
    },
  },
  gvisor: {
    project: 'google/gvisor',
    version: GVISOR_RELEASE,
    supports: {
      from: '1.20',
      source: 'g3doc/user_guide/containerd/quick_start.md (containerd runtime handler runsc; RuntimeClass node.k8s.io/v1, GA in 1.20)',
    },
  },
};

/** "1.35" >= "1.33", numerically per part. */
function minorAtLeast(version: string, floor: string): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  const [c = 0, d = 0] = floor.split('.').map(Number);
  return a !== c ? a > c : b >= d;
}

/** Whether the release's project states support for a Kubernetes minor version. */
export function supportsVersion(release: AddonRelease, version: string): boolean {
  const { from, to } = release.supports;
  return minorAtLeast(version, from) && (to === undefined || minorAtLeast(to, version));
}

/** Worker label the fake GPU operator selects its simulated GPU nodes by. */
export const FAKE_GPU_POOL_LABEL = 'run.ai/simulated-gpu-node-pool';

export const DEFAULT_CLUSTER_NAME = 'ai-conformance';
export const WORKER_COUNT = 2;
