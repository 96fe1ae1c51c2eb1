// Reachability checks for checklist URLs, as the CNCF validator does them: HEAD first; when that
// fails or answers >= 400, GET; success is a status below 400. Every request is bounded in time
// (30 s, the validator's limit) and at most DEFAULT_URL_CONCURRENCY run at once.

export type FetchFn = typeof fetch;

// The validator's own User-Agent: vendors allowlist it for their evidence pages, and we must be
// let in (or kept out) exactly as the validator will be.
export const USER_AGENT = 'CNCF-K8s-AI-Conformance-Validator/1.0 (+https://github.com/cncf/k8s-ai-conformance)';
// Some sites answer a request without a language with an error page or a redirect loop.
export const ACCEPT_LANGUAGE = 'en-US,en;q=0.9';
export const DEFAULT_URL_TIMEOUT_MS = 30_000;
export const DEFAULT_URL_CONCURRENCY = 8;

function reachable(status: number): boolean {
  // 429 is laxer than the validator on purpose: the server is there and only rate limiting us.
  return status < 400 || status === 429;
}

async function request(fetchFn: FetchFn, method: 'HEAD' | 'GET', url: string, timeoutMs: number): Promise<number> {
  const response = await fetchFn(url, {
    method,
    redirect: 'follow',
    headers: {
      'User-Agent': USER_AGENT,
      Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'Accept-Language': ACCEPT_LANGUAGE,
    },
    signal: AbortSignal.timeout(timeoutMs),
  });
  // Only the status matters; release the connection.
  await response.body?.cancel().catch(() => undefined);
  return response.status;
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${timeoutMs / 1000}s`;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`.split('\n')[0] ?? 'request failed';
}

/** Undefined when the URL answers; otherwise one line saying why not. */
export async function checkUrl(url: string, opts: { fetch?: FetchFn; timeoutMs?: number } = {}): Promise<string | undefined> {
  const fetchFn = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_URL_TIMEOUT_MS;
  try {
    if (reachable(await request(fetchFn, 'HEAD', url, timeoutMs))) return undefined;
  } catch {
    // Some servers refuse or mishandle HEAD; GET decides.
  }
  try {
    const status = await request(fetchFn, 'GET', url, timeoutMs);
    return reachable(status) ? undefined : `HTTP ${status}`;
  } catch (error) {
    return describe(error, timeoutMs);
  }
}

/** Runs tasks with at most `limit` in flight, keeping results in input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
