// `run`: get a cluster (an existing one or a kind cluster), probe every selected requirement,
// write every report into --out, and exit 0/1/2/3 as DESIGN.md §3 says.

import { access, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import type { Command, ParsedValues } from './command.js';
import { COMMON_OPTIONS, booleanOption, listOption, stringOption } from './command.js';
import { UsageError, oneLine } from '../errors.js';
import { exitCodeFor, isReadyToSubmit, type ClusterInfo, type RunResults } from '../model/results.js';
import { allRequirementIds, parseKubernetesVersion } from '../requirements/catalog.js';
import { BUILTIN_PROBES } from '../probes/index.js';
import { detectProfile, profileFromFlag } from '../probes/profiles.js';
import type { AcceleratorProfile } from '../probes/types.js';
import { parseClusterMode, provisionCluster, type ProvisionedCluster } from '../cluster/index.js';
import { KubeSession } from '../kube/client.js';
import { catalogVersion, loadKubeConfig, serverVersion } from '../kube/connect.js';
import { REPORT_FILES, writeReports } from '../report/index.js';
import { checkChecklistInputs, checkProductFor } from '../checklist/fill.js';
import { readResultsFile } from '../report/results-file.js';
import { newRunId, planRequirements, runSuite } from '../runner/index.js';
import { sessionCluster } from '../runner/cluster.js';
import { parseDuration, parseKeyValues, parseLevel, parsePositiveInt, parsePositiveNumber } from '../runner/flags.js';
import { createImageCatalog, parseImageFlags } from '../runner/images.js';
import { loadProbeDir } from '../runner/probeDir.js';
import { TOOL, workflowRunUrl } from '../runner/tool.js';
import { redactSecrets } from '../secrets.js';

const USAGE =
  'run [--kubeconfig K] [--context C] [--cluster kubeconfig|kind|in-cluster|auto] [--kubernetes-version V] ' +
  '[--addons] [--node-image IMAGE] [--keep-cluster] [--only IDS] [--skip IDS] ' +
  '[--level must|should|all] [--accelerator example|nvidia|nvidia-dra|deviceclass:NAME|resource:NAME] [--parallel N] [--timeout 10m] [--qps 50] [--burst 100] ' +
  '[--out DIR] [--probe-dir DIR] [--image-registry REG] [--image NAME=REF] [--template T] [--product P [--migrate-product]] [--metadata FILE|KEY=VALUE] ' +
  '[--baseline RESULTS.json] [--offline] [--sarif-category C] [--allow-node-scaling] [--prometheus-url URL] ' +
  '[--accelerator-metrics-url URL] [--operator NAME] [--probe-option KEY=VALUE] [--verbose]';

// Lines carry cluster text (detection failures, cleanup errors) into CI logs.
const say = (line: string) => process.stderr.write(`${redactSecrets(line)}\n`);

/**
 * Aborts on the first SIGINT/SIGTERM (cleanup still runs); the same signal again exits at once.
 * A different one does not: GitHub Actions cancels a job with SIGINT and then SIGTERM, and the
 * cleanup needs that time.
 */
function trapSignals(controller: AbortController, runLabel: () => string): () => void {
  const received = new Set<NodeJS.Signals>();
  const handler = (signal: NodeJS.Signals) => {
    const again = received.has(signal);
    received.add(signal);
    if (controller.signal.aborted && !again) {
      say(`ai-conformance: ${signal} received: still cleaning up (send ${signal} again to exit at once)`);
      return;
    }
    if (again) {
      say(
        `ai-conformance: ${signal} again: exiting without cleanup; delete what is left with: kubectl delete ns,clusterqueues,resourceflavors,queues -l ${runLabel()} (and any kind cluster this run created: ai-conformance kind down)`,
      );
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    say(`ai-conformance: ${signal} received: stopping the probes and cleaning up (send it again to exit at once)`);
    controller.abort(new Error(`cancelled by ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function metadataOf(values: ParsedValues): { metadata?: Record<string, string>; metadataFile?: string } {
  const given = listOption(values, 'metadata');
  const files = given.filter((v) => !v.includes('='));
  if (files.length > 1) throw new UsageError('--metadata takes one file (and any number of KEY=VALUE)');
  const pairs = given.filter((v) => v.includes('='));
  return { metadataFile: files[0], ...(pairs.length ? { metadata: parseKeyValues('--metadata', pairs) } : {}) };
}

/** The reports' directory, made and checked before probing: a bad --out must not waste a run. */
async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--out ${dir}: cannot write reports there (${code ?? oneLine(error)})`);
  }
}

async function chooseProfile(flag: string | undefined, session: KubeSession): Promise<AcceleratorProfile> {
  if (flag) return profileFromFlag(flag);
  const kube = session.forProbe({ probeId: 'accelerator-detection', namespace: 'default' });
  try {
    return await detectProfile(kube);
  } catch (error) {
    const fallback = profileFromFlag('example');
    return { ...fallback, detected: true, detail: `detection failed (${oneLine(error)}); assuming the example profile — pass --accelerator to choose` };
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Connect to or provision a cluster, probe every requirement, write the reports',
  usage: USAGE,
  options: {
    ...COMMON_OPTIONS,
    cluster: { type: 'string' },
    'keep-cluster': { type: 'boolean' },
    'node-image': { type: 'string' },
    addons: { type: 'boolean' },
    only: { type: 'string', multiple: true },
    skip: { type: 'string', multiple: true },
    level: { type: 'string' },
    accelerator: { type: 'string' },
    parallel: { type: 'string' },
    timeout: { type: 'string' },
    qps: { type: 'string' },
    burst: { type: 'string' },
    out: { type: 'string' },
    'probe-dir': { type: 'string' },
    'probe-option': { type: 'string', multiple: true },
    'image-registry': { type: 'string' },
    image: { type: 'string', multiple: true },
    'allow-node-scaling': { type: 'boolean' },
    'prometheus-url': { type: 'string' },
    'accelerator-metrics-url': { type: 'string' },
    operator: { type: 'string' },
    baseline: { type: 'string' },
    template: { type: 'string' },
    product: { type: 'string' },
    'migrate-product': { type: 'boolean' },
    metadata: { type: 'string', multiple: true },
    offline: { type: 'boolean' },
    'sarif-category': { type: 'string' },
    verbose: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`run takes no arguments, got '${positionals[0]}' (see 'ai-conformance run --help')`);
    // Everything that can be checked without a cluster is checked first: bad input exits 2 at once.
    const outDir = stringOption(values, 'out') ?? './ai-conformance-results';
    const level = parseLevel(stringOption(values, 'level'));
    const parallelFlag = stringOption(values, 'parallel');
    const parallel = parallelFlag === undefined ? undefined : parsePositiveInt('--parallel', parallelFlag);
    const timeoutFlag = stringOption(values, 'timeout');
    const timeoutMs = timeoutFlag === undefined ? undefined : parseDuration('--timeout', timeoutFlag);
    const qpsFlag = stringOption(values, 'qps');
    const burstFlag = stringOption(values, 'burst');
    // Client-side rate limit of every API request (src/kube/throttle.ts has the defaults).
    const apiLimits = {
      ...(qpsFlag === undefined ? {} : { qps: parsePositiveNumber('--qps', qpsFlag) }),
      ...(burstFlag === undefined ? {} : { burst: parsePositiveInt('--burst', burstFlag) }),
    };
    const acceleratorFlag = stringOption(values, 'accelerator');
    if (acceleratorFlag) profileFromFlag(acceleratorFlag);
    const requestedVersion = stringOption(values, 'kubernetes-version');
    if (requestedVersion !== undefined) catalogVersion(requestedVersion, undefined);
    const clusterMode = parseClusterMode(stringOption(values, 'cluster') ?? 'auto');
    const probeDir = stringOption(values, 'probe-dir');
    const extra = probeDir ? await loadProbeDir(probeDir) : [];
    const only = listOption(values, 'only');
    const skip = listOption(values, 'skip');
    const knownIds = new Set([...allRequirementIds(), ...extra.map((s) => s.probe.id)]);
    for (const [flag, ids] of [['--only', only], ['--skip', skip]] as const) {
      const unknown = ids.filter((id) => !knownIds.has(id));
      if (unknown.length) throw new UsageError(`${flag}: unknown requirement id ${unknown.join(', ')} (see 'ai-conformance list')`);
    }
    const allProbes = [...BUILTIN_PROBES, ...extra.map((s) => s.probe)];
    const images = createImageCatalog(allProbes, {
      registry: stringOption(values, 'image-registry'),
      images: parseImageFlags(listOption(values, 'image')),
    });
    const probeExtra = parseKeyValues('--probe-option', listOption(values, 'probe-option'));
    const knownOptions = new Set(allProbes.flatMap((p) => p.options ?? []));
    for (const key of Object.keys(probeExtra)) {
      if (!knownOptions.has(key)) throw new UsageError(`--probe-option: no probe reads '${key}' (known: ${[...knownOptions].sort().join(', ') || 'none'})`);
    }
    const { metadata, metadataFile } = metadataOf(values);
    const checklistInputs = {
      product: stringOption(values, 'product'),
      migrateProduct: booleanOption(values, 'migrate-product'),
      template: stringOption(values, 'template'),
      metadataFile,
      offline: booleanOption(values, 'offline'),
    };
    await checkChecklistInputs(checklistInputs);
    // A --product of another Kubernetes version is refused before connecting when the version is given.
    if (requestedVersion !== undefined) await checkProductFor(checklistInputs, catalogVersion(requestedVersion, undefined));
    await ensureWritableDir(outDir);
    const baselineFile = stringOption(values, 'baseline');
    const baseline: RunResults | undefined = baselineFile ? await readResultsFile(baselineFile) : undefined;

    const controller = new AbortController();
    const runId = newRunId();
    const untrap = trapSignals(controller, () => `ai-conformance.cncf.io/run=${runId}`);
    let provisioned: ProvisionedCluster | undefined;
    try {
      provisioned = await provisionCluster({
        cluster: clusterMode,
        // --cluster kind creates its cluster at this version (src/cluster); other modes read the server's.
        kubernetesVersion: requestedVersion ? parseKubernetesVersion(requestedVersion) : undefined,
        kubeconfig: stringOption(values, 'kubeconfig'),
        context: stringOption(values, 'context'),
        nodeImage: stringOption(values, 'node-image'),
        addons: booleanOption(values, 'addons') || undefined,
        keepCluster: booleanOption(values, 'keep-cluster'),
        signal: controller.signal,
        log: say,
      });
      const loaded = loadKubeConfig({
        kubeconfig: provisioned.kubeconfigPath,
        context: provisioned.mode === 'kind' ? provisioned.context : stringOption(values, 'context'),
        inCluster: provisioned.mode === 'in-cluster',
      });
      const server = await serverVersion(loaded.config);
      const version = catalogVersion(requestedVersion, server.gitVersion);
      await checkProductFor(checklistInputs, version);
      const clusterInfo: ClusterInfo = {
        mode: server.simulated ? 'fake' : provisioned.mode,
        ...(loaded.context ? { context: loaded.context } : {}),
        serverVersion: server.gitVersion,
        simulated: server.simulated,
      };
      say(`ai-conformance: run ${runId} against ${clusterInfo.context ?? clusterInfo.mode} (Kubernetes ${server.gitVersion}, checking the ${version} requirements)${server.simulated ? ' - SIMULATED cluster, certifies nothing' : ''}`);

      const session = new KubeSession(loaded.config, runId, apiLimits);
      const profile = await chooseProfile(acceleratorFlag, session);
      say(`ai-conformance: accelerator profile ${profile.name}: ${profile.detail}`);
      const plan = planRequirements({ version, only, skip, level, builtin: BUILTIN_PROBES, extra });

      const results = await runSuite({
        cluster: sessionCluster(session),
        clusterInfo,
        kubernetesVersion: version,
        plan,
        profile,
        probeOptions: {
          kubernetesVersion: version,
          allowNodeScaling: booleanOption(values, 'allow-node-scaling'),
          prometheusUrl: stringOption(values, 'prometheus-url'),
          acceleratorMetricsUrl: stringOption(values, 'accelerator-metrics-url'),
          operator: stringOption(values, 'operator'),
          extra: probeExtra,
        },
        images,
        parallel,
        timeoutMs,
        signal: controller.signal,
        verbose: booleanOption(values, 'verbose'),
        tool: TOOL,
        runUrl: workflowRunUrl(),
      });

      await writeReports(results, {
        outDir,
        ...checklistInputs,
        metadata,
        baseline,
        sarifCategory: stringOption(values, 'sarif-category'),
      });
      process.stdout.write(`Wrote ${Object.values(REPORT_FILES).join(', ')} to ${path.resolve(outDir)}\n`);
      const ready = isReadyToSubmit(results);
      process.stdout.write(`${ready ? 'Ready to submit.' : 'Not ready to submit: see summary.md.'}${results.cluster.simulated ? ' (simulated cluster)' : ''}\n`);
      // A cancelled run is never a success, whatever its levels.
      return controller.signal.aborted ? Math.max(1, exitCodeFor(results)) : exitCodeFor(results);
    } finally {
      // Still trapped: a signal now must not kill the process halfway through deleting a cluster.
      await provisioned?.cleanup().catch((error: unknown) => say(`ai-conformance: cluster cleanup failed: ${oneLine(error)}`));
      untrap();
    }
  },
};
