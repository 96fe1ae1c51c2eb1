import { describe, expect, it } from 'vitest';
import { checkUrl, DEFAULT_URL_TIMEOUT_MS, mapLimited } from '../../src/checklist/http.js';

describe('URL checks', () => {
  it('runs at most `limit` checks at once and keeps the input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const pending = mapLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight -= 1;
      return n * 10;
    });
    // Release the waiting tasks one by one as they start.
    while (release.length > 0 || inFlight > 0) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    expect(await pending).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(peak).toBe(3);
  });

  it('tries GET when HEAD fails, counts 429 as reachable and reports the GET status', async () => {
    const calls: string[] = [];
    const fake =
      (statuses: Record<string, number>): typeof fetch =>
      async (_url, init) => {
        const method = init?.method ?? 'GET';
        calls.push(method);
        if (statuses[method] === 0) throw new TypeError('fetch failed');
        return new Response(null, { status: statuses[method] ?? 500 });
      };
    expect(await checkUrl('https://x.test/', { fetch: fake({ HEAD: 0, GET: 200 }) })).toBeUndefined();
    expect(calls).toEqual(['HEAD', 'GET']);
    expect(await checkUrl('https://x.test/', { fetch: fake({ HEAD: 429 }) })).toBeUndefined();
    expect(await checkUrl('https://x.test/', { fetch: fake({ HEAD: 403, GET: 410 }) })).toBe('HTTP 410');
    expect(await checkUrl('https://x.test/', { fetch: fake({ HEAD: 0, GET: 0 }) })).toBe('fetch failed');
  });
  it('asks as the CNCF validator does: its User-Agent, a language, a 30 s limit per request', async () => {
    const seen: Array<{ method: string; headers: Headers; signal: AbortSignal | null | undefined }> = [];
    const recording: typeof fetch = async (_url, init) => {
      seen.push({ method: init?.method ?? 'GET', headers: new Headers(init?.headers), signal: init?.signal });
      return new Response(null, { status: 405 });
    };
    expect(await checkUrl('https://x.test/', { fetch: recording })).toBe('HTTP 405');
    expect(seen.map((s) => s.method)).toEqual(['HEAD', 'GET']);
    for (const request of seen) {
      expect(request.headers.get('user-agent')).toBe('CNCF-K8s-AI-Conformance-Validator/1.0 (+https://github.com/cncf/k8s-ai-conformance)');
      expect(request.headers.get('accept-language')).toMatch(/^en/);
      expect(request.signal).toBeInstanceOf(AbortSignal);
    }
    expect(DEFAULT_URL_TIMEOUT_MS).toBe(30_000);
    // The default limit is the one applied: a timed-out request reports it.
    const timingOut: typeof fetch = async () => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    };
    expect(await checkUrl('https://x.test/', { fetch: timingOut })).toBe('no answer within 30s');
  });
});
