// Writes a scenario that includes real scenario files and adds a few fields (faults, behaviour
// overrides, discovery changes), so a test states only what differs from the named scenarios.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { SCENARIOS_DIR } from '../harness/index.js';

export function scenarioPath(name: string): string {
  return resolve(SCENARIOS_DIR, name.endsWith('.yaml') ? name : `${name}.yaml`);
}

/** A scenario file named `name` for Kubernetes `version` made of `include` plus `extra` fields. */
export function derivedScenario(name: string, version: string, include: string[], extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'probe-scenario-'));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ name, kubernetesVersion: version, include: include.map(scenarioPath), ...extra }));
  return file;
}
