// The front door of `run`: every flag, parsed and checked once into one typed RunConfig before
// anything is created or connected. A bad value is one UsageError line (exit 2) from here, never
// a failure halfway through a run. Adding a flag: declare it in RUN_FLAGS, read it in
// parseRunConfig, and give it a field in RunConfig.

import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { UsageError, oneLine } from '../errors.js';
import type { RunResults } from '../model/results.js';
import { KUBERNETES_VERSIONS, allRequirementIds, type KubernetesVersion } from '../requirements/catalog.js';
import { BUILTIN_PROBES } from '../probes/index.js';
import { checkProbeOptions } from '../probes/options.js';
import { profileFromFlag } from '../probes/profiles.js';
import { AI_OPERATORS, operatorNamed } from '../probes/lib/operators.js';
import type { AcceleratorProfile, Probe, ProbeOptions } from '../probes/types.js';
import { parseClusterMode, requireKubernetesVersion, type ClusterMode } from '../cluster/index.js';
import { checkChecklistInputs, checkProductFor } from '../checklist/fill.js';
import { readResultsFile } from '../report/results-file.js';
import { checkSubmissionPath } from '../report/index.js';
import { COMMON_FLAGS, booleanOption, listOption, stringOption, type Flags, type ParsedValues } from '../commands/command.js';
import { parseDuration, parseKeyValues, parseLevel, parsePositiveInt, parsePositiveNumber } from '../runner/flags.js';
import type { ApiClientOptions } from '../kube/api.js';
import { createImageCatalog, parseImageFlags, type ImageOverrides } from '../runner/images.js';
import { loadProbeDir } from '../runner/probeDir.js';
import type { ProbeSource } from '../runner/select.js';
import { readGitHubContext, type GitHubContext } from '../github/context.js';

export const DEFAULT_OUT_DIR = './ai-conformance-results';

export const RUN_FLAGS = {
  context: COMMON_FLAGS.context,
  'kubernetes-version': COMMON_FLAGS['kubernetes-version'],
  kubeconfig: {
    ...COMMON_FLAGS.kubeconfig,
    description: 'kubeconfig of the cluster to check; several files may be merged through KUBECONFIG',
  },
  cluster: {
    type: 'string',
    value: 'MODE',
    description: 'how to get the cluster: kubeconfig, kind (create one), in-cluster or auto',
    default: 'auto',
    example: 'kind',
  },
  'keep-cluster': { type: 'boolean', description: 'kind: leave the cluster running afterwards', example: '' },
  'node-image': {
    type: 'string',
    value: 'IMAGE',
    description: 'kind: node image instead of the pinned one',
    default: 'pinned per version',
    example: 'kindest/node:v1.35.0',
  },
  addons: { type: 'boolean', description: 'kind: install the PR-mode add-ons (Gateway, Kueue, Prometheus, …)', example: '' },
  only: {
    type: 'string',
    multiple: true,
    value: 'IDS',
    description: 'check only these requirement ids (comma-separated)',
    example: 'dra_support,gang_scheduling',
  },
  skip: {
    type: 'string',
    multiple: true,
    value: 'IDS',
    description: 'skip these requirement ids (comma-separated)',
    example: 'cluster_autoscaling',
  },
  level: { type: 'string', value: 'must|should|all', description: 'which requirement levels to check', default: 'all', example: 'must' },
  accelerator: {
    type: 'string',
    value: 'PROFILE',
    description: 'what an accelerator is: example, nvidia, nvidia-dra, deviceclass:NAME or resource:DOMAIN/NAME',
    default: 'detected',
    example: 'nvidia',
  },
  parallel: { type: 'string', value: 'N', description: 'most probes at once', default: 'all that do not conflict', example: '2' },
  timeout: {
    type: 'string',
    value: 'DURATION',
    description: 'a time limit for each probe, instead of its own',
    default: "each probe's own",
    example: '30m',
  },
  qps: { type: 'string', value: 'N', description: 'client-side rate limit: API requests per second', default: '50', example: '20' },
  burst: {
    type: 'string',
    value: 'N',
    description: 'client-side rate limit: requests allowed at once above --qps',
    default: '100',
    example: '40',
  },
  out: { type: 'string', value: 'DIR', description: 'where every report is written', default: DEFAULT_OUT_DIR, example: 'out/' },
  'probe-dir': {
    type: 'string',
    value: 'DIR',
    description: 'extra probe modules (e.g. a proposed requirement)',
    example: 'examples/probes',
  },
  'replace-builtin': {
    type: 'string',
    multiple: true,
    value: 'IDS',
    description: 'let a --probe-dir module replace these built-in probes (the reports say so)',
    example: 'dra_support',
  },
  'probe-option': {
    type: 'string',
    multiple: true,
    value: 'KEY=VALUE',
    description: "tune a probe (each probe's options: 'ai-conformance list')",
    example: 'gang-scheduling.window-ms=60000',
  },
  'image-registry': {
    type: 'string',
    value: 'REGISTRY',
    description: 'pull every probe image from this mirror',
    example: 'registry.example.com/mirror',
  },
  image: {
    type: 'string',
    multiple: true,
    value: 'NAME=REF',
    description: 'use this image for one logical name (see list --images)',
    example: 'busybox=registry.example.com/busybox:1.36',
  },
  'allow-node-scaling': { type: 'boolean', description: 'let cluster_autoscaling really add a node (costs money)', example: '' },
  'prometheus-url': {
    type: 'string',
    value: 'URL',
    description: 'Prometheus HTTP API base URL, instead of detection',
    example: 'http://prometheus.monitoring:9090',
  },
  'accelerator-metrics-url': {
    type: 'string',
    value: 'URL',
    description: 'accelerator metrics endpoint, instead of detection',
    example: 'http://dcgm-exporter.gpu:9400/metrics',
  },
  operator: {
    type: 'string',
    value: 'NAME',
    description: 'the AI operator robust_controller checks, instead of detection',
    example: 'kuberay',
  },
  baseline: {
    type: 'string',
    value: 'FILE',
    description: 'an earlier ai-conformance.json: the summary starts with what changed',
    example: 'previous/ai-conformance.json',
  },
  submission: {
    type: 'string',
    value: 'vX.Y/DIR',
    description:
      'also write the submission folder alone (PRODUCT.yaml, junit.xml, results.json, e2e.log, evidence/, README.md) there, e.g. in a clone of cncf/k8s-ai-conformance',
    example: 'v1.37/acme',
  },
  template: {
    type: 'string',
    value: 'PATH|URL',
    description: 'the official checklist template (a file or an https URL)',
    default: 'the bundled template',
    example: 'AIConformance-1.35.yaml',
  },
  product: {
    type: 'string',
    value: 'FILE',
    description: 'your PRODUCT.yaml to start from (metadata, comments and manual entries kept)',
    example: 'conformance/PRODUCT.yaml',
  },
  'migrate-product': {
    type: 'boolean',
    description: "move a --product of another Kubernetes version onto this version's official template",
    example: '',
  },
  metadata: {
    type: 'string',
    multiple: true,
    value: 'FILE|KEY=VALUE',
    description: 'checklist metadata, from a YAML file or as KEY=VALUE',
    example: 'vendorName=Acme',
  },
  offline: { type: 'boolean', description: 'no network access besides the cluster (no template download, no URL checks)', example: '' },
  'sarif-category': {
    type: 'string',
    value: 'NAME',
    description: 'code scanning category (and sticky comment) of this run',
    default: 'ai-conformance',
    example: 'ai-conformance-1.35',
  },
  verbose: { type: 'boolean', description: 'print every passed check too', example: '' },
} as const satisfies Flags;

/** How the run gets its cluster (src/cluster). */
export interface ClusterRequest {
  mode: ClusterMode;
  kubeconfig?: string;
  context?: string;
  nodeImage?: string;
  addons: boolean;
  keepCluster: boolean;
}

export interface ReportConfig {
  outDir: string;
  template?: string;
  /** The --template URL's content, fetched while checking the flags. */
  templateText?: string;
  product?: string;
  /** Move a --product of another Kubernetes version onto this version's template. */
  migrateProduct?: boolean;
  metadata?: Record<string, string>;
  metadataFile?: string;
  offline: boolean;
  baseline?: RunResults;
  sarifCategory?: string;
  /** --submission: the vX.Y/<dir> folder the submission files are also written to. */
  submission?: string;
}

export interface RunConfig {
  cluster: ClusterRequest;
  /** --kubernetes-version; undefined: the server's. */
  kubernetesVersion?: KubernetesVersion;
  only: readonly string[];
  skip: readonly string[];
  level: 'must' | 'should' | 'all';
  builtinProbes: readonly Probe[];
  /** --probe-dir modules (those replacing a built-in probe allowed by --replace-builtin). */
  extraProbes: readonly ProbeSource[];
  /** --accelerator; undefined: detected from the cluster. */
  accelerator?: AcceleratorProfile;
  parallel?: number;
  timeoutMs?: number;
  /** Everything the probes read, except the version (known once connected). */
  probeOptions: Omit<ProbeOptions, 'kubernetesVersion'>;
  /** Client-side rate limit and retry policy of every API request (src/kube/api.ts has the defaults). */
  api: ApiClientOptions;
  images: ImageOverrides;
  /** Where and how the reports are written; undefined: not written (tests, bench). */
  reports?: ReportConfig;
  verbose: boolean;
  github: GitHubContext;
}

/** A RunConfig with every default, for the test harness and the bench. */
export function defaultRunConfig(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    cluster: { mode: 'kubeconfig', addons: false, keepCluster: false },
    only: [],
    skip: [],
    level: 'all',
    builtinProbes: BUILTIN_PROBES,
    extraProbes: [],
    probeOptions: { allowNodeScaling: false, extra: {} },
    api: {},
    images: {},
    verbose: false,
    github: { publicRepository: false },
    ...overrides,
  };
}

function metadataOf(values: ParsedValues): { metadata?: Record<string, string>; metadataFile?: string } {
  const given = listOption(values, 'metadata');
  const files = given.filter((v) => !v.includes('='));
  if (files.length > 1) throw new UsageError('--metadata takes one file (and any number of KEY=VALUE)');
  const pairs = given.filter((v) => v.includes('='));
  return { metadataFile: files[0], ...(pairs.length ? { metadata: parseKeyValues('--metadata', pairs) } : {}) };
}

/**
 * The reports' directory, made and checked before probing: a bad --out must not waste a run.
 * Only real directories are made, one level at a time from an existing parent: /proc, /sys and
 * the like accept a mkdir and then never let it finish.
 */
async function ensureWritableDir(dir: string): Promise<void> {
  const fail = (why: string) => new UsageError(`--out ${dir}: cannot write reports there (${why})`);
  const resolved = path.resolve(dir);
  const missing: string[] = [];
  let existing = resolved;
  for (;;) {
    const info = await stat(existing).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? undefined : Promise.reject(fail(code ?? oneLine(error)));
    });
    if (info) {
      if (!info.isDirectory()) throw fail(existing === resolved ? 'not a directory' : `${existing} is not a directory`);
      break;
    }
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (/^\/(proc|sys|dev)(\/|$)/.test(existing)) throw fail(`${existing} is a kernel file system`);
  try {
    for (const part of missing) await mkdir(part);
    await access(resolved, constants.W_OK);
  } catch (error) {
    throw fail((error as NodeJS.ErrnoException).code ?? oneLine(error));
  }
}

/** An http(s) URL with a host, or a usage error naming the flag. */
export function checkHttpUrl(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} '${value}' is not a URL (e.g. http://prometheus.monitoring:9090)`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
    throw new UsageError(`${flag} '${value}' must be an http:// or https:// URL with a host`);
  return value;
}

/** --operator must name an operator robust_controller knows how to exercise. */
function checkOperator(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!operatorNamed(value))
    throw new UsageError(
      `--operator '${value}' is not an operator robust_controller knows (known: ${AI_OPERATORS.map((o) => o.name).join(', ')})`,
    );
  return value;
}

/**
 * A --probe-dir module with a built-in probe's id would silently take its place and then be
 * reported under the built-in requirement: it may only with --replace-builtin naming that id.
 */
function checkReplacements(extra: readonly ProbeSource[], replace: readonly string[]): void {
  const builtin = new Set(BUILTIN_PROBES.map((p) => p.id));
  for (const source of extra) {
    if (builtin.has(source.probe.id) && !replace.includes(source.probe.id)) {
      throw new UsageError(
        `--probe-dir: ${source.origin} defines '${source.probe.id}', a built-in probe; pass --replace-builtin ${source.probe.id} to run it instead`,
      );
    }
  }
  for (const id of replace) {
    if (!builtin.has(id)) throw new UsageError(`--replace-builtin ${id}: not a built-in probe (see 'ai-conformance list')`);
    if (!extra.some((s) => s.probe.id === id)) throw new UsageError(`--replace-builtin ${id}: no --probe-dir module defines '${id}'`);
  }
}

/** Parses and checks every `run` flag; reads and checks every file they name. Connects to nothing. */
export async function parseRunConfig(values: ParsedValues, env: NodeJS.ProcessEnv = process.env): Promise<RunConfig> {
  const level = parseLevel(stringOption(values, 'level'));
  const parallelFlag = stringOption(values, 'parallel');
  const parallel = parallelFlag === undefined ? undefined : parsePositiveInt('--parallel', parallelFlag);
  const timeoutFlag = stringOption(values, 'timeout');
  const timeoutMs = timeoutFlag === undefined ? undefined : parseDuration('--timeout', timeoutFlag);
  const qpsFlag = stringOption(values, 'qps');
  const burstFlag = stringOption(values, 'burst');
  const api: ApiClientOptions = {
    ...(qpsFlag === undefined ? {} : { qps: parsePositiveNumber('--qps', qpsFlag) }),
    ...(burstFlag === undefined ? {} : { burst: parsePositiveInt('--burst', burstFlag) }),
  };
  const acceleratorFlag = stringOption(values, 'accelerator');
  const accelerator = acceleratorFlag === undefined ? undefined : profileFromFlag(acceleratorFlag);
  const versionFlag = stringOption(values, 'kubernetes-version');
  const kubernetesVersion = versionFlag === undefined ? undefined : requireKubernetesVersion(versionFlag);
  const cluster: ClusterRequest = {
    mode: parseClusterMode(stringOption(values, 'cluster') ?? 'auto'),
    kubeconfig: stringOption(values, 'kubeconfig'),
    context: stringOption(values, 'context'),
    nodeImage: stringOption(values, 'node-image'),
    addons: booleanOption(values, 'addons'),
    keepCluster: booleanOption(values, 'keep-cluster'),
  };
  if (cluster.mode !== 'kind') {
    if (cluster.addons) throw new UsageError('--addons only applies to --cluster kind');
    if (cluster.nodeImage) throw new UsageError('--node-image only applies to --cluster kind');
  } else {
    if (!kubernetesVersion) throw new UsageError(`--cluster kind needs --kubernetes-version (one of ${KUBERNETES_VERSIONS.join(', ')})`);
    if (cluster.kubeconfig) throw new UsageError('--cluster kind creates its own kubeconfig; drop --kubeconfig');
  }

  const probeDir = stringOption(values, 'probe-dir');
  const extraProbes = probeDir ? await loadProbeDir(probeDir) : [];
  checkReplacements(extraProbes, listOption(values, 'replace-builtin'));
  const knownIds = new Set([...allRequirementIds(), ...extraProbes.map((s) => s.probe.id)]);
  const only = listOption(values, 'only');
  const skip = listOption(values, 'skip');
  if (values.only !== undefined && only.length === 0)
    throw new UsageError("--only needs at least one requirement id (see 'ai-conformance list')");
  for (const [flag, ids] of [
    ['--only', only],
    ['--skip', skip],
  ] as const) {
    const unknown = ids.filter((id) => !knownIds.has(id));
    if (unknown.length) throw new UsageError(`${flag}: unknown requirement id ${unknown.join(', ')} (see 'ai-conformance list')`);
  }
  const allProbes = [...BUILTIN_PROBES, ...extraProbes.map((s) => s.probe)];
  const images: ImageOverrides = { registry: stringOption(values, 'image-registry'), images: parseImageFlags(listOption(values, 'image')) };
  createImageCatalog(allProbes, images); // an --image no probe uses is exit 2 now
  const extra = parseKeyValues('--probe-option', listOption(values, 'probe-option'));
  checkProbeOptions(extra, allProbes); // keys and values against the probes' declarations

  const { metadata, metadataFile } = metadataOf(values);
  const offline = booleanOption(values, 'offline');
  const reports: ReportConfig = {
    outDir: stringOption(values, 'out') ?? DEFAULT_OUT_DIR,
    template: stringOption(values, 'template'),
    product: stringOption(values, 'product'),
    migrateProduct: booleanOption(values, 'migrate-product'),
    metadataFile,
    ...(metadata ? { metadata } : {}),
    offline,
    sarifCategory: stringOption(values, 'sarif-category'),
    submission: stringOption(values, 'submission'),
  };
  // Its vX.Y/ must be the version checked: now when it is given, else once the server's is known.
  if (reports.submission !== undefined) checkSubmissionPath(reports.submission, kubernetesVersion);
  const { templateText } = await checkChecklistInputs(reports);
  if (templateText !== undefined) reports.templateText = templateText;
  // A --product of another Kubernetes version is refused now when the version is given (else once the server's is known).
  if (kubernetesVersion !== undefined) await checkProductFor(reports, kubernetesVersion);
  await ensureWritableDir(reports.outDir);
  const baselineFile = stringOption(values, 'baseline');
  if (baselineFile) reports.baseline = await readResultsFile(baselineFile);

  return {
    cluster,
    kubernetesVersion,
    only,
    skip,
    level,
    builtinProbes: BUILTIN_PROBES,
    extraProbes,
    accelerator,
    parallel,
    timeoutMs,
    probeOptions: {
      allowNodeScaling: booleanOption(values, 'allow-node-scaling'),
      prometheusUrl: checkHttpUrl('--prometheus-url', stringOption(values, 'prometheus-url')),
      acceleratorMetricsUrl: checkHttpUrl('--accelerator-metrics-url', stringOption(values, 'accelerator-metrics-url')),
      operator: checkOperator(stringOption(values, 'operator')),
      extra,
    },
    api,
    images,
    reports,
    verbose: booleanOption(values, 'verbose'),
    github: readGitHubContext(env),
  };
}
