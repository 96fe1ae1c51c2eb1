// `list`: the requirements of a Kubernetes version with the probe serving each, or with --images
// every image the probes run (after --image-registry/--image overrides) for air-gapped mirrors.

import type { Command, ParsedValues } from './command.js';
import { COMMON_OPTIONS, listOption, stringOption } from './command.js';
import { UsageError } from '../errors.js';
import { KUBERNETES_VERSIONS, parseKubernetesVersion, requirementsFor, type KubernetesVersion } from '../requirements/catalog.js';
import { BUILTIN_PROBES } from '../probes/index.js';
import type { Probe } from '../probes/types.js';
import { createImageCatalog, parseImageFlags } from '../runner/images.js';
import { loadProbeDir } from '../runner/probeDir.js';

function versionOf(values: ParsedValues): KubernetesVersion {
  const requested = stringOption(values, 'kubernetes-version');
  if (requested === undefined) return KUBERNETES_VERSIONS[KUBERNETES_VERSIONS.length - 1]!;
  const version = parseKubernetesVersion(requested);
  if (!version) throw new UsageError(`unsupported --kubernetes-version '${requested}' (supported: ${KUBERNETES_VERSIONS.join(', ')})`);
  return version;
}

function formatOf(values: ParsedValues): 'text' | 'json' {
  const format = stringOption(values, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
  return format;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd()).join('\n');
}

export const listCommand: Command = {
  name: 'list',
  summary: 'List the requirements and probes for a Kubernetes version',
  usage: 'list [--kubernetes-version 1.33..1.37] [--format text|json] [--images] [--image-registry REG] [--image NAME=REF]',
  options: {
    ...COMMON_OPTIONS,
    images: { type: 'boolean' },
    'image-registry': { type: 'string' },
    image: { type: 'string', multiple: true },
    'probe-dir': { type: 'string' },
  },
  async run(values) {
    const version = versionOf(values);
    const format = formatOf(values);
    const probeDir = stringOption(values, 'probe-dir');
    const extra = probeDir ? await loadProbeDir(probeDir) : [];
    const probes = new Map<string, { probe: Probe; origin: string }>();
    for (const probe of BUILTIN_PROBES) probes.set(probe.id, { probe, origin: 'builtin' });
    for (const source of extra) probes.set(source.probe.id, source);

    if (values.images === true) {
      const catalog = createImageCatalog([...probes.values()].map((s) => s.probe), {
        registry: stringOption(values, 'image-registry'),
        images: parseImageFlags(listOption(values, 'image')),
      });
      const usedBy = (name: string) => [...probes.values()].filter((s) => s.probe.images && name in s.probe.images).map((s) => s.probe.id);
      const images = catalog.entries().map(([name, image]) => ({ name, image, probes: usedBy(name) }));
      if (format === 'json') process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
      else process.stdout.write(`${table([['NAME', 'IMAGE', 'USED BY'], ...images.map((i) => [i.name, i.image, i.probes.join(', ')])])}\n`);
      return 0;
    }

    const catalogEntries = requirementsFor(version).map((r) => ({ ...r, probe: probes.has(r.id) ? probes.get(r.id)!.origin : 'none' }));
    const proposals = extra
      .filter((s) => !catalogEntries.some((r) => r.id === s.probe.id) && s.probe.proposal)
      .map((s) => ({ id: s.probe.id, ...s.probe.proposal!, probe: s.origin, proposed: true }));
    const rows = [...catalogEntries, ...proposals];
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`AI conformance requirements for Kubernetes ${version}\n\n`);
    process.stdout.write(`${table([['ID', 'CATEGORY', 'LEVEL', 'PROBE', 'SUMMARY'], ...rows.map((r) => [r.id, r.category, r.level, r.probe, r.summary])])}\n`);
    return 0;
  },
};
