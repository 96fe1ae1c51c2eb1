// The kind provider: a throwaway cluster with a fake DRA driver (dra-example-driver), ready when
// its ResourceSlices are published, plus the PR-mode add-ons on request.

import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { trackWorkDir } from './workdirs.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubernetesVersion } from '../requirements/catalog.js';
import { needsSandboxRuntime, outsideSupport, prModeAddons, type AddonStep } from './addons.js';
import { ProvisionError } from './errors.js';
import { UsageError } from '../errors.js';
import { resolveKind, type KindRelease } from './kindBinary.js';
import { kindConfigYaml } from './kindConfig.js';
import { DEFAULT_CLUSTER_NAME, DRA_EXAMPLE_DRIVER, NODE_IMAGES, WORKER_COUNT } from './pins.js';
import { requireTool, runTool, watchLines, type ToolContext } from './tools.js';

export interface KindOptions {
  kubernetesVersion: KubernetesVersion;
  name?: string;
  /** Overrides the pinned node image for the version. */
  nodeImage?: string;
  /** Install the PR-mode add-ons. */
  addons?: boolean;
  /** Where to write the cluster's kubeconfig; a private temp file when absent. */
  kubeconfigOut?: string;
  /** Budget for each wait (cluster ready, driver ready, slices published). */
  waitTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Tests point this at a local server; defaults to the pinned release. */
  kindRelease?: () => KindRelease;
}

export interface KindCluster {
  name: string;
  context: string;
  kubeconfigPath: string;
  /** False when a cluster of that name already existed and was reused. */
  created: boolean;
  /** Deletes the cluster (when this run created it) and the private kubeconfig. */
  remove(): Promise<void>;
  /** Keeps the cluster but deletes the work directory (and the private kubeconfig in it). */
  release(): Promise<void>;
}

const DEFAULT_WAIT_MS = 300_000;

/** Docker must be installed and its daemon answering before kind can do anything. */
export async function ensureDocker(ctx: ToolContext): Promise<void> {
  const docker = requireTool('docker', ctx.env);
  try {
    await runTool(ctx, docker, ['info', '--format', '{{.ServerVersion}}'], { what: 'reach the Docker daemon', timeoutMs: 30_000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^failed to reach the Docker daemon: /, '') : String(error);
    throw new ProvisionError(`Docker is not running (docker info: ${detail}); start the Docker daemon and retry`);
  }
}

async function clusterExists(ctx: ToolContext, kind: string, name: string): Promise<boolean> {
  const out = await runTool(ctx, kind, ['get', 'clusters'], { what: 'list kind clusters', timeoutMs: 30_000 });
  return out
    .split('\n')
    .map((l) => l.trim())
    .includes(name);
}

/** "v1.35" from a kind node image such as kindest/node:v1.35.0@sha256:…; undefined if it has no such tag. */
function imageMinor(image: string): string | undefined {
  return /:v(\d+\.\d+)/.exec(image)?.[1];
}

/**
 * A cluster of the same name is reused only when it runs the requested Kubernetes minor version:
 * otherwise the run would check one version's requirements against another version's server.
 */
async function checkReusable(ctx: ToolContext, name: string, image: string): Promise<void> {
  const docker = requireTool('docker', ctx.env);
  const running = (
    await runTool(ctx, docker, ['inspect', '--format', '{{.Config.Image}}', `${name}-control-plane`], {
      what: `inspect kind cluster ${name}`,
      timeoutMs: 30_000,
    })
  ).trim();
  const [want, have] = [imageMinor(image), imageMinor(running)];
  if (want && have && want !== have) {
    throw new UsageError(
      `kind cluster ${name} already exists with Kubernetes ${have} (${running}), not ${want}; delete it with 'ai-conformance kind down --name ${name}' or choose another --name`,
    );
  }
}

function toolContext(opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; log?: (line: string) => void }): ToolContext {
  return { env: opts.env ?? process.env, signal: opts.signal, log: opts.log ?? (() => {}) };
}

export async function createKindCluster(opts: KindOptions): Promise<KindCluster> {
  const ctx = toolContext(opts);
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const context = `kind-${name}`;
  const waitMs = opts.waitTimeoutMs ?? DEFAULT_WAIT_MS;
  const image = opts.nodeImage ?? NODE_IMAGES[opts.kubernetesVersion];

  await ensureDocker(ctx);
  const kind = await resolveKind(ctx.env, ctx.log, opts.kindRelease);
  const helm = requireTool('helm', ctx.env);
  const kubectl = requireTool('kubectl', ctx.env);
  const docker = requireTool('docker', ctx.env);

  const created = !(await clusterExists(ctx, kind, name));
  // The work directory holds the generated config and, unless --kubeconfig names a place, the
  // cluster's admin kubeconfig: it is removed on every path (remove or release).
  const workDir = await mkdtemp(path.join(tmpdir(), 'ai-conformance-kind-'));
  const untrack = trackWorkDir(workDir);
  const kubeconfigPath = opts.kubeconfigOut ?? path.join(workDir, 'kubeconfig');
  const release = async (): Promise<void> => {
    await rm(workDir, { recursive: true, force: true });
    untrack();
  };
  const remove = async (): Promise<void> => {
    try {
      if (created) await deleteKindCluster({ name, env: ctx.env, log: ctx.log, kindPath: kind });
    } finally {
      await release();
    }
  };

  try {
    if (opts.kubeconfigOut) await mkdir(path.dirname(opts.kubeconfigOut), { recursive: true });
    if (created) {
      const configPath = path.join(workDir, 'kind-config.yaml');
      await writeFile(
        configPath,
        kindConfigYaml(opts.kubernetesVersion, name, image, {
          sandbox: opts.addons === true && needsSandboxRuntime(opts.kubernetesVersion),
        }),
      );
      ctx.log(`creating kind cluster ${name} (Kubernetes ${opts.kubernetesVersion}, ${image})`);
      await runTool(
        ctx,
        kind,
        [
          'create',
          'cluster',
          '--name',
          name,
          '--image',
          image,
          '--config',
          configPath,
          '--kubeconfig',
          kubeconfigPath,
          '--wait',
          `${Math.round(waitMs / 1000)}s`,
        ],
        { what: `create kind cluster ${name}`, timeoutMs: waitMs + 300_000 },
      );
    } else {
      await checkReusable(ctx, name, image);
      ctx.log(`reusing existing kind cluster ${name}`);
      const kubeconfig = await runTool(ctx, kind, ['get', 'kubeconfig', '--name', name], {
        what: `read the kubeconfig of kind cluster ${name}`,
        timeoutMs: 30_000,
      });
      await writeFile(kubeconfigPath, `${kubeconfig}\n`, { mode: 0o600 });
    }
    await chmod(kubeconfigPath, 0o600);

    const target = ['--kubeconfig', kubeconfigPath, '--kube-context', context];
    const kubectlTarget = ['--kubeconfig', kubeconfigPath, '--context', context];
    const version = DRA_EXAMPLE_DRIVER.chartVersion[opts.kubernetesVersion];
    await runTool(
      ctx,
      helm,
      [
        'upgrade',
        '--install',
        DRA_EXAMPLE_DRIVER.release,
        DRA_EXAMPLE_DRIVER.chart,
        '--version',
        version,
        '--namespace',
        DRA_EXAMPLE_DRIVER.namespace,
        '--create-namespace',
        '--wait',
        '--timeout',
        `${Math.round(waitMs / 1000)}s`,
        ...target,
      ],
      { what: `install dra-example-driver chart ${version}`, timeoutMs: waitMs + 60_000 },
    );
    await waitForResourceSlices(ctx, kubectl, kubectlTarget, waitMs);

    if (opts.addons) {
      // Said, not hidden: a newer Kubernetes than an add-on's newest release lists.
      for (const line of outsideSupport(opts.kubernetesVersion)) ctx.log(`warning: ${line}`);
      const targets = { helm: target, kubectl: kubectlTarget, docker: [] };
      for (const addon of prModeAddons(opts.kubernetesVersion, name)) {
        ctx.log(`installing add-on ${addon.name}`);
        for (const step of addon.steps) await runAddonStep(ctx, { helm, kubectl, docker }, step, targets[step.tool]);
      }
    }
  } catch (error) {
    // A half-built cluster this run created is of no use to anyone; take it down.
    await remove().catch((cleanupError: unknown) => ctx.log(`cleanup after failure also failed: ${String(cleanupError)}`));
    throw error;
  }
  return { name, context, kubeconfigPath, created, remove, release };
}

/** The driver is usable once every worker has published its ResourceSlice: watch until then. */
async function waitForResourceSlices(ctx: ToolContext, kubectl: string, target: string[], timeoutMs: number): Promise<void> {
  await watchLines(
    ctx,
    kubectl,
    [...target, 'get', 'resourceslices', '--field-selector', `spec.driver=${DRA_EXAMPLE_DRIVER.driverName}`, '--watch', '--output', 'name'],
    {
      what: `see ResourceSlices from ${DRA_EXAMPLE_DRIVER.driverName} on ${WORKER_COUNT} nodes`,
      timeoutMs,
      done: (lines) => new Set(lines).size >= WORKER_COUNT,
      progress: (lines) => `saw ${new Set(lines).size} of ${WORKER_COUNT}`,
    },
  );
}

async function runAddonStep(ctx: ToolContext, bins: Record<AddonStep['tool'], string>, step: AddonStep, target: string[]): Promise<void> {
  const file = bins[step.tool];
  await runTool(ctx, file, [...step.args, ...target], { what: step.what, timeoutMs: step.timeoutMs, input: step.input });
}

export interface KindDeleteOptions {
  name?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  log?: (line: string) => void;
  kindPath?: string;
  kindRelease?: () => KindRelease;
}

export async function deleteKindCluster(opts: KindDeleteOptions): Promise<void> {
  const ctx = toolContext(opts);
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const kind = opts.kindPath ?? (await resolveKind(ctx.env, ctx.log, opts.kindRelease));
  ctx.log(`deleting kind cluster ${name}`);
  await runTool(ctx, kind, ['delete', 'cluster', '--name', name], { what: `delete kind cluster ${name}`, timeoutMs: 180_000 });
}
