// The container runtime under the fake kubelet: which runtime handlers a node has (RuntimeClass
// handlers as containerd registers them), which kernel a container sees (the host's, or a
// sandbox's own: gVisor's Sentry, a Kata guest VM), and what a few read-only commands print
// inside a container. The fake cannot run shell; probe scripts use these commands inside
// `echo "... $(COMMAND)"` and the kubelet substitutes what the command would print here.
import { createHash } from 'node:crypto';
import { CLAIMS, allocationResults, devicesOf, podClaimNames } from './dra.js';
import type { Store } from './store.js';
import type { KObj } from './types.js';
import { isRecord, textOf } from './types.js';
import { runtimeClassOf } from './runtimeclass.js';

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/**
 * An HTTP answer from something a pod can reach (a Gateway's address); undefined: not that address.
 * headers: the request headers the pod sent (`wget --header 'Name: value'`), names lower-cased.
 */
export type ClusterHttpHandler = (url: URL, headers: Record<string, string>) => { status: number; body: string } | undefined;

const httpHandlers = new WeakMap<Store, ClusterHttpHandler[]>();

/** Lets a controller answer requests pods send to addresses it serves; returns the unregister function. */
export function registerClusterHttp(store: Store, handler: ClusterHttpHandler): () => void {
  const list = httpHandlers.get(store) ?? [];
  list.push(handler);
  httpHandlers.set(store, list);
  return () => {
    const at = list.indexOf(handler);
    if (at >= 0) list.splice(at, 1);
  };
}

const STATUS_TEXT: Record<number, string> = {
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** What busybox `wget -q -O - URL 2>&1` prints for a request from a pod. */
function wget(store: Store, target: string, headers: Record<string, string>): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return `wget: bad address '${target}'`;
  }
  for (const handler of httpHandlers.get(store) ?? []) {
    const answer = handler(url, headers);
    if (!answer) continue;
    return answer.status < 300
      ? answer.body.replace(/\n+$/, '') // $(...) drops the trailing newlines
      : `wget: server returned error: HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status] ?? ''}`.trimEnd();
  }
  return `wget: can't connect to remote host (${url.hostname}): Connection refused`;
}

/**
 * What a pod answers to `GET path` on `port`, for the servers the fake knows: busybox `httpd -f -p
 * PORT -h DIR` serves the files the script wrote with `echo WORD > FILE` (404 for any other path);
 * undefined when no container of the pod listens there.
 */
export function podHttpAnswer(pod: KObj, port: number, path: string): { status: number; body: string } | undefined {
  for (const container of records(record(pod.spec).containers)) {
    const script = [container.command, container.args]
      .flatMap((part): unknown[] => (Array.isArray(part) ? part : []))
      .map(String)
      .join(' ');
    const httpd = /\bhttpd\b([^;&|\n]*)/.exec(script);
    if (!httpd) continue;
    const flags = httpd[1];
    const listens = Number(/\s-p\s+(?:[\d.]+:)?(\d+)/.exec(flags)?.[1] ?? 80);
    if (listens !== port) continue;
    const root = (/\s-h\s+(\S+)/.exec(flags)?.[1] ?? '/www').replace(/\/$/, '');
    const files = new Map<string, string>();
    for (const m of script.matchAll(/\becho\s+(?:"([^"]*)"|'([^']*)'|([^;&|>\n]+?))\s*>\s*(\S+)/g))
      // Unmatched alternatives are undefined at run time, whatever the match type says.
      files.set(m[4], `${((m.slice(1, 4) as (string | undefined)[]).find((group) => group !== undefined) ?? '').trim()}\n`);
    const body = files.get(`${root}${path.replace(/\?.*$/, '')}`);
    return body === undefined ? { status: 404, body: '' } : { status: 200, body };
  }
  return undefined;
}

export interface KernelIdentity {
  release: string;
  version: string;
  bootId: string;
}

interface HandlerSpec {
  /** Nodes that have this handler (label match); absent: every node. */
  nodeSelector?: Record<string, string>;
  /** A sandbox's own kernel; absent: containers share the host kernel (runc, crun, nvidia). */
  kernel?: { release: string; version: string };
}

export interface RuntimeParams {
  /** handler -> where it is configured and which kernel it gives; `runc` is always configured. */
  runtimeHandlers?: Record<string, HandlerSpec>;
  /** node -> the NVIDIA kernel module version actually loaded (default: what the node advertises). */
  driverVersions?: Record<string, string>;
  /** DRA drivers whose devices are network interfaces moved into the pod (DRANET). */
  netDrivers?: string[];
}

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class ContainerRuntime {
  private readonly handlers: Partial<Record<string, HandlerSpec>>;
  private readonly driverVersions: Partial<Record<string, string>>;
  private readonly netDrivers: string[];

  constructor(
    private readonly store: Store,
    params: RuntimeParams,
  ) {
    this.handlers = { runc: {}, ...(params.runtimeHandlers ?? {}) };
    this.driverVersions = params.driverVersions ?? {};
    this.netDrivers = params.netDrivers ?? ['dra.net'];
  }

  /** The handler a pod runs with: its RuntimeClass's, else the node's default (runc). */
  handlerOf(pod: KObj): string {
    const runtimeClass = runtimeClassOf(this.store, pod);
    const handler = runtimeClass ? (runtimeClass as Record<string, unknown>).handler : undefined;
    return typeof handler === 'string' && handler !== '' ? handler : 'runc';
  }

  /** Why the node cannot create the pod's sandbox (containerd's error), or undefined when it can. */
  sandboxError(pod: KObj, node: KObj): string | undefined {
    const handler = this.handlerOf(pod);
    const spec = this.handlers[handler];
    const labels = node.metadata.labels ?? {};
    const here = spec !== undefined && Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
    if (here) return undefined;
    return `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "${handler}" is configured`;
  }

  kernelOf(pod: KObj, node: KObj): KernelIdentity {
    const sandbox = this.handlers[this.handlerOf(pod)]?.kernel;
    if (sandbox) return { ...sandbox, bootId: uuidFrom(`boot:${pod.metadata.uid ?? ''}`) };
    const info = record(record(node.status).nodeInfo);
    const release = textOf(info.kernelVersion) || '6.8.0';
    return {
      release,
      version: `Linux version ${release} (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian ${release}-1 (2024-05-10)`,
      bootId: textOf(info.bootID) || uuidFrom(`boot:${node.metadata.name ?? ''}`),
    };
  }

  /** DRA devices allocated to the claims one container references. */
  private containerDevices(
    pod: KObj,
    container: Record<string, unknown>,
  ): { driver: string; name: string; attributes: Record<string, unknown> }[] {
    if (!this.store.registry.byKey(CLAIMS)) return [];
    const claimNames = podClaimNames(pod);
    const all = devicesOf(this.store);
    const out: { driver: string; name: string; attributes: Record<string, unknown> }[] = [];
    for (const ref of records(record(container.resources).claims)) {
      const claimName = claimNames.get(String(ref.name));
      const claim = claimName ? this.store.get(CLAIMS, pod.metadata.namespace, claimName) : undefined;
      if (!claim) continue;
      for (const result of allocationResults(claim)) {
        if (typeof ref.request === 'string' && result.request !== ref.request && !result.request.startsWith(`${ref.request}/`)) continue;
        const device = all.find((d) => d.driver === result.driver && d.pool === result.pool && d.name === result.device);
        out.push({ driver: result.driver, name: result.device, attributes: device?.attributes ?? {} });
      }
    }
    return out;
  }

  private attribute(attributes: Record<string, unknown>, driver: string, name: string): string | undefined {
    const value = record(attributes[`${driver}/${name}`] ?? attributes[name]);
    const raw = value.string ?? value.version ?? value.int;
    return raw === undefined ? undefined : textOf(raw);
  }

  /** The NVIDIA kernel module version the container sees, when the runtime gave it an NVIDIA GPU. */
  private nvidiaDriver(pod: KObj, container: Record<string, unknown>, node: KObj): string | undefined {
    const limits = record(record(container.resources).limits);
    const plugin = Object.keys(limits).some((name) => name.startsWith('nvidia.com/') && String(limits[name]) !== '0');
    const dra = this.containerDevices(pod, container).filter((d) => d.driver === 'gpu.nvidia.com');
    if (!plugin && dra.length === 0) return undefined;
    const nodeName = node.metadata.name ?? '';
    return (
      this.driverVersions[nodeName] ??
      node.metadata.labels?.['nvidia.com/cuda.driver-version.full'] ??
      dra.map((d) => this.attribute(d.attributes, d.driver, 'driverVersion')).find((v) => v !== undefined)
    );
  }

  private interfaces(pod: KObj, container: Record<string, unknown>): string[] {
    const moved = this.containerDevices(pod, container)
      .filter((d) => this.netDrivers.includes(d.driver))
      .map((d) => this.attribute(d.attributes, d.driver, 'ifName') ?? d.name);
    return ['eth0', 'lo', ...moved].sort();
  }

  /**
   * What `COMMAND` prints inside the container (for `$(COMMAND)`), or undefined for a command this
   * model does not know. Redirections and `|| echo unknown` fallbacks are ignored.
   */
  commandOutput(command: string, pod: KObj, container: Record<string, unknown>, node: KObj): string | undefined {
    const fallback = /\|\|\s*echo\s+(\S+)\s*$/.exec(command)?.[1];
    const cmd = command
      .replace(/\|\|\s*echo\s+\S+\s*$/, '')
      .replace(/\s*2>\s*\/dev\/null/g, '')
      .replace(/\s*2>&1/g, '')
      .replace(/\s+/g, ' ')
      .trim();
    const kernel = (): KernelIdentity => this.kernelOf(pod, node);
    switch (cmd) {
      case 'uname -r':
        return kernel().release;
      case 'cat /proc/version':
        return kernel().version;
      case 'cat /proc/sys/kernel/random/boot_id':
        return kernel().bootId;
      case 'head -n 1 /proc/driver/nvidia/version':
      case 'head -n1 /proc/driver/nvidia/version': {
        const version = this.nvidiaDriver(pod, container, node);
        if (version === undefined) return fallback ?? '';
        return `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  ${version}  Release Build  (dvs-builder@U22-I3-AF03-09-1)  Tue Sep 23 09:17:09 UTC 2025`;
      }
      case "ls /sys/class/net | tr '\\n' ' '":
        return `${this.interfaces(pod, container).join(' ')} `;
      default: {
        // `timeout N wget ...`: the request answers well within N here.
        const request = /^(?:timeout \d+ )?wget((?: -q| -O -| -T \d+| --header '[^']*')*) (\S+)$/.exec(cmd);
        if (!request) return undefined;
        const headers: Record<string, string> = {};
        for (const [, name, value] of request[1].matchAll(/--header '([^':]+):\s*([^']*)'/g)) headers[name.toLowerCase()] = value!;
        return wget(this.store, request[2].replace(/^'|'$/g, ''), headers);
      }
    }
  }
}
