// The fake Kubernetes API server, in process. See CONTROLLERS.md and fixtures/scenarios/README.md.
import { withClock, type ClockOptions } from './clock.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { CONTROLLERS } from './controllers/index.js';
import type { AdmissionHook, AggregatedApi, Controller, ControllerContext, ProxyHandler } from './controllers/types.js';
import { PodLogs } from './podlogs.js';
import { ResourceRegistry, builtinGroupVersions, resourceKey } from './resources.js';
import type { Fault, Scenario } from './scenario.js';
import { behaviourParams, normaliseScenario } from './scenario.js';
import { seedScenario } from './seed.js';
import type { Stats } from './server.js';
import { ApiServer } from './server.js';
import { Store } from './store.js';
import { servingCerts } from './tls.js';
import type { StoreEvent } from './types.js';

export type { Scenario } from './scenario.js';
export type { ClockOptions } from './clock.js';
export { Store } from './store.js';
export type { KObj, StoreEvent } from './types.js';
export { ApiError } from './errors.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCENARIOS_DIR = resolve(HERE, '..', '..', 'fixtures', 'scenarios');

export interface FakeClusterOptions {
  /** A scenario file path, a name in fixtures/scenarios/ (without .yaml), or a Scenario object. */
  scenario: string | Scenario;
  /** HTTPS with a generated CA (default). false serves plain HTTP (kubeconfig sets insecure-skip-tls-verify). */
  tls?: boolean;
  /** Port to listen on (default: any free port on 127.0.0.1). */
  port?: number;
  /** Where to write the kubeconfig (default: a temporary file removed on stop). */
  kubeconfigPath?: string;
  /** Controller log lines (default: dropped). */
  log?: (line: string) => void;
  /** Controllers on their upstream default times (./clock.ts); overrides the scenario's `clock`. */
  clock?: ClockOptions;
}

export interface FakeCluster {
  url: string;
  kubeconfigPath: string;
  kubeConfig(): KubeConfig;
  store: Store;
  scenario: Scenario;
  logs: PodLogs;
  registry: ResourceRegistry;
  stats(): Stats;
  resetStats(): void;
  /** Injects a fault from now on (the same as a `faults` entry in the scenario). */
  addFault(fault: Fault): void;
  stop(): Promise<void>;
}

function kubeconfigYaml(url: string, token: string, caCert: string | undefined, name: string): string {
  const cluster: Record<string, unknown> = { server: url };
  if (caCert) cluster['certificate-authority-data'] = Buffer.from(caCert).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name: 'fake-admin', user: { token } }],
    contexts: [{ name, context: { cluster: name, user: 'fake-admin', namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

const API_SERVICES = 'apiservices.apiregistration.k8s.io';

/**
 * An aggregated API is an APIService object (VERSION.GROUP) pointing at the adapter's Service,
 * Available once the API server reaches it. One the scenario seeds (an Available=False one, say)
 * is left as it is.
 */
function registerApiService(store: Store, spec: AggregatedApi): void {
  const name = `${spec.version}.${spec.group}`;
  if (store.get(API_SERVICES, undefined, name)) return;
  const service = spec.service ?? { namespace: 'kube-system', name: `${spec.group.split('.')[0]}-adapter` };
  store.create(API_SERVICES, {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name },
    spec: {
      group: spec.group,
      version: spec.version,
      service: { ...service, port: 443 },
      groupPriorityMinimum: 100,
      versionPriority: 100,
      insecureSkipTLSVerify: true,
    },
    status: {
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'Passed',
          message: 'all checks passed',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    },
  });
}

export async function startFakeCluster(opts: FakeClusterOptions): Promise<FakeCluster> {
  const loaded = normaliseScenario(opts.scenario, SCENARIOS_DIR);
  const scenario = withClock(loaded, opts.clock ?? loaded.clock);
  const registry = new ResourceRegistry(
    builtinGroupVersions(scenario.kubernetesVersion).filter(
      (gv) => !(scenario.discovery?.disable ?? []).includes(gv.group ? `${gv.group}/${gv.version}` : gv.version),
    ),
  );
  const store = new Store(registry, scenario.watch?.historySize);
  const logs = new PodLogs();
  const admission: AdmissionHook[] = [];
  const serviceProxies = new Map<string, ProxyHandler>();
  const aggregatedApis = new Map<string, AggregatedApi>();
  const token = randomBytes(24).toString('hex');
  const log = opts.log ?? (() => {});
  const api = new ApiServer({ store, registry, scenario, token, admission, serviceProxies, aggregatedApis, logs });

  // CRD-defined resources must be registered before seeding objects of those kinds.
  const timers = new Set<NodeJS.Timeout>();
  const unsubscribers: (() => void)[] = [];
  const controllers: Controller[] = [];
  let stopped = false;

  const contextFor = (name: string, params: Record<string, unknown>): ControllerContext => ({
    store,
    registry,
    scenario,
    params,
    logs,
    watch(resource, handler, options) {
      const keys = Array.isArray(resource) ? resource : [resource];
      let chain = Promise.resolve();
      const run = (ev: StoreEvent): void => {
        chain = chain
          .then(() => (stopped ? undefined : handler(ev)))
          .catch((err: unknown) => log(`[${name}] ${err instanceof Error ? err.message : String(err)}`));
      };
      const unsubscribe = store.subscribe((ev) => {
        if (keys.includes(ev.resource)) run(ev);
      });
      if (options?.replay !== false) {
        for (const key of keys) {
          if (!registry.byKey(key)) continue;
          // Live objects, as events carry them (read-only for handlers); cloning 100k pods per controller is too slow.
          for (const object of [...store.peek(key)])
            run({ type: 'ADDED', resource: key, object, resourceVersion: Number(store.resourceVersion) });
        }
      }
      unsubscribers.push(unsubscribe);
      return unsubscribe;
    },
    after(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!stopped) fn();
      }, ms);
      timers.add(t);
    },
    registerServiceProxy(namespace, service, port, handler) {
      serviceProxies.set(`${namespace}/${service}:${String(port)}`, handler);
    },
    registerPodProxy(namespace, pod, port, handler) {
      serviceProxies.set(`pod:${namespace}/${pod}:${String(port)}`, handler);
    },
    registerAggregatedApi(spec) {
      aggregatedApis.set(`${spec.group}/${spec.version}`, spec);
      registerApiService(store, spec);
      registry.add({
        group: spec.group,
        version: spec.version,
        source: 'aggregated',
        resources: spec.resources.map((r) => ({ ...r, group: spec.group, version: spec.version })),
      });
    },
    registerAdmission(hook) {
      admission.push(hook);
    },
    log(message) {
      log(`[${name}] ${message}`);
    },
  });

  const enabled = Object.keys(CONTROLLERS).filter((name) => behaviourParams(scenario, name) !== undefined);
  for (const name of Object.keys(scenario.behaviours ?? {})) {
    if (!(name in CONTROLLERS) && behaviourParams(scenario, name) !== undefined) {
      throw new Error(`scenario ${scenario.name}: unknown behaviour "${name}" (known: ${Object.keys(CONTROLLERS).join(', ')})`);
    }
  }
  // The CRD controller goes first so that seeded custom resources find their resource.
  enabled.sort((a, b) => (a === 'crd' ? -1 : b === 'crd' ? 1 : 0));
  const started: { name: string; controller: Controller }[] = [];
  for (const name of enabled) {
    const factory = CONTROLLERS[name];
    if (!factory) continue;
    started.push({ name, controller: factory(contextFor(name, behaviourParams(scenario, name) ?? {})) });
  }
  const crd = started.find((s) => s.name === 'crd');
  if (crd) await crd.controller.start?.();
  seedScenario(store, registry, scenario);
  store.sealSeed();
  for (const s of started) {
    if (s !== crd) await s.controller.start?.();
    controllers.push(s.controller);
  }

  const tls = opts.tls !== false;
  let server: Server;
  let caCert: string | undefined;
  if (tls) {
    const certs = await servingCerts();
    caCert = certs.caCert;
    server = createHttpsServer({ cert: certs.cert, key: certs.key }, api.handle);
  } else {
    server = createHttpServer(api.handle);
  }
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, '127.0.0.1', () => res());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  let tempDir: string | undefined;
  let kubeconfigPath = opts.kubeconfigPath;
  if (!kubeconfigPath) {
    tempDir = mkdtempSync(join(tmpdir(), 'fake-cluster-'));
    kubeconfigPath = join(tempDir, 'kubeconfig');
  }
  const contextName = `fake-${scenario.name || 'cluster'}`;
  const kubeconfigText = kubeconfigYaml(url, token, caCert, contextName);
  writeFileSync(kubeconfigPath, kubeconfigText, { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    store,
    scenario,
    logs,
    registry,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigText);
      return kc;
    },
    stats: () => ({ ...api.stats, byVerb: { ...api.stats.byVerb } }),
    resetStats: () => api.resetStats(),
    addFault(fault) {
      (scenario.faults ??= []).push(fault);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const u of unsubscribers) u();
      for (const t of timers) clearTimeout(t);
      for (const c of controllers) await c.stop?.();
      api.closeWatches();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

export { resourceKey };
