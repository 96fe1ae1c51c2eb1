import { describe, expect, it } from 'vitest';
import { checkUrl, mapLimited } from '../../src/checklist/http.js';

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
    const fake = (statuses: Record<string, number>): typeof fetch => async (_url, init) => {
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
});
