// The kubelet of every Ready node: starts bound pods, reports container states and exit codes,
// writes container logs, and finishes graceful deletions. It cannot run shell, so what a
// container does follows the rule documented in fixtures/scenarios/README.md (behaviours.kubelet).
import { randomBytes } from 'node:crypto';
import {
  isAcceleratorResource,
  isNvidiaResource,
  nvidiaDraDevice,
  nvidiaGpusOfNode,
  ownVisibleDevices,
  pluginDevice,
  privileged,
  renderDeviceLine,
  visibleByEnv,
  type SeenDevice,
} from '../devices.js';
import { CLAIMS, SLICES, allocationResults, devicesOf, podClaimNames } from '../dra.js';
import { ContainerRuntime } from '../runtime.js';
import { forgetGrants, markLoading, recordGrant } from '../podresources.js';
import { runLoadGenerator, runsLoadGenerator } from '../dcgmproftester.js';
import { nowTimestamp } from '../store.js';
import type { KObj } from '../types.js';
import { textOf } from '../types.js';
import type { ControllerFactory } from './types.js';
import { arr, podTerminal, quantity, rec, recordEvent, setCondition } from './util.js';

export const RESULT_MARKER = 'AI_CONFORMANCE_RESULT';

interface ContainerRule {
  match?: {
    namespace?: string;
    pod?: string;
    container?: string;
    image?: string;
    commandContains?: string;
    labels?: Record<string, string>;
  };
  /** Exit with this code (the container terminates even under restartPolicy Always: then the pod is Failed-like CrashLoopBackOff). */
  exitCode?: number;
  /** Keep running until deleted. */
  running?: boolean;
  /** Text appended to the container log. */
  log?: string;
  /** Replace the device list a marker container prints. */
  devices?: string[];
  /** Delay before the container terminates. */
  afterMs?: number;
}

interface Fate {
  exitCode?: number;
  afterMs: number;
  log: string;
}

/**
 * What `nvidia-smi -L` prints in a container given these devices (one line per GPU, one per MIG
 * instance under its GPU), for `$(nvidia-smi -L ... | tr '\n' ';')`; undefined for other commands.
 */
function smiList(command: string, seen: SeenDevice[]): string | undefined {
  if (!/^\s*nvidia-smi\s+-L\b/.test(command)) return undefined;
  const lines = [...new Set(seen.flatMap((d) => d.smi ?? []))];
  const joined = /\|\s*tr\s+'\\n'\s+';'/.test(command);
  return joined ? lines.map((line) => `${line};`).join('') : lines.join('\n');
}

function commandText(container: Record<string, unknown>): string {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  return [...list(container.command), ...list(container.args)].map(String).join(' ');
}

function ruleMatches(rule: ContainerRule, pod: KObj, c: Record<string, unknown>): boolean {
  const m = rule.match ?? {};
  const labels = pod.metadata.labels ?? {};
  return (
    (m.namespace === undefined || m.namespace === pod.metadata.namespace) &&
    (m.pod === undefined || new RegExp(m.pod).test(pod.metadata.name ?? '')) &&
    (m.container === undefined || m.container === c.name) &&
    (m.image === undefined || textOf(c.image).startsWith(m.image)) &&
    (m.commandContains === undefined || commandText(c).includes(m.commandContains)) &&
    Object.entries(m.labels ?? {}).every(([k, v]) => labels[k] === v)
  );
}

/** Whether a shell command keeps running (a long sleep, `sleep infinity`, `tail -f`, a server in the foreground). */
function longRunning(text: string): boolean {
  if (/\bsleep\s+(infinity|inf)\b/.test(text) || /\btail\s+-f\b/.test(text)) return true;
  // busybox httpd -f stays in the foreground, serving until the container is stopped.
  if (/\bhttpd\b[^;&|\n]*\s-f\b/.test(text)) return true;
  const sleeps = [...text.matchAll(/\bsleep\s+(\d+)/g)].map((m) => Number(m[1]));
  return sleeps.some((s) => s >= 30);
}

/**
 * `for VAR in $(seq [FIRST] LAST); do BODY; done` written out as BODY once per value, as the shell
 * runs it (the loops probe clients send their requests in); other loops are left as they are.
 */
function unrolledLoops(text: string): string {
  return text.replace(
    /\bfor\s+(\w+)\s+in\s+\$\(seq\s+(\d+)(?:\s+(\d+))?\);\s*do\s+([\s\S]*?);?\s*done\b/g,
    (_whole, name: string, a: string, b: string | undefined, body: string) => {
      const [first, last] = b === undefined ? [1, Number(a)] : [Number(a), Number(b)];
      const copies: string[] = [];
      for (let value = first; value <= last && copies.length < 10_000; value++)
        copies.push(body.replace(new RegExp(`\\$\\{?${name}\\}?\\b`, 'g'), String(value)));
      return copies.join('\n');
    },
  );
}

/** What the command's `echo`s print; `$(COMMAND)` inside double quotes or bare words is replaced by `substitute`. */
function echoedLines(script: string, substitute: (command: string) => string | undefined = () => undefined): string {
  const lines: string[] = [];
  const text = unrolledLoops(script);
  for (const m of text.matchAll(/\becho\s+(?:"([^"]*)"|'([^']*)'|([^;&|\n]+))/g)) {
    const groups: readonly (string | undefined)[] = m; // one of the three quotings matched
    const [, double, single, bare] = groups;
    // `echo WORD > FILE` writes the file, not the log.
    if (bare?.includes('>')) continue;
    const literal = (double ?? single ?? bare ?? '').trim();
    const line =
      single !== undefined ? literal : literal.replace(/\$\(([^()]*)\)/g, (whole, command: string) => substitute(command) ?? whole);
    if (!line.startsWith(RESULT_MARKER)) lines.push(line);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export const kubelet: ControllerFactory = (ctx) => {
  const { store, logs, params } = ctx;
  const num = (key: string, fallback: number): number => (typeof params[key] === 'number' ? params[key] : fallback);
  // Time from binding to Running: a fixed part, an image pull the first time a node runs an image,
  // container creation, and device preparation (DRA NodePrepareResources / device plugin
  // Allocate) for pods with accelerators. Real clusters take seconds; the defaults are scaled down
  // a thousandfold so that tests stay fast but nothing appears instantly.
  const startDelayMs = num('startDelayMs', 0);
  const imagePullMs = num('imagePullMs', 15);
  const containerStartMs = num('containerStartMs', 3);
  const devicePrepareMs = num('devicePrepareMs', 5);
  /** How long one second of a load generator's run (dcgmproftester -d) lasts here. */
  const loadMsPerSecond = num('loadMsPerSecond', 50);
  /** node -> images already pulled there. */
  const pulled = new Map<string, Set<string>>();
  const breakIsolation = params.breakIsolation === true;
  const envDrivers = Array.isArray(params.envDrivers) ? params.envDrivers.map(String) : ['gpu.example.com'];
  const devDrivers = Array.isArray(params.devDrivers) ? params.devDrivers.map(String) : ['gpu.nvidia.com'];
  // Resources named here that the device model does not know get /dev/<prefix><i> devices.
  const devResources = Object.fromEntries(
    Object.entries(rec(params.extendedResources) as Record<string, string>).filter(([r]) => !isAcceleratorResource(r)),
  );
  const draDevNodes = rec(params.draDevNodes) as Partial<Record<string, string[]>>;
  const nvidiaRuntime = params.nvidiaRuntime !== false;
  // nvidia-container-toolkit's default (config.toml accept-nvidia-visible-devices-envvar-when-unprivileged).
  const acceptEnvvarUnprivileged = params.acceptNvidiaVisibleDevicesEnvvarWhenUnprivileged !== false;
  const rules = (Array.isArray(params.containers) ? params.containers : []) as ContainerRule[];
  const pullFailures = Array.isArray(params.imagePullFailures) ? params.imagePullFailures.map(String) : [];
  const downNodes = Array.isArray(params.downNodes) ? params.downNodes.map(String) : [];
  const runtime = new ContainerRuntime(store, params);

  /** node -> resource -> index -> pod uid: which device-plugin devices each pod holds. */
  const extAssigned = new Map<string, Map<string, Map<number, string>>>();
  const starting = new Set<string>();

  const nodeOk = (name: string): boolean => {
    if (downNodes.includes(name)) return false;
    const node = store.peekOne('nodes', undefined, name);
    return !!node && arr(rec(node.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
  };

  const freeExtended = (podUid: string): void => {
    for (const byRes of extAssigned.values())
      for (const byIdx of byRes.values()) for (const [i, uid] of byIdx) if (uid === podUid) byIdx.delete(i);
  };

  /** Assigns device-plugin device indices to a container; distinct per pod on a node. */
  const assignExtended = (node: KObj, pod: KObj, resource: string, count: number): number[] => {
    const name = node.metadata.name ?? '';
    const byRes = extAssigned.get(name) ?? new Map<string, Map<number, string>>();
    extAssigned.set(name, byRes);
    const byIdx = byRes.get(resource) ?? new Map<number, string>();
    byRes.set(resource, byIdx);
    const capacity = quantity(rec(rec(node.status).allocatable)[resource]);
    const out: number[] = [];
    for (let i = 0; i < capacity && out.length < count; i++) {
      if (!byIdx.has(i)) {
        byIdx.set(i, pod.metadata.uid ?? '');
        out.push(i);
      }
    }
    return out;
  };

  /** The NVIDIA runtime is the default runtime of nodes with NVIDIA GPUs (the GPU Operator sets it so). */
  const nvidiaRuntimeOn = (node: KObj, draGpuCount: number): boolean =>
    nvidiaRuntime &&
    (draGpuCount > 0 ||
      Object.keys(rec(rec(node.status).allocatable)).some(isNvidiaResource) ||
      node.metadata.labels?.['nvidia.com/gpu.present'] === 'true');

  /** How one allocated DRA device shows in a container, by its driver. */
  const draDevice = (d: { driver: string; name: string; attributes: Record<string, unknown> }, ordinal: number): SeenDevice | undefined => {
    if (envDrivers.includes(d.driver)) return { id: d.name, nodes: [], env: d.name };
    if (devDrivers.includes(d.driver)) return nvidiaDraDevice(d.name, d.attributes, ordinal);
    const pattern = draDevNodes[d.driver];
    if (pattern) {
      const index = Number(rec(d.attributes.index).int ?? /(\d+)$/.exec(d.name)?.[1] ?? ordinal);
      const nodes = pattern.map((p) =>
        p.replace(/\{(\d+)\+index\}/g, (_, base: string) => String(Number(base) + index)).replace(/\{index\}/g, String(index)),
      );
      return { id: nodes[nodes.length - 1] ?? d.name, nodes };
    }
    return undefined;
  };

  /** What a container sees: its granted devices, plus whatever the NVIDIA runtime adds on its own. */
  const devicesSeen = (pod: KObj, c: Record<string, unknown>, node: KObj): SeenDevice[] => {
    const seen: SeenDevice[] = [];
    const nodeName = node.metadata.name ?? '';
    const onNode = store.registry.byKey(SLICES) ? devicesOf(store).filter((d) => d.nodeName === undefined || d.nodeName === nodeName) : [];
    const nvidiaDra = onNode.filter((d) => devDrivers.includes(d.driver));
    const draGpus = nvidiaDra.map((d, i) => nvidiaDraDevice(d.name, d.attributes, i)).filter((d) => d.smi && !d.id.startsWith('MIG-'));
    const allocatable = rec(rec(node.status).allocatable);
    if (breakIsolation) {
      onNode.forEach((d, i) => {
        const shown = draDevice(d, i);
        if (shown) seen.push(shown);
      });
      for (const [resource, value] of Object.entries(allocatable)) {
        if (!isAcceleratorResource(resource) && !(resource in devResources)) continue;
        for (let i = 0; i < quantity(value); i++) {
          const d = pluginDevice(node, resource, i) ?? legacyDevice(resource, i);
          if (d) seen.push(d);
        }
      }
    } else {
      const claimNames = podClaimNames(pod);
      for (const ref of arr(rec(c.resources).claims)) {
        const claimName = claimNames.get(String(ref.name));
        const claim = claimName && store.registry.byKey(CLAIMS) ? store.get(CLAIMS, pod.metadata.namespace, claimName) : undefined;
        if (!claim) continue;
        allocationResults(claim).forEach((r, i) => {
          if (typeof ref.request === 'string' && r.request !== ref.request && !r.request.startsWith(`${ref.request}/`)) return;
          const d = onNode.find((s) => s.driver === r.driver && s.pool === r.pool && s.name === r.device);
          const shown = draDevice(d ?? { driver: r.driver, name: r.device, attributes: {} }, i);
          if (shown) seen.push(shown);
        });
      }
      const limits = rec(rec(c.resources).limits);
      for (const resource of Object.keys(limits)) {
        const n = quantity(limits[resource]);
        if (n <= 0 || (!isAcceleratorResource(resource) && !(resource in devResources))) continue;
        for (const i of assignExtended(node, pod, resource, n)) {
          const d = pluginDevice(node, resource, i) ?? legacyDevice(resource, i);
          if (d) seen.push(d);
        }
      }
      recordGrant(
        store,
        pod,
        nodeName,
        String(c.name),
        commandText(c),
        seen.map((d) => d.id),
      );
    }
    // The NVIDIA runtime reads NVIDIA_VISIBLE_DEVICES from the container's own environment unless
    // the toolkit refuses it for unprivileged containers; the device plugin's own value (envvar
    // strategy) replaces the container's only where the plugin granted devices.
    const own = ownVisibleDevices(c);
    const grantedNvidia = seen.some((d) => d.smi);
    if (own !== undefined && !grantedNvidia && nvidiaRuntimeOn(node, draGpus.length) && (acceptEnvvarUnprivileged || privileged(c))) {
      seen.push(...visibleByEnv(own, nvidiaGpusOfNode(node, draGpus)));
    }
    const byId = new Map<string, SeenDevice>();
    for (const d of seen) byId.set(`${d.id}|${d.nodes.join(',')}`, d);
    return [...byId.values()];
  };

  /** A resource named in `extendedResources` with a /dev prefix of its own (older scenarios). */
  const legacyDevice = (resource: string, index: number): SeenDevice | undefined => {
    const prefix = devResources[resource];
    return prefix ? { id: `${prefix}${index}`, nodes: [`${prefix}${index}`] } : undefined;
  };

  const fateOf = (pod: KObj, c: Record<string, unknown>, node: KObj): Fate => {
    const text = commandText(c);
    const restartAlways = (rec(pod.spec).restartPolicy ?? 'Always') === 'Always';
    const rule = rules.find((r) => ruleMatches(r, pod, c));
    let log: string;
    // Device-plugin devices are assigned whether or not the script lists them.
    const granted = devicesSeen(pod, c, node);
    const substitute = (command: string): string | undefined => smiList(command, granted) ?? runtime.commandOutput(command, pod, c, node);
    // NVIDIA's load generator is modelled (../dcgmproftester.ts): the script's lines before its
    // loop over the binaries are echoed, then what the generator prints, then (every binary
    // refused) the lines after the loop.
    // A rule that decides the container's end (a hang, a crash) replaces the generator's run.
    const ruled = rule?.running === true || rule?.exitCode !== undefined;
    const loopAt = runsLoadGenerator(text) ? text.search(/\bfor\s+\w+\s+in\s+dcgmproftester/) : -1;
    const generator = loopAt >= 0 && !ruled ? runLoadGenerator(pod, c, node, granted, text) : undefined;
    const echoed =
      loopAt < 0
        ? echoedLines(text, substitute)
        : echoedLines(text.slice(0, loopAt), substitute) +
          (generator?.log ? `${generator.log}\n` : '') +
          (generator && generator.exitCode === undefined ? echoedLines(text.slice(text.indexOf('done', loopAt) + 4), substitute) : '');
    if (text.includes(RESULT_MARKER)) {
      const seen = renderDeviceLine(text, granted);
      const line = rule?.devices
        ? { devices: rule.devices }
        : { devices: seen.devices, ...(seen.nodes.length ? { nodes: seen.nodes } : {}) };
      log = `${RESULT_MARKER} ${JSON.stringify(line)}\n${echoed}`;
    } else {
      log = echoed;
    }
    if (rule?.log) log += rule.log.endsWith('\n') ? rule.log : `${rule.log}\n`;
    if (generator?.loads) markLoading(store, pod.metadata.uid ?? '', String(c.name));
    // NVIDIA's load generator runs for its -d seconds, scaled like every other duration here; a
    // refusal ends it at once.
    const load = generator?.loads ? /\s-d\s+(\d+)\b/.exec(text) : null;
    const afterMs = rule?.afterMs ?? (load ? Number(load[1]) * loadMsPerSecond : 0);
    if (rule?.running) return { afterMs, log };
    if (rule?.exitCode !== undefined) return { exitCode: rule.exitCode, afterMs, log };
    if (generator) {
      const scriptExit = Number(/\bexit\s+(\d+)\s*$/.exec(text.trim())?.[1] ?? '1');
      return { exitCode: generator.exitCode ?? scriptExit, afterMs, log };
    }
    if (restartAlways || longRunning(text)) return { afterMs, log };
    const exit = /\bexit\s+(\d+)/.exec(text);
    return { exitCode: exit && !text.includes(RESULT_MARKER) ? Number(exit[1]) : 0, afterMs, log };
  };

  const containerId = (): string => `containerd://${randomBytes(32).toString('hex')}`;

  const start = (pod: KObj): void => {
    const uid = pod.metadata.uid ?? '';
    const nodeName = String(rec(pod.spec).nodeName);
    const node = store.get('nodes', undefined, nodeName);
    if (!node) return;
    const containers = arr(rec(pod.spec).containers);
    const failing = containers.find((c) => pullFailures.some((p) => textOf(c.image).startsWith(p)));
    const now = nowTimestamp();
    const podIP = `10.244.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 2}`;
    const hostIP = textOf(arr(rec(node.status).addresses).find((a) => a.type === 'InternalIP')?.address, '172.18.0.2');
    if (failing) {
      store.mutate(
        'pods',
        pod.metadata.namespace,
        pod.metadata.name ?? '',
        (p) => {
          const status = rec(p.status);
          status.hostIP = hostIP;
          status.startTime = now;
          status.containerStatuses = containers.map((c) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'ErrImagePull', message: `failed to pull and unpack image "${String(c.image)}": not found` } },
          }));
          p.status = status;
          return p;
        },
        'status',
      );
      recordEvent(store, pod, 'Warning', 'Failed', `Failed to pull image "${String(failing.image)}"`, 'kubelet');
      return;
    }
    const sandboxError = runtime.sandboxError(pod, node);
    if (sandboxError) {
      // containerd has no such handler here: the pod stays ContainerCreating, as on a real node.
      store.mutate(
        'pods',
        pod.metadata.namespace,
        pod.metadata.name ?? '',
        (p) => {
          const status = rec(p.status);
          status.hostIP = hostIP;
          status.startTime = now;
          status.containerStatuses = containers.map((c) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          }));
          p.status = status;
          return p;
        },
        'status',
      );
      recordEvent(store, pod, 'Warning', 'FailedCreatePodSandBox', sandboxError, 'kubelet');
      return;
    }
    const fates = new Map<string, Fate>();
    for (const c of containers) fates.set(String(c.name), fateOf(pod, c, node));
    for (const [name, fate] of fates) logs.append(pod.metadata.namespace ?? '', pod.metadata.name ?? '', name, fate.log);
    const ids = new Map(containers.map((c) => [String(c.name), containerId()]));
    store.mutate(
      'pods',
      pod.metadata.namespace,
      pod.metadata.name ?? '',
      (p) => {
        if (p.metadata.uid !== uid) return undefined;
        const status = rec(p.status);
        status.phase = 'Running';
        status.hostIP = hostIP;
        status.hostIPs = [{ ip: hostIP }];
        status.podIP = podIP;
        status.podIPs = [{ ip: podIP }];
        status.startTime = now;
        for (const type of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'])
          setCondition(status, { type, status: 'True', lastProbeTime: null });
        const inits = arr(rec(p.spec).initContainers);
        if (inits.length) {
          status.initContainerStatuses = inits.map((c) => ({
            name: c.name,
            image: c.image,
            imageID: `${String(c.image)}@sha256:${'0'.repeat(64)}`,
            containerID: containerId(),
            ready: true,
            restartCount: 0,
            started: false,
            state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } },
          }));
        }
        status.containerStatuses = containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: `${String(c.image)}@sha256:${'0'.repeat(64)}`,
          containerID: ids.get(String(c.name)),
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        }));
        p.status = status;
        return p;
      },
      'status',
    );
    recordEvent(store, pod, 'Normal', 'Started', 'Started container', 'kubelet');
    for (const [name, fate] of fates) {
      if (fate.exitCode === undefined) continue;
      const exitCode = fate.exitCode;
      const finish = (): void => terminate(pod, name, exitCode, ids.get(name) ?? '', now);
      if (fate.afterMs > 0) ctx.after(fate.afterMs, finish);
      else setImmediate(finish);
    }
  };

  const terminate = (pod: KObj, container: string, exitCode: number, id: string, startedAt: string): void => {
    store.mutate(
      'pods',
      pod.metadata.namespace,
      pod.metadata.name ?? '',
      (p) => {
        if (p.metadata.uid !== pod.metadata.uid || podTerminal(p)) return undefined;
        const status = rec(p.status);
        const statuses = arr(status.containerStatuses);
        const restartAlways = (rec(p.spec).restartPolicy ?? 'Always') === 'Always';
        for (const cs of statuses) {
          if (cs.name !== container) continue;
          cs.ready = false;
          cs.started = false;
          const terminated = {
            exitCode,
            reason: exitCode === 0 ? 'Completed' : 'Error',
            startedAt,
            finishedAt: nowTimestamp(),
            containerID: id,
          };
          if (restartAlways) {
            cs.restartCount = 1;
            cs.lastState = { terminated };
            cs.state = {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off 10s restarting failed container=${container} pod=${p.metadata.name ?? ''}`,
              },
            };
          } else cs.state = { terminated };
        }
        const allDone = statuses.every((cs) => rec(cs.state).terminated !== undefined);
        if (allDone) {
          const failed = statuses.some((cs) => rec(rec(cs.state).terminated).exitCode !== 0);
          status.phase = failed ? 'Failed' : 'Succeeded';
          for (const type of ['Ready', 'ContainersReady'])
            setCondition(status, { type, status: 'False', reason: 'PodCompleted', lastProbeTime: null });
          setCondition(status, { type: 'PodReadyToStartContainers', status: 'False', lastProbeTime: null });
          freeExtended(p.metadata.uid ?? '');
        } else {
          for (const type of ['Ready', 'ContainersReady'])
            setCondition(status, {
              type,
              status: 'False',
              reason: 'ContainersNotReady',
              message: `containers with unready status: [${container}]`,
              lastProbeTime: null,
            });
        }
        p.status = status;
        return p;
      },
      'status',
    );
  };

  /** Workloads of the scenario itself (there when the kubelet started): up already, no start-up time. */
  const WORKLOAD_KEYS: Record<string, string> = {
    ReplicaSet: 'replicasets.apps',
    Deployment: 'deployments.apps',
    StatefulSet: 'statefulsets.apps',
    DaemonSet: 'daemonsets.apps',
    Job: 'jobs.batch',
  };
  const atStart = new Set<string>();
  const snapshot = (): void => {
    for (const key of ['pods', ...Object.values(WORKLOAD_KEYS)]) {
      if (!store.registry.byKey(key)) continue;
      for (const obj of store.peek(key)) atStart.add(obj.metadata.uid ?? '');
    }
  };
  const preExisting = (obj: KObj, depth = 0): boolean => {
    if (atStart.has(obj.metadata.uid ?? '')) return true;
    if (depth > 3) return false;
    return (obj.metadata.ownerReferences ?? []).some((ref) => {
      if (atStart.has(ref.uid)) return true;
      const key = WORKLOAD_KEYS[ref.kind];
      const owner = key && store.registry.byKey(key) ? store.peekOne(key, obj.metadata.namespace, ref.name) : undefined;
      return owner !== undefined && owner.metadata.uid === ref.uid && preExisting(owner, depth + 1);
    });
  };

  /** Pull (first time on the node), create and prepare devices: the modelled start-up time of a pod. */
  const startCostMs = (pod: KObj, nodeName: string): number => {
    if (preExisting(pod)) return 0;
    const images = pulled.get(nodeName) ?? new Set<string>();
    pulled.set(nodeName, images);
    const containers = [...arr(rec(pod.spec).initContainers), ...arr(rec(pod.spec).containers)];
    const fresh = [...new Set(containers.map((c) => textOf(c.image)))].filter((image) => !images.has(image));
    for (const image of fresh) {
      images.add(image);
      ctx.after(imagePullMs, () =>
        recordEvent(store, pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${imagePullMs}ms`, 'kubelet'),
      );
    }
    const withDevices =
      arr(rec(pod.spec).resourceClaims).length > 0 ||
      containers.some((c) => Object.keys(rec(rec(c.resources).limits)).some((r) => isAcceleratorResource(r) || r in devResources));
    return (fresh.length > 0 ? imagePullMs : 0) + containerStartMs * containers.length + (withDevices ? devicePrepareMs : 0);
  };

  const finishDeletion = (pod: KObj): void => {
    const uid = pod.metadata.uid ?? '';
    const delay = typeof params.terminationDelayMs === 'number' ? params.terminationDelayMs : 0;
    const done = (): void => {
      const live = store.get('pods', pod.metadata.namespace, pod.metadata.name ?? '');
      if (!live || live.metadata.uid !== uid) return;
      freeExtended(uid);
      store.delete('pods', pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } });
    };
    if (delay > 0) ctx.after(delay, done);
    else setImmediate(done);
  };

  return {
    start() {
      snapshot();
      ctx.watch('pods', (ev) => {
        const pod = ev.object;
        const uid = pod.metadata.uid ?? '';
        if (ev.type === 'DELETED') {
          freeExtended(uid);
          forgetGrants(store, uid);
          starting.delete(uid);
          logs.removePod(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
          return;
        }
        const nodeName = rec(pod.spec).nodeName;
        if (typeof nodeName !== 'string' || !nodeName || !nodeOk(nodeName)) return;
        if (pod.metadata.deletionTimestamp) {
          finishDeletion(pod);
          return;
        }
        if (podTerminal(pod)) {
          freeExtended(uid);
          return;
        }
        const started = arr(rec(pod.status).containerStatuses).length > 0;
        if (started || starting.has(uid)) return;
        starting.add(uid);
        const go = (): void => {
          starting.delete(uid);
          const live = store.get('pods', pod.metadata.namespace, pod.metadata.name ?? '');
          if (!live || live.metadata.uid !== uid || live.metadata.deletionTimestamp || arr(rec(live.status).containerStatuses).length > 0)
            return;
          start(live);
        };
        // The scenario's own workloads were up before the run: no start-up time at all.
        const delay = preExisting(pod) ? 0 : startDelayMs + startCostMs(pod, nodeName);
        if (delay > 0) ctx.after(delay, go);
        else go();
      });
    },
  };
};
