// Finds the kind binary. In GitHub Actions the pinned release is downloaded into the runner's
// tool cache and its sha256 checked, so every run uses the same kind whatever the runner image
// ships; elsewhere kind must already be on PATH.

import * as tc from '@actions/tool-cache';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';
import { ProvisionError } from './errors.js';
import { KIND_SHA256, KIND_VERSION, kindDownloadUrl } from './pins.js';
import { requireTool } from './tools.js';

export interface KindRelease {
  version: string;
  /** e.g. linux-amd64 */
  platform: string;
  url: string;
  sha256: string;
}

export function pinnedKindRelease(platform: string = currentPlatform()): KindRelease {
  const sha256 = KIND_SHA256[platform];
  if (!sha256) {
    throw new ProvisionError(`no pinned kind ${KIND_VERSION} binary for ${platform} (supported: ${Object.keys(KIND_SHA256).join(', ')})`);
  }
  return { version: KIND_VERSION, platform, url: kindDownloadUrl(KIND_VERSION, platform), sha256 };
}

export function currentPlatform(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return `${process.platform}-${arch}`;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Downloads the release into the tool cache (once per runner) after checking its digest. */
export async function installKindIntoToolCache(release: KindRelease, log: (line: string) => void): Promise<string> {
  const arch = release.platform.split('-')[1] ?? 'amd64';
  const cached = tc.find('kind', release.version.replace(/^v/, ''), arch);
  if (cached) return path.join(cached, 'kind');
  log(`downloading kind ${release.version} (${release.platform})`);
  let downloaded: string;
  try {
    downloaded = await tc.downloadTool(release.url);
  } catch (error) {
    throw new ProvisionError(
      `could not download kind ${release.version} from ${release.url}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const actual = await sha256File(downloaded);
  if (actual !== release.sha256) {
    await rm(downloaded, { force: true });
    throw new ProvisionError(`kind ${release.version} download failed its checksum: expected sha256 ${release.sha256}, got ${actual}`);
  }
  await chmod(downloaded, 0o755);
  const dir = await tc.cacheFile(downloaded, 'kind', 'kind', release.version.replace(/^v/, ''), arch);
  return path.join(dir, 'kind');
}

export async function resolveKind(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  release: () => KindRelease = () => pinnedKindRelease(),
): Promise<string> {
  if (env.GITHUB_ACTIONS === 'true' && env.RUNNER_TOOL_CACHE) return installKindIntoToolCache(release(), log);
  return requireTool('kind', env);
}
