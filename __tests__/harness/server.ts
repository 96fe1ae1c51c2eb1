// The HTTP front of the fake apiserver: authentication, faults, RBAC, discovery, the generic
// REST verbs on every registered resource, watches, and the subresources probes use.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toStorage, fromStorage } from './convert.js';
import type { AdmissionHook, AggregatedApi, ProxyHandler } from './controllers/types.js';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedList,
  apiVersions,
  groupDocument,
  groupList,
  resourceList,
  wantsAggregated,
} from './discovery.js';
import { ApiError, badRequest, reasonForCode } from './errors.js';
import { decodeProtobufObject, isProtobuf } from './protobuf.js';
import type { Fault, Scenario } from './scenario.js';
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import type { ResourceInfo, ResourceRegistry } from './resources.js';
import { resourceKey } from './resources.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Store } from './store.js';
import { nowTimestamp } from './store.js';
import { toTable, wantsTable } from './table.js';
import type { KObj, StoreEvent } from './types.js';
import { isRecord, textOf } from './types.js';
import type { PodLogs } from './podlogs.js';
import { podLogText } from './podlogs.js';
import { openapiGroupVersion, openapiRoot } from './openapi.js';
import { crdSchema, defaultCustom, pruneBuiltin, pruneCustom, validateCustom } from './fields.js';
import { checkDryRunWebhooks } from './webhooks.js';

export interface Stats {
  requests: number;
  bytes: number;
  /** Requests by verb; a verb not seen yet is absent. */
  byVerb: Partial<Record<string, number>>;
  /** Injected errors, resets and lost answers. */
  faults: number;
}

export interface ServerDeps {
  store: Store;
  registry: ResourceRegistry;
  scenario: Scenario;
  token: string;
  admission: AdmissionHook[];
  serviceProxies: Map<string, ProxyHandler>;
  aggregatedApis: Map<string, AggregatedApi>;
  logs: PodLogs;
}

interface Target {
  info: ResourceInfo;
  /** The version the client addressed. */
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Path segments after the subresource (service proxy). */
  rest: string[];
}

/** Deterministic random numbers for fault injection (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

/** An object sent to create or replace: JSON, or protobuf as the typed clients of kubectl send built-in kinds. */
async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const bytes = await readBytes(req);
  if (isProtobuf(req.headers['content-type'], bytes)) return decodeProtobufObject(bytes);
  return parseJsonBody(bytes.toString('utf8'));
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw badRequest('the request body is empty');
  if (text.startsWith('k8s\u0000')) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the fake apiserver decodes protobuf only in create and update bodies; send application/json',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${(e as Error).message})`,
    );
  }
}

export class ApiServer {
  readonly stats: Stats = { requests: 0, bytes: 0, byVerb: {}, faults: 0 };
  /** When each time-limited fault first matched. */
  private readonly faultStarts = new Map<Fault, number>();
  /** Responses whose answer is to be lost (the connection reset instead). */
  private readonly lostAnswers = new WeakSet<ServerResponse>();
  private readonly random: () => number;
  private readonly watches = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: ServerDeps) {
    this.random = rng(deps.scenario.seed ?? 1);
  }

  resetStats(): void {
    this.stats.requests = 0;
    this.stats.bytes = 0;
    this.stats.byVerb = {};
    this.stats.faults = 0;
  }

  /** Ends every open watch (on stop). */
  closeWatches(): void {
    for (const res of this.watches) res.end();
    this.watches.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((err: unknown) => this.fail(res, err));
  };

  private send(
    res: ServerResponse,
    code: number,
    body: unknown,
    contentType = 'application/json',
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (this.lostAnswers.has(res)) {
      // The work is done; the client never hears of it.
      res.socket?.destroy();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    this.stats.bytes += Buffer.byteLength(text);
    res.writeHead(code, {
      ...headers,
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-cache, private',
    });
    res.end(text);
  }

  private fail(res: ServerResponse, err: unknown): void {
    const apiErr =
      err instanceof ApiError
        ? err
        : new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    // As the apiserver's responsewriters do: a Status with retryAfterSeconds sets Retry-After.
    const retryAfter = apiErr.details?.retryAfterSeconds;
    this.send(
      res,
      apiErr.code,
      apiErr.toStatus(),
      'application/json',
      retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {},
    );
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    this.stats.requests++;

    if (req.headers.authorization !== `Bearer ${this.deps.token}`) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }

    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') {
      this.send(res, 200, this.version());
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      this.send(res, 200, 'ok', 'text/plain; charset=utf-8');
      return;
    }
    if (path === '/api' || path === '/apis') {
      this.discoveryRoot(req, res, path === '/api');
      return;
    }
    if (path === '/openapi/v3') {
      this.send(res, 200, openapiRoot(this.deps.registry));
      return;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiGroupVersion(this.deps.registry, path.slice('/openapi/v3/'.length));
      if (!doc) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      this.send(res, 200, doc);
      return;
    }

    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') {
      group = '';
      version = segs[1] ?? '';
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      group = segs[1] ?? '';
      version = segs[2] ?? '';
      rest = segs.slice(3);
      if (!version) {
        const doc = groupDocument(this.deps.registry, group);
        if (!doc) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        this.send(res, 200, doc);
        return;
      }
    } else {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }

    const aggregated = this.deps.aggregatedApis.get(`${group}/${version}`);
    if (aggregated && rest.length > 0) {
      return this.proxy(req, res, method, url, aggregated.handler, `/${rest.map(encodeURIComponent).join('/')}`);
    }

    const gv = this.deps.registry.groupVersion(group, version);
    if (!gv) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (rest.length === 0) {
      this.send(res, 200, resourceList(gv));
      return;
    }

    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    const target = this.resolve(group, version, rest);
    const query = url.searchParams;
    const isWatch = watchPath || query.get('watch') === 'true' || query.get('watch') === '1';
    const verb = this.verbOf(method, target, isWatch);
    this.stats.byVerb[verb] = (this.stats.byVerb[verb] ?? 0) + 1;

    const key = resourceKey(target.info.group, target.info.resource);
    const faultKey = target.subresource ? `${key}/${target.subresource}` : key;
    await this.applyFaults(verb, faultKey, target.namespace, res);
    this.authorize(verb, faultKey, target);

    switch (verb) {
      case 'get':
        return this.getOne(req, res, target, key);
      case 'list': {
        this.list(req, res, target, key, query);
        return;
      }
      case 'watch': {
        this.watch(req, res, target, key, query);
        return;
      }
      case 'create':
        return this.create(req, res, target, key, query);
      case 'update':
        return this.update(req, res, target, key, query);
      case 'patch':
        return this.patch(req, res, target, key, query);
      case 'delete':
        return this.deleteOne(req, res, target, key, query);
      case 'deletecollection':
        return this.deleteCollection(req, res, target, key, query);
      case 'proxy': {
        const handler = this.proxyHandler(target);
        return this.proxy(req, res, method, url, handler, `/${target.rest.map(encodeURIComponent).join('/')}`);
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
  }

  private version(): Record<string, unknown> {
    const v = this.deps.scenario.kubernetesVersion;
    const minor = v.split('.')[1] ?? '0';
    return {
      major: '1',
      minor,
      emulationMajor: '1',
      emulationMinor: minor,
      minCompatibilityMajor: '1',
      minCompatibilityMinor: String(Number(minor) - 1),
      gitVersion: `v${v}.0`,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.25.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  private discoveryRoot(req: IncomingMessage, res: ServerResponse, core: boolean): void {
    const agg = wantsAggregated(req.headers.accept);
    if (agg) {
      const ct = AGGREGATED_CONTENT_TYPE.replace('v=v2', `v=${agg}`);
      res.setHeader('Vary', 'Accept');
      this.send(res, 200, aggregatedList(this.deps.registry, core, agg), ct);
      return;
    }
    this.send(res, 200, core ? apiVersions() : groupList(this.deps.registry));
  }

  private resolve(group: string, version: string, rest: string[]): Target {
    let namespace: string | undefined;
    let segs = rest;
    const notFoundErr = new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      // /api/v1/namespaces/NAME/status|finalize are the namespace's own subresources.
      if (group === '' && segs.length === 3 && (segs[2] === 'status' || segs[2] === 'finalize')) {
        const info = this.deps.registry.find('', version, 'namespaces');
        if (!info) throw notFoundErr;
        return { info, version, name: segs[1], subresource: segs[2], rest: [] };
      }
      namespace = segs[1];
      segs = segs.slice(2);
    }
    const info = this.deps.registry.find(group, version, segs[0] ?? '');
    if (!info) throw notFoundErr;
    if (namespace !== undefined && !info.namespaced) throw notFoundErr;
    const name = segs[1];
    const subresource = segs[2];
    if (subresource && !info.subresources.some((s) => s.name === subresource)) throw notFoundErr;
    return { info, version, namespace, name, subresource, rest: segs.slice(3) };
  }

  private verbOf(method: string, t: Target, isWatch: boolean): string {
    if (t.subresource === 'proxy') return 'proxy';
    if (method === 'GET') return t.name ? (isWatch ? 'watch' : 'get') : isWatch ? 'watch' : 'list';
    if (method === 'POST') return 'create';
    if (method === 'PUT') return 'update';
    if (method === 'PATCH') return 'patch';
    if (method === 'DELETE') return t.name ? 'delete' : 'deletecollection';
    return 'unknown';
  }

  private faultMatches(f: Fault, verb: string, resource: string, namespace?: string): boolean {
    const verbOk = !f.verb || f.verb === '*' || f.verb === verb;
    const resOk = !f.resource || f.resource === '*' || f.resource === resource;
    const nsOk = !f.namespace || f.namespace === namespace;
    return verbOk && resOk && nsOk;
  }

  private faultActive(f: Fault): boolean {
    if (f.forFirstMs === undefined) return true;
    const now = Date.now();
    const start = this.faultStarts.get(f) ?? now;
    this.faultStarts.set(f, start);
    return now - start < f.forFirstMs;
  }

  private async applyFaults(verb: string, resource: string, namespace: string | undefined, res: ServerResponse): Promise<void> {
    for (const f of this.deps.scenario.faults ?? []) {
      if (!this.faultMatches(f, verb, resource, namespace) || !this.faultActive(f)) continue;
      if (f.latencyMs) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            this.timers.delete(t);
            r();
          }, f.latencyMs);
          this.timers.add(t);
        });
      }
      if (f.resetRate !== undefined && f.resetRate > 0 && this.random() < f.resetRate) {
        this.stats.faults++;
        this.lostAnswers.add(res);
        res.socket?.destroy();
        throw new ApiError(500, 'InternalError', `injected fault: ${verb} ${resource} connection reset`);
      }
      if (f.errorRate !== undefined && f.errorRate > 0 && this.random() < f.errorRate) {
        this.stats.faults++;
        const code = f.status ?? 500;
        const retryAfterSeconds = f.retryAfterSeconds ?? (code === 429 ? 1 : undefined);
        throw new ApiError(
          code,
          reasonForCode(code),
          f.message ?? `injected fault: ${verb} ${resource} answered ${code}`,
          retryAfterSeconds !== undefined ? { retryAfterSeconds } : undefined,
        );
      }
      if (f.lostAnswerRate !== undefined && f.lostAnswerRate > 0 && verb !== 'watch' && this.random() < f.lostAnswerRate) {
        this.stats.faults++;
        this.lostAnswers.add(res);
      }
      if (f.dropWatchAfterMs !== undefined && verb === 'watch') {
        const t = setTimeout(() => {
          this.timers.delete(t);
          res.end();
        }, f.dropWatchAfterMs);
        this.timers.add(t);
      }
    }
  }

  user(): string {
    return this.deps.scenario.rbac?.user ?? 'kubernetes-admin';
  }

  /** Whether the scenario's RBAC rules deny a verb on a resource key (pods, pods/log) in a namespace. */
  denied(verb: string, resource: string, namespace: string | undefined): boolean {
    return (this.deps.scenario.rbac?.deny ?? []).some((rule) => {
      const verbs = rule.verbs ?? ['*'];
      const resources = rule.resources ?? ['*'];
      const verbOk = verbs.includes('*') || verbs.includes(verb);
      const resOk = resources.includes('*') || resources.includes(resource);
      const nsOk = !rule.namespaces || (namespace !== undefined && rule.namespaces.includes(namespace));
      return verbOk && resOk && nsOk;
    });
  }

  private authorize(verb: string, resource: string, t: Target): void {
    if (!this.denied(verb, resource, t.namespace)) return;
    const [plural] = resource.split('/');
    const shown = t.subresource ? `${t.info.resource}/${t.subresource}` : t.info.resource;
    const subject = t.name ? `${t.info.resource} "${t.name}"` : t.info.resource;
    const scope = t.namespace ? `in the namespace "${t.namespace}"` : 'at the cluster scope';
    throw new ApiError(
      403,
      'Forbidden',
      `${subject} is forbidden: User "${this.user()}" cannot ${verb} resource "${shown}" in API group "${t.info.group}" ${scope}`,
      {
        name: t.name,
        group: t.info.group,
        kind: plural,
      },
    );
  }

  /**
   * The handler behind services/[scheme:]NAME[:PORT]/proxy. As the apiserver does, the Service
   * must exist (404) and the port may be given by name or number (resolved through spec.ports);
   * no handler behind it answers 503 like a Service without ready endpoints.
   */
  private proxyHandler(t: Target): ProxyHandler {
    if (t.info.resource === 'pods') return this.podProxyHandler(t);
    const m = /^(?:(https?):)?([^:]+)(?::(.+))?$/.exec(t.name ?? '');
    const service = m?.[2] ?? '';
    const port = m?.[3] ?? '';
    const svc = this.deps.store.get('services', t.namespace, service);
    if (!svc) throw new ApiError(404, 'NotFound', `services "${service}" not found`, { name: service, kind: 'services' });
    const ports = Array.isArray((svc.spec as { ports?: unknown } | undefined)?.ports)
      ? (svc.spec as { ports: { name?: string; port?: number; targetPort?: number | string }[] }).ports
      : [];
    const entry = port === '' ? ports[0] : ports.find((p) => p.name === port || String(p.port) === port);
    const candidates = [port, entry?.name, entry?.port, entry?.targetPort, ''].filter((c) => c !== undefined).map(String);
    for (const c of candidates) {
      const handler = this.deps.serviceProxies.get(`${t.namespace ?? ''}/${service}:${c}`);
      if (handler) return handler;
    }
    throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${service}"`);
  }

  /**
   * pods/[scheme:]NAME[:PORT]/proxy: the pod must exist (404) and be Running with an IP (503, as
   * the apiserver cannot dial it otherwise); a port nothing listens on is refused (503).
   */
  private podProxyHandler(t: Target): ProxyHandler {
    const m = /^(?:(https?):)?([^:]+)(?::(.+))?$/.exec(t.name ?? '');
    const name = m?.[2] ?? '';
    const pod = this.deps.store.get('pods', t.namespace, name);
    if (!pod) throw new ApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    const status = (pod.status ?? {}) as { phase?: string; podIP?: string };
    if (status.phase !== 'Running' || !status.podIP) throw new ApiError(503, 'ServiceUnavailable', `pod ${name} is not running`);
    const handler = this.deps.serviceProxies.get(`pod:${t.namespace ?? ''}/${name}:${m?.[3] ?? ''}`);
    if (!handler)
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `error trying to reach service: dial tcp ${status.podIP}:${m?.[3] ?? '80'}: connect: connection refused`,
      );
    return handler;
  }

  private async proxy(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    url: URL,
    handler: ProxyHandler,
    path: string,
  ): Promise<void> {
    const body = method === 'GET' ? '' : await readBody(req);
    const answer = await handler({ method, path, query: url.searchParams, headers: req.headers, body });
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    this.send(
      res,
      answer.status ?? 200,
      text,
      answer.contentType ?? (typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'),
    );
  }

  /** Encodes an object (or list) for the client: version conversion, then Table if asked. */
  private render(req: IncomingMessage, t: Target, obj: KObj): unknown {
    const out = fromStorage(t.info.group, t.version, obj);
    if (wantsTable(req.headers.accept)) return toTable(t.info, [out], undefined);
    return out;
  }

  private async getOne(req: IncomingMessage, res: ServerResponse, t: Target, key: string): Promise<void> {
    const name = t.name ?? '';
    const obj = this.deps.store.mustGet(key, t.namespace, name);
    if (t.subresource === 'log') {
      this.send(res, 200, podLogText(this.deps.logs, obj, new URL(req.url ?? '/', 'http://x').searchParams), 'text/plain');
      return;
    }
    if (t.subresource === 'scale') {
      this.send(res, 200, scaleOf(obj));
      return;
    }
    this.send(res, 200, this.render(req, t, obj));
  }

  private listOptions(
    t: Target,
    query: URLSearchParams,
  ): { labelSelector: ReturnType<typeof parseLabelSelector>; fieldSelector: ReturnType<typeof parseFieldSelector> } {
    return {
      labelSelector: parseLabelSelector(query.get('labelSelector') ?? undefined),
      fieldSelector: parseFieldSelector(query.get('fieldSelector') ?? undefined, t.info.kind),
    };
  }

  private list(req: IncomingMessage, res: ServerResponse, t: Target, key: string, query: URLSearchParams): void {
    const { labelSelector, fieldSelector } = this.listOptions(t, query);
    const limit = Number(query.get('limit') ?? '0') || 0;
    let after: string | undefined;
    const token = query.get('continue');
    if (token) {
      let decoded: { rv?: number; start?: string };
      try {
        decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { rv?: number; start?: string };
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      if ((decoded.rv ?? 0) < this.deps.store.oldestResourceVersion) {
        throw new ApiError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      after = decoded.start;
    }
    const page = this.deps.store.listPage(key, { namespace: t.namespace, labelSelector, fieldSelector }, limit, after);
    const listRv = token ? (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { rv: number }).rv : Number(page.resourceVersion);
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (page.lastKey !== undefined) {
      metadata.continue = Buffer.from(JSON.stringify({ rv: listRv, start: page.lastKey })).toString('base64');
      if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
    }
    const items = page.items.map((o) => {
      const converted = fromStorage(t.info.group, t.version, o);
      if (t.info.custom) return converted;
      // Built-in lists carry kind/apiVersion on the list only, as the real apiserver encodes them.
      const { kind: _k, apiVersion: _a, ...rest } = converted;
      return rest;
    });
    if (wantsTable(req.headers.accept)) {
      this.send(res, 200, toTable(t.info, page.items, metadata));
      return;
    }
    const apiVersion = t.info.group ? `${t.info.group}/${t.version}` : t.version;
    this.send(res, 200, { kind: `${t.info.kind}List`, apiVersion, metadata, items });
  }

  private watch(req: IncomingMessage, res: ServerResponse, t: Target, key: string, query: URLSearchParams): void {
    const { labelSelector, fieldSelector } = this.listOptions(t, query);
    const store = this.deps.store;
    const nameFilter = t.name;
    const matches = (o: KObj): boolean =>
      (t.namespace === undefined || o.metadata.namespace === t.namespace) &&
      (nameFilter === undefined || o.metadata.name === nameFilter) &&
      (labelSelector.length === 0 || matchesLabels(labelSelector, o.metadata.labels)) &&
      (fieldSelector.length === 0 || matchesFields(fieldSelector, o));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    // Clients wait for the headers before they consider the watch established.
    res.flushHeaders();
    this.watches.add(res);
    const write = (type: string, object: unknown): void => {
      if (res.writableEnded) return;
      const line = `${JSON.stringify({ type, object })}\n`;
      this.stats.bytes += Buffer.byteLength(line);
      res.write(line);
    };
    const table = wantsTable(req.headers.accept);
    const encode = (o: KObj): unknown => (table ? toTable(t.info, [o], undefined) : fromStorage(t.info.group, t.version, o));
    const deliver = (ev: StoreEvent): void => {
      if (ev.resource !== key) return;
      const now = matches(ev.object);
      const before = ev.old ? matches(ev.old) : false;
      if (ev.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', encode(ev.object));
        else if (now) write('ADDED', encode(ev.object));
        else if (before) write('DELETED', encode(ev.object));
      } else if (now || (ev.type === 'DELETED' && before)) write(ev.type, encode(ev.object));
    };

    const rvParam = query.get('resourceVersion');
    const sendInitial = query.get('sendInitialEvents') === 'true';
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    const apiVersion = t.info.group ? `${t.info.group}/${t.version}` : t.version;
    const bookmark = (annotations?: Record<string, string>): void =>
      write('BOOKMARK', {
        kind: t.info.kind,
        apiVersion,
        metadata: { resourceVersion: store.resourceVersion, ...(annotations ? { annotations } : {}) },
      });

    if (!rvParam || rvParam === '0' || sendInitial) {
      for (const o of store.list(key, { namespace: t.namespace, labelSelector, fieldSelector })) {
        if (nameFilter === undefined || o.metadata.name === nameFilter) write('ADDED', encode(o));
      }
      if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      const since = store.eventsSince(Number(rvParam));
      if (since === 'gone') {
        write('ERROR', new ApiError(410, 'Expired', `too old resource version: ${rvParam} (${store.oldestResourceVersion})`).toStatus());
        this.watches.delete(res);
        res.end();
        return;
      }
      for (const ev of since) deliver(ev);
    }
    const unsubscribe = store.subscribe(deliver);
    const interval = this.deps.scenario.watch?.bookmarkIntervalMs ?? 5_000;
    const timer = bookmarks ? setInterval(() => bookmark(), interval) : undefined;
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    const timeout = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    const cleanup = (): void => {
      unsubscribe();
      if (timer) clearInterval(timer);
      if (timeout) clearTimeout(timeout);
      this.watches.delete(res);
    };
    res.on('close', cleanup);
    res.on('finish', cleanup);
  }

  /**
   * Unknown fields and (for custom resources) schema validation, on the object as the client
   * sent it (its version): dropped with a warning (fieldValidation Warn, the default), silently
   * (Ignore), or refused (Strict); a custom resource that breaks its CRD's schema is refused (422).
   */
  private checkFields(res: ServerResponse, t: Target, object: Record<string, unknown>, query: URLSearchParams): void {
    const mode = query.get('fieldValidation') ?? 'Warn';
    if (!['Ignore', 'Warn', 'Strict'].includes(mode))
      throw badRequest(`fieldValidation must be one of Ignore, Warn or Strict, not "${mode}"`);
    const kind = t.info.kind;
    const schema = t.info.custom
      ? crdSchema(
          this.deps.store.get('customresourcedefinitions.apiextensions.k8s.io', undefined, `${t.info.resource}.${t.info.group}`),
          t.version,
        )
      : undefined;
    const unknown = t.info.custom ? (schema ? pruneCustom(schema, object) : []) : pruneBuiltin(t.info.group, t.version, kind, object);
    if (unknown.length > 0 && mode === 'Strict') {
      throw badRequest(
        `${kind} in version "${t.version}" cannot be handled as a ${kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    }
    if (unknown.length > 0 && mode === 'Warn')
      res.setHeader(
        'Warning',
        unknown.map((f) => `299 - ${JSON.stringify(`unknown field "${f}"`)}`),
      );
    if (!schema) return;
    defaultCustom(schema, object);
    const causes = validateCustom(schema, object);
    if (causes.length === 0) return;
    const name = isRecord(object.metadata) && typeof object.metadata.name === 'string' ? object.metadata.name : '';
    const each = causes.map((c) => `${c.field}: ${c.message}`);
    throw new ApiError(
      422,
      'Invalid',
      `${kind}.${t.info.group} "${name}" is invalid: ${each.length === 1 ? each[0] : `[${each.join(', ')}]`}`,
      { name, group: t.info.group, kind, causes },
    );
  }

  private async admit(
    op: 'CREATE' | 'UPDATE' | 'DELETE',
    key: string,
    t: Target,
    object: KObj | undefined,
    oldObject: KObj | undefined,
    dryRun: boolean,
  ): Promise<void> {
    if (dryRun) {
      const resource = t.subresource ? `${t.info.resource}/${t.subresource}` : t.info.resource;
      checkDryRunWebhooks(this.deps.store, {
        group: t.info.group,
        version: t.version,
        resource,
        operation: op,
        namespace: t.namespace,
        object: object ?? oldObject,
      });
    }
    for (const hook of this.deps.admission) {
      await hook({
        operation: op,
        resource: key,
        subresource: t.subresource,
        namespace: t.namespace,
        name: object?.metadata.name ?? t.name,
        object,
        oldObject,
        dryRun,
      });
    }
  }

  private async create(req: IncomingMessage, res: ServerResponse, t: Target, key: string, query: URLSearchParams): Promise<void> {
    const dryRun = query.get('dryRun') === 'All';
    const body = await readObjectBody(req);
    if (!isRecord(body)) throw badRequest('the request body must be an object');
    const store = this.deps.store;

    if (t.subresource === 'binding' || (t.info.resource === 'bindings' && t.info.group === '')) {
      this.bind(res, t, body, dryRun);
      return;
    }
    if (t.subresource === 'eviction') {
      store.delete('pods', t.namespace, t.name ?? '', { dryRun });
      this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      return;
    }
    if (t.subresource) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

    this.checkFields(res, t, body, query);
    const obj = toStorage(t.info.group, t.version, body as unknown as KObj);
    if (!isRecord(obj.metadata)) obj.metadata = {}; // a request body may leave it out
    if (t.info.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== t.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = t.namespace;
    }
    if (t.info.resource === 'selfsubjectaccessreviews' && t.info.group === 'authorization.k8s.io') {
      this.send(res, 201, this.accessReview(obj));
      return;
    }
    const preview = store.create(key, obj, { dryRun: true });
    await this.admit('CREATE', key, t, preview, undefined, dryRun);
    const created = dryRun ? preview : store.create(key, { ...obj, metadata: { ...obj.metadata, name: preview.metadata.name } });
    this.send(res, 201, this.render(req, t, created));
  }

  private accessReview(review: KObj): KObj {
    const spec = isRecord(review.spec) ? review.spec : {};
    const attrs = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : {};
    const group = typeof attrs.group === 'string' ? attrs.group : '';
    const resource = typeof attrs.resource === 'string' ? attrs.resource : '';
    const sub = typeof attrs.subresource === 'string' && attrs.subresource ? `/${attrs.subresource}` : '';
    const denied = this.denied(
      textOf(attrs.verb),
      `${resourceKey(group, resource)}${sub}`,
      typeof attrs.namespace === 'string' && attrs.namespace ? attrs.namespace : undefined,
    );
    return {
      ...review,
      metadata: { ...review.metadata, creationTimestamp: undefined },
      status: { allowed: !denied, ...(denied ? { reason: 'denied by the scenario RBAC rules' } : {}) },
    };
  }

  private bind(res: ServerResponse, t: Target, body: Record<string, unknown>, dryRun: boolean): void {
    const target = isRecord(body.target) ? body.target : {};
    const meta = isRecord(body.metadata) ? body.metadata : {};
    const podName = t.name ?? (typeof meta.name === 'string' ? meta.name : '');
    const nodeName = typeof target.name === 'string' ? target.name : '';
    const pod = this.deps.store.mustGet('pods', t.namespace, podName);
    const spec = isRecord(pod.spec) ? pod.spec : {};
    if (spec.nodeName)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on pods/binding "${podName}": pod ${podName} is already assigned to node "${textOf(spec.nodeName)}"`,
      );
    if (!dryRun) {
      this.deps.store.mutate('pods', t.namespace, podName, (p) => {
        p.spec = { ...(isRecord(p.spec) ? p.spec : {}), nodeName };
        const status = isRecord(p.status) ? p.status : {};
        const conditions = Array.isArray(status.conditions)
          ? status.conditions.filter((c) => !(isRecord(c) && c.type === 'PodScheduled'))
          : [];
        conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTimestamp() });
        p.status = { ...status, conditions };
        return p;
      });
    }
    this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  private async update(req: IncomingMessage, res: ServerResponse, t: Target, key: string, query: URLSearchParams): Promise<void> {
    const dryRun = query.get('dryRun') === 'All';
    const body = await readObjectBody(req);
    if (!isRecord(body)) throw badRequest('the request body must be an object');
    const store = this.deps.store;
    if (t.subresource === 'finalize' && t.info.resource === 'namespaces') {
      const spec = isRecord(body.spec) ? body.spec : {};
      const result = store.finalizeNamespace(t.name ?? '', Array.isArray(spec.finalizers) ? spec.finalizers.map(String) : []);
      if (!result) throw new ApiError(404, 'NotFound', `namespaces "${t.name ?? ''}" not found`);
      this.send(res, 200, result);
      return;
    }
    if (t.subresource === 'scale') {
      this.writeScale(res, t, key, body, dryRun);
      return;
    }
    this.checkFields(res, t, body, query);
    const obj = toStorage(t.info.group, t.version, body as unknown as KObj);
    if (!isRecord(obj.metadata)) obj.metadata = {}; // a request body may leave it out
    if (obj.metadata.name && obj.metadata.name !== t.name)
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${t.name ?? ''})`);
    obj.metadata.name = t.name;
    if (t.info.namespaced) obj.metadata.namespace = t.namespace;
    const old = store.mustGet(key, t.namespace, t.name ?? '');
    const mode = t.subresource === 'status' ? 'status' : 'main';
    const preview = store.update(key, obj, { dryRun: true, subresource: mode });
    await this.admit('UPDATE', key, t, preview, old, dryRun);
    const updated = dryRun ? preview : store.update(key, obj, { subresource: mode });
    this.send(res, 200, this.render(req, t, updated));
  }

  private async patch(req: IncomingMessage, res: ServerResponse, t: Target, key: string, query: URLSearchParams): Promise<void> {
    const dryRun = query.get('dryRun') === 'All';
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const text = await readBody(req);
    const store = this.deps.store;
    const old = store.get(key, t.namespace, t.name ?? '');
    const force = contentType === APPLY_PATCH;
    if (!old && !force) store.mustGet(key, t.namespace, t.name ?? ''); // throws the 404
    if (t.subresource === 'scale') {
      const current = scaleOf(old as KObj);
      const next = mergePatch(current, parseJsonBody(text));
      this.writeScale(res, t, key, next as Record<string, unknown>, dryRun);
      return;
    }
    const base = old ? fromStorage(t.info.group, t.version, old) : undefined;
    let patched: unknown;
    if (contentType === JSON_PATCH) patched = jsonPatch(base, parseJsonBody(text));
    else if (contentType === MERGE_PATCH) patched = mergePatch(base, parseJsonBody(text));
    else if (contentType === STRATEGIC_MERGE_PATCH) {
      if (t.info.custom)
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      patched = strategicMergePatch(base, parseJsonBody(text));
    } else if (contentType === APPLY_PATCH) {
      // Server-side apply, approximated as a merge of the applied configuration.
      const { parse } = await import('yaml');
      patched = mergePatch(base ?? {}, parse(text) as unknown);
    } else
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    if (!isRecord(patched)) throw badRequest('the patch did not produce an object');
    this.checkFields(res, t, patched, query);
    const obj = toStorage(t.info.group, t.version, patched as unknown as KObj);
    if (!isRecord(obj.metadata)) obj.metadata = {}; // a request body may leave it out
    obj.metadata.name = t.name;
    if (t.info.namespaced) obj.metadata.namespace = t.namespace;
    if (!old) {
      const preview = store.create(key, obj, { dryRun: true });
      await this.admit('CREATE', key, t, preview, undefined, dryRun);
      this.send(res, 201, this.render(req, t, dryRun ? preview : store.create(key, obj)));
      return;
    }
    // A patch carries no precondition unless it names a resourceVersion itself.
    const patchBody =
      contentType === JSON_PATCH ? undefined : (parseJsonBodySafe(text) as { metadata?: { resourceVersion?: string } } | undefined);
    if (!patchBody?.metadata?.resourceVersion) obj.metadata.resourceVersion = old.metadata.resourceVersion;
    const mode = t.subresource === 'status' ? 'status' : 'main';
    const preview = store.update(key, obj, { dryRun: true, subresource: mode });
    await this.admit('UPDATE', key, t, preview, old, dryRun);
    const updated = dryRun ? preview : store.update(key, obj, { subresource: mode });
    this.send(res, 200, this.render(req, t, updated));
  }

  private writeScale(res: ServerResponse, t: Target, key: string, body: Record<string, unknown>, dryRun: boolean): void {
    const spec = isRecord(body.spec) ? body.spec : {};
    const replicas = Number(spec.replicas);
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new ApiError(
        422,
        'Invalid',
        `Scale.autoscaling "${t.name ?? ''}" is invalid: spec.replicas: Invalid value: ${String(spec.replicas)}: must be greater than or equal to 0`,
      );
    const current = this.deps.store.mustGet(key, t.namespace, t.name ?? '');
    current.spec = { ...(isRecord(current.spec) ? current.spec : {}), replicas };
    const updated = this.deps.store.update(key, current, { dryRun, subresource: 'main' });
    this.send(res, 200, scaleOf(updated));
  }

  private async deleteOne(req: IncomingMessage, res: ServerResponse, t: Target, key: string, query: URLSearchParams): Promise<void> {
    const text = await readBody(req);
    const opts = parseJsonBodySafe(text);
    const body = isRecord(opts) ? opts : {};
    const dryRun = query.get('dryRun') === 'All' || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
    const grace =
      query.get('gracePeriodSeconds') ?? (typeof body.gracePeriodSeconds === 'number' ? String(body.gracePeriodSeconds) : undefined);
    let propagation = (query.get('propagationPolicy') ??
      (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined)) as
      'Orphan' | 'Background' | 'Foreground' | undefined;
    if (propagation === undefined && body.orphanDependents === false) propagation = 'Background';
    // batch/v1 Jobs default to orphaning their pods (the registry's DefaultGarbageCollectionPolicy).
    if (propagation === undefined && (body.orphanDependents === true || key === 'jobs.batch')) propagation = 'Orphan';
    const old = this.deps.store.mustGet(key, t.namespace, t.name ?? '');
    await this.admit('DELETE', key, t, undefined, old, dryRun);
    const result = this.deps.store.delete(key, t.namespace, t.name ?? '', {
      dryRun,
      gracePeriodSeconds: grace === undefined ? undefined : Number(grace),
      propagationPolicy: propagation,
      preconditions: isRecord(body.preconditions) ? body.preconditions : undefined,
    });
    if (result.gone && !t.info.custom && t.info.kind !== 'Pod' && t.info.kind !== 'Namespace') {
      // Most built-in kinds answer a completed delete with a Success Status.
      this.send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: t.name, group: t.info.group, kind: t.info.resource, uid: old.metadata.uid },
      });
      return;
    }
    // The apiserver answers 200 for pending deletions too (202 only for orphanDependents=false).
    this.send(res, 200, this.render(req, t, result.object));
  }

  private async deleteCollection(
    _req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    key: string,
    query: URLSearchParams,
  ): Promise<void> {
    const dryRun = query.get('dryRun') === 'All';
    const { labelSelector, fieldSelector } = this.listOptions(t, query);
    const items = this.deps.store.list(key, { namespace: t.namespace, labelSelector, fieldSelector });
    for (const o of items) {
      await this.admit('DELETE', key, { ...t, name: o.metadata.name }, undefined, o, dryRun);
      try {
        this.deps.store.delete(key, o.metadata.namespace, o.metadata.name ?? '', { dryRun });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    const apiVersion = t.info.group ? `${t.info.group}/${t.version}` : t.version;
    this.send(res, 200, {
      kind: `${t.info.kind}List`,
      apiVersion,
      metadata: { resourceVersion: this.deps.store.resourceVersion },
      items: items.map((o) => fromStorage(t.info.group, t.version, o)),
    });
  }
}

function parseJsonBodySafe(text: string): unknown {
  try {
    return text.trim() ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function scaleOf(obj: KObj): Record<string, unknown> {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const selector =
    isRecord(spec.selector) && isRecord(spec.selector.matchLabels)
      ? Object.entries(spec.selector.matchLabels)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',')
      : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector },
  };
}
