// The requirement catalog: which requirements exist for each Kubernetes version, with the
// category and level the official CNCF templates give them, and the test name each one has in
// the artifacts (junit.xml, e2e.log, results.json).
//
// Adding a Kubernetes version is a data change: its official template goes into
// fixtures/checklists/templates/AIConformance-<X.Y>.yaml and it gets one entry in VERSIONS below
// (a new requirement also gets one entry in REQUIREMENTS). __tests__/requirements/catalog.test.ts
// fails when a bundled template and the catalog disagree. The official wording (`description`)
// is never copied here: it is read from the bundled template.

import { officialTemplate } from '../checklist/templates.js';
import { parse as parseYamlValue } from 'yaml';

export type Level = 'MUST' | 'SHOULD';

/** Category keys exactly as they appear under `spec:` in the templates, in template order. */
export const CATEGORIES = ['accelerators', 'networking', 'schedulingOrchestration', 'observability', 'security', 'operator'] as const;
export type Category = (typeof CATEGORIES)[number];

interface RequirementFacts {
  category: Category;
  /** Our own one-line label, for listings; checklists and reports carry the official description. */
  summary: string;
  /**
   * The Go test name in the artifacts: the CNCF validator's mapped names where it maps one,
   * kubernetes-sigs/ai-conformance test/ names where that suite has the test, `Test<Id>` otherwise.
   */
  testName: string;
}

// Order within a category follows the templates.
const REQUIREMENTS = {
  dra_support: {
    category: 'accelerators',
    summary: 'The Dynamic Resource Allocation APIs are served and a device claim is allocated to a running pod.',
    testName: 'TestDRASupport',
  },
  driver_runtime_management: {
    category: 'accelerators',
    summary: 'Accelerator drivers and runtime configuration on nodes are verifiably installed and kept compatible.',
    testName: 'TestAcceleratorDriverRuntimeManagement',
  },
  gpu_sharing: {
    category: 'accelerators',
    summary: 'At least one GPU sharing strategy (partitioning or time-slicing) is available to workloads.',
    testName: 'TestGPUSharing',
  },
  virtualized_accelerator: {
    category: 'accelerators',
    summary: 'Virtualised accelerators (such as vGPU) are exposed and managed like physical fractions.',
    testName: 'TestVirtualizedAccelerator',
  },
  ai_inference: {
    category: 'networking',
    summary: 'The Gateway API is served with an implementation that does weighted and header-based routing.',
    testName: 'TestAIInference',
  },
  advanced_inference_ingress: {
    category: 'networking',
    summary: 'Inference-aware ingress routes requests by model and endpoint load.',
    testName: 'TestAdvancedInferenceIngress',
  },
  high_performance_networking: {
    category: 'networking',
    summary: 'Workloads can attach to high-performance interconnects for distributed AI.',
    testName: 'TestHighPerformanceNetworking',
  },
  disaggregated_inference: {
    category: 'networking',
    summary: 'Inference can be split across separately scaled prefill and decode stages.',
    testName: 'TestDisaggregatedInference',
  },
  gang_scheduling: {
    category: 'schedulingOrchestration',
    summary: 'A gang scheduler (Kueue, Volcano, ...) starts a group of pods all together or not at all.',
    testName: 'TestGangScheduling',
  },
  cluster_autoscaling: {
    category: 'schedulingOrchestration',
    summary: 'Where a cluster autoscaler exists, it adds and removes accelerator nodes for pending pods.',
    testName: 'TestAcceleratorClusterAutoscaling',
  },
  pod_autoscaling: {
    category: 'schedulingOrchestration',
    summary: 'A HorizontalPodAutoscaler scales accelerator pods on a custom metric.',
    testName: 'TestPodAutoscaling',
  },
  accelerator_metrics: {
    category: 'observability',
    summary: 'Per-accelerator utilisation and memory metrics are exposed on a machine-readable endpoint.',
    testName: 'TestAcceleratorPerformanceMetrics',
  },
  ai_service_metrics: {
    category: 'observability',
    summary: 'A monitoring system discovers and collects Prometheus-format metrics from workloads.',
    testName: 'TestAIServiceMetrics',
  },
  secure_accelerator_access: {
    category: 'security',
    summary: 'Only containers granted an accelerator through DRA or a device plugin can reach it.',
    testName: 'TestSecureAcceleratorAccess',
  },
  workload_sandboxing: {
    category: 'security',
    summary: 'Untrusted workloads can run in a sandbox isolated from the host kernel and other pods.',
    testName: 'TestWorkloadSandboxing',
  },
  robust_controller: {
    category: 'operator',
    summary: 'A complex AI operator runs: its pods are up, its webhook rejects bad objects, its resources reconcile.',
    testName: 'TestRobustCRDControllerOperation',
  },
} as const satisfies Record<string, RequirementFacts>;

export type RequirementId = keyof typeof REQUIREMENTS;

const MUSTS_OF_ALL = {
  ai_inference: 'MUST',
  gang_scheduling: 'MUST',
  cluster_autoscaling: 'MUST',
  pod_autoscaling: 'MUST',
  accelerator_metrics: 'MUST',
  ai_service_metrics: 'MUST',
  secure_accelerator_access: 'MUST',
  robust_controller: 'MUST',
} as const;
const ACCELERATOR_SHOULDS = { driver_runtime_management: 'SHOULD', gpu_sharing: 'SHOULD', virtualized_accelerator: 'SHOULD' } as const;
const NETWORKING_SHOULDS = {
  advanced_inference_ingress: 'SHOULD',
  high_performance_networking: 'SHOULD',
  disaggregated_inference: 'SHOULD',
} as const;

/** One entry per supported Kubernetes version: the requirements its official template lists, and their level. */
const VERSIONS = {
  '1.33': { dra_support: 'SHOULD', ...MUSTS_OF_ALL },
  '1.34': { dra_support: 'MUST', ...MUSTS_OF_ALL },
  '1.35': { dra_support: 'MUST', ...ACCELERATOR_SHOULDS, ...MUSTS_OF_ALL },
  '1.36': { ...ACCELERATOR_SHOULDS, ...NETWORKING_SHOULDS, ...MUSTS_OF_ALL },
  '1.37': { ...ACCELERATOR_SHOULDS, ...NETWORKING_SHOULDS, ...MUSTS_OF_ALL, workload_sandboxing: 'SHOULD' },
} as const satisfies Record<string, Partial<Record<RequirementId, Level>>>;

export type KubernetesVersion = keyof typeof VERSIONS;
export const KUBERNETES_VERSIONS = Object.keys(VERSIONS) as readonly KubernetesVersion[];
/** The newest version with a bundled template; a --template URL is only needed beyond it. */
export const NEWEST_VERSION = KUBERNETES_VERSIONS[KUBERNETES_VERSIONS.length - 1];

export interface Requirement {
  id: string;
  category: Category;
  level: Level;
  /** Our own one-line label (listings only). */
  summary: string;
  /** The official requirement text, verbatim from the version's template. */
  description: string;
  /** The Go test name the artifacts use for this requirement. */
  testName: string;
}

export function isKubernetesVersion(value: string): value is KubernetesVersion {
  return Object.hasOwn(VERSIONS, value);
}

/** "1.33 … 1.37", for messages. */
export function supportedVersionsText(): string {
  return `${KUBERNETES_VERSIONS[0]}-${NEWEST_VERSION}`;
}

/** Accepts "1.35", "v1.35" or "v1.35.3"; returns undefined when the minor version is not supported. */
export function parseKubernetesVersion(value: string): KubernetesVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(value.trim());
  if (!match) return undefined;
  const version = `${Number(match[1])}.${Number(match[2])}`;
  return isKubernetesVersion(version) ? version : undefined;
}

const descriptions = new Map<KubernetesVersion, Map<string, string>>();

/** The official descriptions of one version's template, by requirement id. */
function officialDescriptions(version: KubernetesVersion): Map<string, string> {
  let byId = descriptions.get(version);
  if (!byId) {
    byId = new Map();
    const doc = parseYamlValue(officialTemplate(version)) as {
      spec?: Record<string, Array<{ id?: unknown; description?: unknown }> | null>;
    };
    for (const entries of Object.values(doc.spec ?? {})) {
      for (const entry of entries ?? []) {
        if (typeof entry.id === 'string' && typeof entry.description === 'string') byId.set(entry.id, entry.description);
      }
    }
    descriptions.set(version, byId);
  }
  return byId;
}

/** The requirements of one Kubernetes version, in template order. */
export function requirementsFor(version: KubernetesVersion): Requirement[] {
  const levels: Partial<Record<RequirementId, Level>> = VERSIONS[version];
  const official = officialDescriptions(version);
  const result: Requirement[] = [];
  for (const category of CATEGORIES) {
    for (const [id, facts] of Object.entries(REQUIREMENTS) as Array<[RequirementId, RequirementFacts]>) {
      const level = levels[id];
      if (facts.category !== category || !level) continue;
      result.push({ id, category, level, summary: facts.summary, description: official.get(id) ?? '', testName: facts.testName });
    }
  }
  return result;
}

/** Every requirement id known to any version. */
export function allRequirementIds(): string[] {
  return Object.keys(REQUIREMENTS);
}

/** The artifacts' test name of a requirement id; a proposed requirement gets `Test<PascalCaseId>`. */
export function testNameFor(id: string): string {
  const known = (REQUIREMENTS as Partial<Record<string, RequirementFacts>>)[id];
  if (known) return known.testName;
  return `Test${id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('')}`;
}

/**
 * The requirements the CNCF validator maps to an upstream test (scripts/validate.go since
 * September 2026): without a #fragment, an artifact cited by one of them must hold that test.
 */
export const VALIDATOR_MAPPED_TESTS: Readonly<Record<string, string>> = {
  secure_accelerator_access: 'TestSecureAcceleratorAccess',
  gang_scheduling: 'TestGangScheduling',
  cluster_autoscaling: 'TestAcceleratorClusterAutoscaling',
};
