// `list`: the requirements of a Kubernetes version (given, or the cluster's) with the probe
// serving each and every --probe-option the probes declare, or with --images every image the
// probes run (after --image-registry/--image overrides) for air-gapped mirrors.

import type { Command, ParsedValues } from './command.js';
import { COMMON_FLAGS, listOption, noArguments, stringOption } from './command.js';
import { UsageError } from '../errors.js';
import { KUBERNETES_VERSIONS, requirementsFor, testNameFor, type KubernetesVersion, type RequirementId } from '../requirements/catalog.js';
import { connectKubeconfig, requireKubernetesVersion, shouldAddons } from '../cluster/index.js';
import { catalogVersion, serverVersion } from '../kube/connect.js';
import { RUN_FLAGS } from '../run/config.js';
import { BUILTIN_PROBES } from '../probes/index.js';
import type { Probe } from '../probes/types.js';
import { optionRows } from '../probes/options.js';
import { createImageCatalog, parseImageFlags } from '../runner/images.js';
import { loadProbeDir } from '../runner/probeDir.js';

/** --kubernetes-version, else the version of the cluster --kubeconfig/--context name, else the newest. */
async function versionOf(values: ParsedValues): Promise<KubernetesVersion> {
  const requested = stringOption(values, 'kubernetes-version');
  if (requested !== undefined) return requireKubernetesVersion(requested);
  const kubeconfig = stringOption(values, 'kubeconfig');
  const context = stringOption(values, 'context');
  if (kubeconfig === undefined && context === undefined) return KUBERNETES_VERSIONS[KUBERNETES_VERSIONS.length - 1];
  const cluster = await connectKubeconfig({ kubeconfig, context });
  try {
    return catalogVersion(undefined, (await serverVersion(cluster.kubeConfig)).gitVersion);
  } finally {
    await cluster.cleanup();
  }
}

function formatOf(values: ParsedValues): 'text' | 'json' {
  const format = stringOption(values, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
  return format;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const listCommand: Command = {
  name: 'list',
  summary: 'List the requirements and probes for a Kubernetes version',
  usage: 'list [flags]',
  flags: {
    ...COMMON_FLAGS,
    kubeconfig: {
      ...COMMON_FLAGS.kubeconfig,
      description: 'list for the version this cluster runs (one /version request, nothing created)',
      default: 'not used',
    },
    context: { ...COMMON_FLAGS.context, description: 'kubeconfig context of that cluster' },
    'kubernetes-version': { ...COMMON_FLAGS['kubernetes-version'], default: "the cluster's with --kubeconfig/--context, else the newest" },
    images: { type: 'boolean', description: 'list every image the probes run instead (for air-gapped mirrors)', example: '' },
    'image-registry': RUN_FLAGS['image-registry'],
    image: RUN_FLAGS.image,
    'probe-dir': RUN_FLAGS['probe-dir'],
  },
  examples: ['list', 'list --kubeconfig ~/.kube/config --format json', 'list --images --image-registry registry.example.com/mirror'],
  async run(values, positionals) {
    noArguments(this, positionals);
    const format = formatOf(values);
    const version = await versionOf(values);
    const probeDir = stringOption(values, 'probe-dir');
    const extra = probeDir ? await loadProbeDir(probeDir) : [];
    const probes = new Map<string, { probe: Probe; origin: string }>();
    for (const probe of BUILTIN_PROBES) probes.set(probe.id, { probe, origin: 'builtin' });
    for (const source of extra) probes.set(source.probe.id, source);

    if (values.images === true) {
      const catalog = createImageCatalog(
        [...probes.values()].map((s) => s.probe),
        {
          registry: stringOption(values, 'image-registry'),
          images: parseImageFlags(listOption(values, 'image')),
        },
      );
      const usedBy = (name: string) => [...probes.values()].filter((s) => s.probe.images && name in s.probe.images).map((s) => s.probe.id);
      const images = catalog.entries().map(([name, image]) => ({ name, image, probes: usedBy(name) }));
      if (format === 'json') process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
      else process.stdout.write(`${table([['NAME', 'IMAGE', 'USED BY'], ...images.map((i) => [i.name, i.image, i.probes.join(', ')])])}\n`);
      return 0;
    }

    const catalogEntries = requirementsFor(version).map((r) => ({ ...r, probe: probes.get(r.id)?.origin ?? 'none' }));
    const proposals = extra.flatMap(({ probe, origin }) =>
      probe.proposal && !catalogEntries.some((r) => r.id === probe.id)
        ? [{ id: probe.id, ...probe.proposal, testName: testNameFor(probe.id), probe: origin, proposed: true }]
        : [],
    );
    const rows = [...catalogEntries, ...proposals];
    const listed = new Set(rows.map((r) => r.id));
    const options = optionRows([...probes.values()].map((s) => s.probe).filter((probe) => listed.has(probe.id)));
    const byProfile = (id: string) => probes.get(id)?.probe.byProfile;
    const kindAddons = shouldAddons(version);
    const onKind = (id: string) => kindAddons.get(id as RequirementId);
    if (format === 'json') {
      const withOptions = rows.map((r) => ({
        ...r,
        options: options.filter((o) => o.probe === r.id).map(({ probe: _probe, ...o }) => o),
        ...(byProfile(r.id) ? { byProfile: byProfile(r.id) } : {}),
        ...(onKind(r.id) ? { kindAddons: onKind(r.id) } : {}),
      }));
      process.stdout.write(`${JSON.stringify(withOptions, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`AI conformance requirements for Kubernetes ${version}\n\n`);
    process.stdout.write(
      `${table([['ID', 'CATEGORY', 'LEVEL', 'PROBE', 'TEST', 'SUMMARY'], ...rows.map((r) => [r.id, r.category, r.level, r.probe, r.testName, r.summary])])}\n`,
    );
    const shoulds = rows.filter((r) => r.level === 'SHOULD' && probes.has(r.id));
    if (shoulds.length > 0) {
      // Which SHOULDs each accelerator profile lets a probe check (the MUSTs check the same things with every profile).
      const coverage = shoulds.flatMap((r) => {
        const kinds = Object.entries(byProfile(r.id) ?? {});
        if (kinds.length === 0) return [[r.id, 'any', 'the same with every profile']];
        return kinds.map(([kind, what], i) => [i === 0 ? r.id : '', kind, what]);
      });
      process.stdout.write(
        `\nWhat the SHOULD probes check with each accelerator profile (--accelerator; custom: any other DeviceClass or resource)\n\n`,
      );
      process.stdout.write(`${table([['ID', 'PROFILE', 'CHECKS'], ...coverage])}\n`);
      // What `--cluster kind --addons` installs for them on this version (src/cluster/addons.ts).
      const served = shoulds.filter((r) => onKind(r.id));
      if (served.length > 0) {
        process.stdout.write(`\nInstalled for SHOULD probes by --cluster kind --addons on Kubernetes ${version}\n\n`);
        process.stdout.write(`${table([['ID', 'KIND ADD-ONS'], ...served.map((r) => [r.id, (onKind(r.id) ?? []).join(', ')])])}\n`);
      }
    }
    if (options.length > 0) {
      process.stdout.write(`\nProbe options (--probe-option KEY=VALUE; durations in milliseconds)\n\n`);
      process.stdout.write(
        `${table([['OPTION', 'PROBE', 'TYPE', 'DEFAULT', 'DESCRIPTION'], ...options.map((o) => [o.key, o.probe, o.type, o.default, o.description])])}\n`,
      );
    }
    return 0;
  },
};
