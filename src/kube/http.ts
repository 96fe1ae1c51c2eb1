// Raw HTTP to the API server, authenticated by the KubeConfig (tokens, client certs, exec
// plugins). Everything the kube layer sends except watches goes through here, so responses are
// plain JSON exactly as served (the same shape watch events have) and errors carry the HTTP code.
// `requestText` is one attempt; `ApiClient` (api.ts) adds rate limiting and retries on top.

import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** An API server answer that was not 2xx, or a request that never got one (code undefined). */
export class KubeApiError extends Error {
  /** The server's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
  /** For a request that got no answer: the socket error's code (ECONNRESET, ECONNREFUSED, …). */
  network?: string;
  /** How many attempts were made before this error was final (set by ApiClient). */
  attempts?: number;
  /** True when an earlier attempt failed in a way that may have applied it (5xx, reset). */
  mayHaveApplied?: boolean;

  constructor(
    message: string,
    readonly code: number | undefined,
    readonly reason?: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** Retry-After as seconds (what the API server sends) or an HTTP date, in milliseconds. */
function retryAfterOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Give up when the server sends nothing for this long (default REQUEST_IDLE_MS). */
  idleTimeoutMs?: number;
}

function statusMessage(text: string): { message?: string; reason?: string; body?: unknown } {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) {
      const record = parsed as Record<string, unknown>;
      return {
        message: typeof record.message === 'string' ? record.message : undefined,
        reason: typeof record.reason === 'string' ? record.reason : undefined,
        body: parsed,
      };
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const line = text.split('\n').find((l) => l.trim() !== '');
  return { message: line?.slice(0, 300) };
}

/** The URL of an API path on the current cluster. */
export function apiUrl(config: KubeConfig, path: string, query?: RequestOptions['query']): URL {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new KubeApiError('the kubeconfig has no current cluster', undefined);
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

/** A request (never a watch) that sends nothing for this long is given up. */
export const REQUEST_IDLE_MS = 60_000;
/** The `network` code of a request given up for silence. */
export const IDLE_TIMEOUT = 'IDLE_TIMEOUT';

/** Sends one request and resolves with the response text; rejects with KubeApiError when not 2xx. */
export async function requestText(config: KubeConfig, path: string, options: RequestOptions = {}): Promise<string> {
  const url = apiUrl(config, path, options.query);
  const requestOptions: https.RequestOptions = {
    method: options.method ?? 'GET',
    headers: { Accept: options.accept ?? 'application/json' },
  };
  await config.applyToHTTPSOptions(requestOptions);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) {
    requestOptions.headers = {
      // applyToHTTPSOptions adds to the headers object set above; it never makes them a raw array.
      ...(requestOptions.headers as http.OutgoingHttpHeaders),
      'Content-Type': options.contentType ?? 'application/json',
      'Content-Length': Buffer.byteLength(payload),
    };
  }
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise<string>((resolve, reject) => {
    const request = transport.request(url, { ...requestOptions, signal: options.signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error: NodeJS.ErrnoException) => {
        const failure = new KubeApiError(`${requestOptions.method} ${url.pathname}: ${error.message}`, undefined);
        failure.network = error.code ?? 'ECONNRESET';
        reject(failure);
      });
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = response.statusCode ?? 0;
        if (code >= 200 && code < 300) {
          resolve(text);
          return;
        }
        const status = statusMessage(text);
        const why = status.message ?? response.statusMessage ?? 'no message';
        const error = new KubeApiError(`${requestOptions.method} ${url.pathname}: ${code} ${why}`, code, status.reason, status.body);
        error.retryAfterMs = retryAfterOf(response.headers['retry-after']);
        reject(error);
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason);
        return;
      }
      const failure = new KubeApiError(
        `${requestOptions.method} ${url.host}${url.pathname}: ${error.code ?? ''} ${error.message}`.replace(/\s+/g, ' '),
        undefined,
      );
      failure.network = error.code;
      reject(failure);
    });
    // A half-open connection would otherwise hang this request, and the cleanup after it, forever.
    const idleMs = options.idleTimeoutMs ?? REQUEST_IDLE_MS;
    request.setTimeout(idleMs, () => request.destroy(Object.assign(new Error(`no answer for ${idleMs / 1000}s`), { code: IDLE_TIMEOUT })));
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

export async function requestJson<T>(config: KubeConfig, path: string, options: RequestOptions = {}): Promise<T> {
  const text = await requestText(config, path, options);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new KubeApiError(`${options.method ?? 'GET'} ${path}: the answer is not JSON`, undefined);
  }
}

/** An open watch; `abort` closes it without calling its onClose. */
export interface WatchStream {
  abort(): void;
}

export interface WatchHandlers {
  /** Each event the server sends (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). */
  onEvent: (type: string, object: unknown) => void;
  /** The stream ended: cleanly (undefined, e.g. the server's watch timeout) or broken. */
  onClose: (error?: KubeApiError) => void;
}

/**
 * Starts a watch on a collection (`?watch=true`). Resolves once the server has answered 200;
 * events then flow to onEvent, one JSON object per line. Rejects with a KubeApiError when the
 * server refused (with its Retry-After, which a 429 from priority and fairness carries) or no
 * answer came. Same authentication and transport as requestText, so proxies and exec plugins
 * behave the same for watches as for every other request.
 */
export async function openWatch(
  config: KubeConfig,
  path: string,
  query: RequestOptions['query'],
  handlers: WatchHandlers,
): Promise<WatchStream> {
  const url = apiUrl(config, path, { ...query, watch: true });
  const requestOptions: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await config.applyToHTTPSOptions(requestOptions);
  const controller = new AbortController();
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise<WatchStream>((resolve, reject) => {
    let opened = false;
    let closed = false;
    const close = (error?: KubeApiError) => {
      if (closed || controller.signal.aborted) return;
      closed = true;
      handlers.onClose(error);
    };
    const request = transport.request(url, { ...requestOptions, signal: controller.signal }, (response) => {
      const code = response.statusCode ?? 0;
      if (code !== 200) {
        const chunks: Buffer[] = [];
        const refused = () => {
          const status = statusMessage(Buffer.concat(chunks).toString('utf8'));
          const why = status.message ?? response.statusMessage ?? 'no message';
          const error = new KubeApiError(`watch ${url.pathname}: ${code} ${why}`, code, status.reason, status.body);
          error.retryAfterMs = retryAfterOf(response.headers['retry-after']);
          reject(error);
        };
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => undefined);
        // 'close' too: a refusal whose body was cut off still refused (a second reject is a no-op).
        response.on('end', refused);
        response.on('close', refused);
        return;
      }
      // A watch may stay quiet for minutes: keep the connection probed, as client-go does.
      response.socket.setKeepAlive(true, 30_000);
      opened = true;
      resolve({ abort: () => controller.abort() });
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line === '' || controller.signal.aborted) continue;
          let event: { type?: unknown; object?: unknown };
          try {
            event = JSON.parse(line) as { type?: unknown; object?: unknown };
          } catch {
            continue; // not an event (a proxy's noise); the stream goes on
          }
          if (typeof event.type === 'string') handlers.onEvent(event.type, event.object);
        }
      });
      response.on('error', (error: NodeJS.ErrnoException) => {
        const failure = new KubeApiError(`watch ${url.pathname}: ${error.message}`, undefined);
        failure.network = error.code ?? 'ECONNRESET';
        close(failure);
      });
      response.on('end', () => close());
      // A connection that closed without an end or an error is a broken stream, never a silent one.
      response.on('close', () => {
        if (response.complete) close();
        else {
          const failure = new KubeApiError(`watch ${url.pathname}: the connection closed`, undefined);
          failure.network = 'ECONNRESET';
          close(failure);
        }
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (controller.signal.aborted) return;
      const failure = new KubeApiError(
        `watch ${url.host}${url.pathname}: ${error.code ?? ''} ${error.message}`.replace(/\s+/g, ' '),
        undefined,
      );
      failure.network = error.code;
      // Before the answer the start fails; after it, the open stream broke.
      if (opened) close(failure);
      else reject(failure);
    });
    request.end();
  });
}
