import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pinnedKindRelease, resolveKind, type KindRelease } from '../../src/cluster/kindBinary.js';
import { exitCodeOf } from '../../src/errors.js';
import { KIND_SHA256 } from '../../src/cluster/pins.js';

const BINARY = '#!/bin/sh\necho "kind v0.33.0 go1.26 linux/amd64"\n';
const SHA = createHash('sha256').update(BINARY).digest('hex');

let server: Server;
let base = '';
let hits = 0;
let root = '';
const saved = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP };

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'toolcache-'));
  // @actions/tool-cache reads these from process.env.
  process.env.RUNNER_TOOL_CACHE = path.join(root, 'cache');
  process.env.RUNNER_TEMP = path.join(root, 'temp');
  server = createServer((req, res) => {
    hits += 1;
    if (req.url === '/kind-linux-amd64') res.end(BINARY);
    else {
      res.statusCode = 404;
      res.end('Not Found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  process.env.RUNNER_TOOL_CACHE = saved.cache;
  process.env.RUNNER_TEMP = saved.temp;
  rmSync(root, { recursive: true, force: true });
});

const actionsEnv = (): NodeJS.ProcessEnv => ({ GITHUB_ACTIONS: 'true', RUNNER_TOOL_CACHE: process.env.RUNNER_TOOL_CACHE, PATH: '' });
const release =
  (overrides: Partial<KindRelease>): (() => KindRelease) =>
  () => ({
    version: 'v0.33.0',
    platform: 'linux-amd64',
    url: `${base}/kind-linux-amd64`,
    sha256: SHA,
    ...overrides,
  });

describe('kind binary in GitHub Actions', () => {
  it('rejects a download whose sha256 does not match the pin, exit 3', async () => {
    const error = await resolveKind(actionsEnv(), () => {}, release({ version: 'v0.0.1', sha256: '0'.repeat(64) })).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(exitCodeOf(error)).toBe(3);
    expect((error as Error).message).toBe(`kind v0.0.1 download failed its checksum: expected sha256 ${'0'.repeat(64)}, got ${SHA}`);
  });

  it('reports a failed download in one line', async () => {
    const error = await resolveKind(actionsEnv(), () => {}, release({ version: 'v0.0.2', url: `${base}/missing` })).catch(
      (e: unknown) => e as Error,
    );
    expect(exitCodeOf(error)).toBe(3);
    expect((error as Error).message).toMatch(/^could not download kind v0\.0\.2 from http:\/\/127\.0\.0\.1:\d+\/missing: .*404/);
  });

  it('downloads the pinned release into the tool cache once, verified and executable', async () => {
    hits = 0;
    const first = await resolveKind(actionsEnv(), () => {}, release({}));
    expect(first.startsWith(path.join(process.env.RUNNER_TOOL_CACHE ?? '', 'kind', '0.33.0'))).toBe(true);
    expect(readFileSync(first, 'utf8')).toBe(BINARY);
    accessSync(first, constants.X_OK);
    const second = await resolveKind(actionsEnv(), () => {}, release({}));
    expect(second).toBe(first);
    expect(hits).toBe(1);
  });

  it('pins linux amd64 and arm64 and refuses other platforms', () => {
    expect(pinnedKindRelease('linux-amd64')).toEqual({
      version: 'v0.33.0',
      platform: 'linux-amd64',
      url: 'https://github.com/kubernetes-sigs/kind/releases/download/v0.33.0/kind-linux-amd64',
      sha256: KIND_SHA256['linux-amd64'],
    });
    expect(pinnedKindRelease('linux-arm64').sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(() => pinnedKindRelease('windows-amd64')).toThrow(
      'no pinned kind v0.33.0 binary for windows-amd64 (supported: linux-amd64, linux-arm64)',
    );
  });
});
