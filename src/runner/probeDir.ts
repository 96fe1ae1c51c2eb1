// --probe-dir DIR: extra probe modules, one per file, each default-exporting a Probe. They may
// replace a built-in probe or propose a requirement the catalog does not have yet.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, oneLine } from '../errors.js';
import type { Probe } from '../probes/types.js';
import type { ProbeSource } from './select.js';

const MODULE_FILE = /\.(mjs|js|ts|mts)$/;

/** An option declaration as the builders in src/probes/options.ts make it. */
function isOptionSpec(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.parse === 'function' &&
    typeof record.expects === 'string' &&
    typeof record.type === 'string' &&
    typeof record.shownDefault === 'string'
  );
}

function isProbe(value: unknown): value is Probe {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const options = record.options;
  const optionsOk =
    options === undefined ||
    (typeof options === 'object' && options !== null && !Array.isArray(options) && Object.values(options).every(isOptionSpec));
  return (
    typeof record.id === 'string' &&
    /^[A-Za-z0-9_.-]+$/.test(record.id) &&
    typeof record.run === 'function' &&
    typeof record.timeoutMs === 'number' &&
    optionsOk
  );
}

export async function loadProbeDir(dir: string): Promise<ProbeSource[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => MODULE_FILE.test(name) && !name.endsWith('.d.ts')).sort();
  } catch {
    throw new UsageError(`--probe-dir ${dir}: cannot read the directory`);
  }
  const sources: ProbeSource[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let loaded: { default?: unknown };
    try {
      loaded = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
    } catch (error) {
      throw new UsageError(`--probe-dir: cannot load ${file}: ${oneLine(error)}`);
    }
    if (!isProbe(loaded.default)) {
      throw new UsageError(
        `--probe-dir: ${file} does not default-export a probe (an object with id, timeoutMs and run, and options, if any, made with the builders of src/probes/options.ts)`,
      );
    }
    if (sources.some((s) => s.probe.id === (loaded.default as Probe).id)) {
      throw new UsageError(`--probe-dir: two modules define probe '${loaded.default.id}'`);
    }
    sources.push({ probe: loaded.default, origin: file });
  }
  return sources;
}
