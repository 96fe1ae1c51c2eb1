// Reachability checks for checklist URLs, as the CNCF validator does them: HEAD first; when that
// fails or answers >= 400, GET; success is a status below 400 (429 counts as reachable: the
// server is there, it is only rate limiting us). Every request is bounded in time.

export type FetchFn = typeof fetch;

export const USER_AGENT = 'k8s-ai-conformance (+https://github.com/cncf/k8s-ai-conformance validator rules)';
export const DEFAULT_URL_TIMEOUT_MS = 15_000;
export const DEFAULT_URL_CONCURRENCY = 8;

function reachable(status: number): boolean {
  return status < 400 || status === 429;
}

async function request(fetchFn: FetchFn, method: 'HEAD' | 'GET', url: string, timeoutMs: number): Promise<number> {
  const response = await fetchFn(url, {
    method,
    redirect: 'follow',
    headers: { 'User-Agent': USER_AGENT, Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  // Only the status matters; release the connection.
  await response.body?.cancel().catch(() => undefined);
  return response.status;
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000}s`;
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
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
