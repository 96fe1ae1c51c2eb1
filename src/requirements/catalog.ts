// The requirement catalog: which requirements exist for each Kubernetes version, with the
// category and level the official CNCF templates give them. Ids, categories and levels are
// facts taken from cncf/k8s-ai-conformance docs/AIConformance-1.3x.yaml; the one-line summaries
// are our own words (the template sentences are read from the template at run time).

export const KUBERNETES_VERSIONS = ['1.33', '1.34', '1.35', '1.36'] as const;
export type KubernetesVersion = (typeof KUBERNETES_VERSIONS)[number];

export type Level = 'MUST' | 'SHOULD';

/** Category keys exactly as they appear under `spec:` in the templates, in template order. */
export const CATEGORIES = [
  'accelerators',
  'networking',
  'schedulingOrchestration',
  'observability',
  'security',
  'operator',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Requirement {
  id: string;
  category: Category;
  level: Level;
  /** Our own one-line summary of what the requirement asks. */
  summary: string;
}

interface CatalogEntry {
  id: string;
  category: Category;
  summary: string;
  /** Level per Kubernetes version; a version that is absent does not list the requirement. */
  levels: Partial<Record<KubernetesVersion, Level>>;
}

const MUST_ALL: Partial<Record<KubernetesVersion, Level>> = {
  '1.33': 'MUST',
  '1.34': 'MUST',
  '1.35': 'MUST',
  '1.36': 'MUST',
};
const SHOULD_FROM_135: Partial<Record<KubernetesVersion, Level>> = { '1.35': 'SHOULD', '1.36': 'SHOULD' };
const SHOULD_FROM_136: Partial<Record<KubernetesVersion, Level>> = { '1.36': 'SHOULD' };

// Order within a category follows the templates.
const ENTRIES: CatalogEntry[] = [
  {
    id: 'dra_support',
    category: 'accelerators',
    summary: 'The Dynamic Resource Allocation APIs are served and a device claim is allocated to a running pod.',
    levels: { '1.33': 'SHOULD', '1.34': 'MUST', '1.35': 'MUST' },
  },
  {
    id: 'driver_runtime_management',
    category: 'accelerators',
    summary: 'Accelerator drivers and runtime configuration on nodes are verifiably installed and kept compatible.',
    levels: SHOULD_FROM_135,
  },
  {
    id: 'gpu_sharing',
    category: 'accelerators',
    summary: 'At least one GPU sharing strategy (partitioning or time-slicing) is available to workloads.',
    levels: SHOULD_FROM_135,
  },
  {
    id: 'virtualized_accelerator',
    category: 'accelerators',
    summary: 'Virtualised accelerators (such as vGPU) are exposed and managed like physical fractions.',
    levels: SHOULD_FROM_135,
  },
  {
    id: 'ai_inference',
    category: 'networking',
    summary: 'The Gateway API is served with an implementation that does weighted and header-based routing.',
    levels: MUST_ALL,
  },
  {
    id: 'advanced_inference_ingress',
    category: 'networking',
    summary: 'Inference-aware ingress routes requests by model and endpoint load.',
    levels: SHOULD_FROM_136,
  },
  {
    id: 'high_performance_networking',
    category: 'networking',
    summary: 'Workloads can attach to high-performance interconnects for distributed AI.',
    levels: SHOULD_FROM_136,
  },
  {
    id: 'disaggregated_inference',
    category: 'networking',
    summary: 'Inference can be split across separately scaled prefill and decode stages.',
    levels: SHOULD_FROM_136,
  },
  {
    id: 'gang_scheduling',
    category: 'schedulingOrchestration',
    summary: 'A gang scheduler (Kueue, Volcano, ...) starts a group of pods all together or not at all.',
    levels: MUST_ALL,
  },
  {
    id: 'cluster_autoscaling',
    category: 'schedulingOrchestration',
    summary: 'Where a cluster autoscaler exists, it adds and removes accelerator nodes for pending pods.',
    levels: MUST_ALL,
  },
  {
    id: 'pod_autoscaling',
    category: 'schedulingOrchestration',
    summary: 'A HorizontalPodAutoscaler scales accelerator pods on a custom metric.',
    levels: MUST_ALL,
  },
  {
    id: 'accelerator_metrics',
    category: 'observability',
    summary: 'Per-accelerator utilisation and memory metrics are exposed on a machine-readable endpoint.',
    levels: MUST_ALL,
  },
  {
    id: 'ai_service_metrics',
    category: 'observability',
    summary: 'A monitoring system discovers and collects Prometheus-format metrics from workloads.',
    levels: MUST_ALL,
  },
  {
    id: 'secure_accelerator_access',
    category: 'security',
    summary: 'Only containers granted an accelerator through DRA or a device plugin can reach it.',
    levels: MUST_ALL,
  },
  {
    id: 'robust_controller',
    category: 'operator',
    summary: 'A complex AI operator runs: its pods are up, its webhook rejects bad objects, its resources reconcile.',
    levels: MUST_ALL,
  },
];

export function isKubernetesVersion(value: string): value is KubernetesVersion {
  return (KUBERNETES_VERSIONS as readonly string[]).includes(value);
}

/** Accepts "1.35", "v1.35" or "v1.35.3"; returns undefined when the minor version is not supported. */
export function parseKubernetesVersion(value: string): KubernetesVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(value.trim());
  if (!match) return undefined;
  const version = `${Number(match[1])}.${Number(match[2])}`;
  return isKubernetesVersion(version) ? version : undefined;
}

/** The requirements of one Kubernetes version, in template order. */
export function requirementsFor(version: KubernetesVersion): Requirement[] {
  const result: Requirement[] = [];
  for (const category of CATEGORIES) {
    for (const entry of ENTRIES) {
      const level = entry.levels[version];
      if (entry.category === category && level) {
        result.push({ id: entry.id, category, level, summary: entry.summary });
      }
    }
  }
  return result;
}

/** Every requirement id known to any version. */
export function allRequirementIds(): string[] {
  return ENTRIES.map((entry) => entry.id);
}
