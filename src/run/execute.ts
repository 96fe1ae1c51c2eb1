// The one composition root of a run: the CLI, the test harness and the bench all call
// executeRun with a checked RunConfig. It gets the cluster (provider), reads the server's
// version, picks the accelerator profile, plans, runs the probes, and writes the reports when the
// config asks for them; the cluster provider's cleanup always runs.

import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterUnreachableError, oneLine } from '../errors.js';
import { withCreatedObjects, type ClusterInfo, type RunResults } from '../model/results.js';
import { provisionCluster, type ProvisionedCluster } from '../cluster/index.js';
import { KubeSession } from '../kube/client.js';
import type { ApiStats } from '../kube/api.js';
import { catalogVersion, serverVersion } from '../kube/connect.js';
import { KubeApiError } from '../kube/http.js';
import { detectProfile, undeterminedProfile } from '../probes/profiles.js';
import type { AcceleratorProfile, Clock } from '../probes/types.js';
import { checkSubmissionPath, writeReports, type WrittenReports } from '../report/index.js';
import { checkProductFor } from '../checklist/fill.js';
import { newRunId, planRequirements, runSuite, type RunHandle } from '../runner/index.js';
import { DEFAULT_CLEANUP_TIMEOUT_MS, sessionCluster } from '../runner/cluster.js';
import { createImageCatalog } from '../runner/images.js';
import { TOOL } from '../runner/tool.js';
import { redactSecrets } from '../secrets.js';
import type { ClusterRequest, RunConfig } from './config.js';

/** A cluster to probe, however it was got: loaded config, how it was reached, and its cleanup. */
export interface ProvidedCluster {
  mode: ProvisionedCluster['mode'];
  kubeConfig: KubeConfig;
  context?: string;
  /** Where the kubeconfig came from, for the run's first line. */
  origin?: string;
  cleanup(): Promise<void>;
}

export interface RunDeps {
  /** Gets the cluster; default: src/cluster's providers (kubeconfig, kind, in-cluster). */
  provide?: (
    request: ClusterRequest,
    context: { kubernetesVersion: RunConfig['kubernetesVersion']; signal: AbortSignal; log: (line: string) => void },
  ) => Promise<ProvidedCluster>;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** The run id (default: a new one); known before the run so a signal handler can name it. */
  runId?: string;
  /** Lines about the run (connection, profile) and the runner's progress lines; default stderr. */
  log?: (line: string) => void;
  progress?: (line: string) => void;
  cleanupTimeoutMs?: number;
  heartbeatMs?: number;
  clock?: Clock;
  /** Receives the means to take partial results while the run goes on (a forced exit). */
  handle?: RunHandle;
}

export interface RunOutcome {
  results: RunResults;
  /** Where the reports went, when config.reports asked for them. */
  written?: WrittenReports;
  /** The API client's counters: requests, retries and waits, for the run and each probe. */
  apiStats: ApiStats;
}

const stderrLine = (line: string) => process.stderr.write(`${redactSecrets(line)}\n`);

const defaultProvider: NonNullable<RunDeps['provide']> = (request, context) =>
  provisionCluster({
    cluster: request.mode,
    kubernetesVersion: context.kubernetesVersion,
    kubeconfig: request.kubeconfig,
    context: request.context,
    nodeImage: request.nodeImage,
    addons: request.addons || undefined,
    keepCluster: request.keepCluster,
    signal: context.signal,
    log: context.log,
  });

async function chooseProfile(given: AcceleratorProfile | undefined, session: KubeSession): Promise<AcceleratorProfile> {
  if (given) return given;
  const kube = session.forProbe({ probeId: 'accelerator-detection', namespace: 'default' });
  try {
    return await detectProfile(kube);
  } catch (error) {
    // Refused credentials or a server that stopped answering: nothing else can be checked either.
    if (error instanceof KubeApiError && (error.code === 401 || error.code === undefined)) {
      throw new ClusterUnreachableError(`accelerator detection: ${oneLine(error)}`);
    }
    // Anything else (RBAC denied, retries exhausted): never guess; the probes that need the profile say why they could not run.
    return undeterminedProfile(oneLine(error));
  }
}

/**
 * Why a run is simulated, or undefined for a real platform: the fake API server, a kind cluster
 * (its accelerators come from a fake DRA driver), or the example driver's fake GPUs anywhere.
 * Such a run proves the tool works, never that a platform conforms.
 */
export function simulationOf(fakeServer: boolean, mode: ProvidedCluster['mode'], profile: AcceleratorProfile): string | undefined {
  if (fakeServer) return 'the cluster is the fake Kubernetes API server (test infrastructure)';
  if (mode === 'kind') return 'the cluster is a throwaway kind cluster with a fake accelerator driver (dra-example-driver)';
  if (profile.name === 'example') return 'the accelerators are the fake GPUs of dra-example-driver (accelerator profile example)';
  return undefined;
}

export async function executeRun(config: RunConfig, deps: RunDeps = {}): Promise<RunOutcome> {
  const log = (line: string) => (deps.log ?? stderrLine)(redactSecrets(line));
  const signal = deps.signal ?? new AbortController().signal;
  const runId = deps.runId ?? newRunId();
  const provide = deps.provide ?? defaultProvider;
  let provided: ProvidedCluster | undefined;
  try {
    provided = await provide(config.cluster, { kubernetesVersion: config.kubernetesVersion, signal, log });
    const server = await serverVersion(provided.kubeConfig);
    const version = config.kubernetesVersion ?? catalogVersion(undefined, server.gitVersion);
    // Before probing: a --product of another version would only fail once the run is over.
    if (config.reports) await checkProductFor(config.reports, version);
    if (config.reports?.submission !== undefined) checkSubmissionPath(config.reports.submission, version);
    const clusterInfo: ClusterInfo = {
      mode: server.simulated ? 'fake' : provided.mode,
      ...(provided.context ? { context: provided.context } : {}),
      serverVersion: server.gitVersion,
      simulated: server.simulated,
    };
    log(
      `ai-conformance: run ${runId} against ${clusterInfo.context ?? clusterInfo.mode}${provided.origin ? ` from ${provided.origin}` : ''} (Kubernetes ${server.gitVersion}, checking the ${version} requirements)${server.simulated ? ' - SIMULATED cluster, certifies nothing' : ''}`,
    );

    const session = new KubeSession(provided.kubeConfig, runId, config.api);
    const profile = await chooseProfile(config.accelerator, session);
    log(`ai-conformance: accelerator profile ${profile.name}: ${profile.detail}`);
    const simulatedBecause = simulationOf(server.simulated, provided.mode, profile);
    if (simulatedBecause) Object.assign(clusterInfo, { simulated: true, simulatedBecause });
    const plan = planRequirements({
      version,
      only: config.only,
      skip: config.skip,
      level: config.level,
      builtin: config.builtinProbes,
      extra: config.extraProbes,
    });
    const probes = [...config.builtinProbes, ...config.extraProbes.map((s) => s.probe)];

    const results = await runSuite({
      cluster: sessionCluster(session, deps.cleanupTimeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS),
      clusterInfo,
      kubernetesVersion: version,
      plan,
      profile,
      probeOptions: { kubernetesVersion: version, ...config.probeOptions },
      images: createImageCatalog(probes, config.images),
      parallel: config.parallel,
      timeoutMs: config.timeoutMs,
      signal,
      progress: deps.progress,
      heartbeatMs: deps.heartbeatMs,
      clock: deps.clock,
      verbose: config.verbose,
      tool: TOOL,
      runUrl: config.github.runUrl,
      handle: deps.handle,
    });
    // What each probe created (all of it deleted again) goes into its evidence document.
    const documented = withCreatedObjects(results, session.created);
    const written = config.reports ? await writeReports(documented, { ...config.reports, repository: config.github }) : undefined;
    return { results: documented, ...(written ? { written } : {}), apiStats: session.api.stats };
  } finally {
    // Still inside the caller's signal trap: a signal now must not kill the process halfway through deleting a cluster.
    await provided?.cleanup().catch((error: unknown) => log(`ai-conformance: cluster cleanup failed: ${oneLine(error)}`));
  }
}
