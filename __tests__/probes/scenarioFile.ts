// Writes a scenario that includes real scenario files and adds a few fields (faults, behaviour
// overrides, discovery changes), so a test states only what differs from the named scenarios.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
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

/** The add-on files the kind scenarios include for SHOULD probes only (src/cluster/addons.ts `serves`). */
const SHOULD_ADDON_FILE = /^addons\/(gateway-api-inference-extension|gvisor)-/;

/**
 * kind-example-dra-<version> without its SHOULD add-ons (the Inference Extension, gVisor): the
 * driver and the MUST add-ons, as `kind up` without them or a platform without them has; plus
 * `include` and `extra`, as derivedScenario takes them.
 */
export function kindWithoutShouldAddons(
  name: string,
  version: string,
  include: string[] = [],
  extra: Record<string, unknown> = {},
): string {
  const kind = parse(readFileSync(scenarioPath(`kind-example-dra-${version}`), 'utf8')) as { include: string[]; nodes: unknown[] };
  const base = kind.include.filter((file) => !SHOULD_ADDON_FILE.test(file));
  return derivedScenario(name, version, [...base, ...include], { nodes: kind.nodes, ...extra });
}
