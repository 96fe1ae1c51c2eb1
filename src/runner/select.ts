// Which requirements a run covers and which probe serves each: the catalog of the Kubernetes
// version, narrowed by --only/--skip/--level, plus --probe-dir probes (which may replace a
// built-in probe or propose a requirement the catalog does not have yet).

import { UsageError } from '../errors.js';
import { allRequirementIds, requirementsFor, testNameFor, type KubernetesVersion, type Requirement } from '../requirements/catalog.js';
import type { Probe } from '../probes/types.js';

export interface ProbeSource {
  probe: Probe;
  /** "builtin" or the module path. */
  origin: string;
}

export interface SelectionOptions {
  version: KubernetesVersion;
  only?: readonly string[];
  skip?: readonly string[];
  level?: 'must' | 'should' | 'all';
  builtin: readonly Probe[];
  extra?: readonly ProbeSource[];
}

export type PlanEntry =
  | { requirement: Requirement; proposed: boolean; action: 'run'; source: ProbeSource }
  | { requirement: Requirement; proposed: boolean; action: 'skip' | 'manual'; reason: string };

export function planRequirements(options: SelectionOptions): PlanEntry[] {
  const catalog = requirementsFor(options.version);
  const extra = options.extra ?? [];
  const proposals: Requirement[] = extra
    .filter((source) => !catalog.some((r) => r.id === source.probe.id))
    .map((source) => {
      const proposal = source.probe.proposal;
      if (!proposal) {
        throw new UsageError(
          `probe '${source.probe.id}' in ${source.origin} is not a requirement of ${options.version}; a proposed requirement declares proposal: { category, level, summary }`,
        );
      }
      return {
        id: source.probe.id,
        category: proposal.category,
        level: proposal.level,
        summary: proposal.summary,
        description: proposal.summary,
        testName: testNameFor(source.probe.id),
      };
    });
  const requirements = [...catalog, ...proposals];

  const known = new Set([...allRequirementIds(), ...proposals.map((r) => r.id)]);
  for (const [flag, ids] of [
    ['--only', options.only ?? []],
    ['--skip', options.skip ?? []],
  ] as const) {
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new UsageError(`${flag}: unknown requirement id ${unknown.join(', ')} (see 'ai-conformance list')`);
  }
  // --only names what the run proves; an id this version does not list would prove nothing.
  const listed = new Set(requirements.map((r) => r.id));
  const notListed = (options.only ?? []).filter((id) => !listed.has(id));
  if (notListed.length > 0) {
    throw new UsageError(
      `--only: ${notListed.join(', ')} ${notListed.length === 1 ? 'is' : 'are'} not a requirement of Kubernetes ${options.version} (see 'ai-conformance list --kubernetes-version ${options.version}')`,
    );
  }

  const probes = new Map<string, ProbeSource>();
  for (const probe of options.builtin) probes.set(probe.id, { probe, origin: 'builtin' });
  for (const source of extra) probes.set(source.probe.id, source);

  const level = options.level ?? 'all';
  return requirements.map((requirement): PlanEntry => {
    const proposed = proposals.includes(requirement);
    const skip = (reason: string): PlanEntry => ({ requirement, proposed, action: 'skip', reason });
    if (options.only && options.only.length > 0 && !options.only.includes(requirement.id)) return skip('not selected by --only');
    if (options.skip?.includes(requirement.id)) return skip('skipped with --skip');
    if (level !== 'all' && requirement.level !== level.toUpperCase())
      return skip(`--level ${level} leaves out ${requirement.level} requirements`);
    const source = probes.get(requirement.id);
    if (!source) {
      return {
        requirement,
        proposed,
        action: 'manual',
        reason: 'no automated probe exists for this requirement yet; attest it by hand with evidence',
      };
    }
    if (source.probe.versions && !source.probe.versions.includes(options.version)) {
      return {
        requirement,
        proposed,
        action: 'manual',
        reason: `the probe does not support Kubernetes ${options.version} yet; attest it by hand with evidence`,
      };
    }
    return { requirement, proposed, action: 'run', source };
  });
}
