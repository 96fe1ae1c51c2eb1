import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderChecklist } from '../../src/checklist/fill.js';
import { officialTemplate } from '../../src/checklist/templates.js';
import { validateProduct } from '../../src/checklist/validate.js';
import type { RequirementResult, RunResults, Verdict } from '../../src/model/results.js';
import { requirementsFor, type KubernetesVersion } from '../../src/requirements/catalog.js';

const work = mkdtempSync(path.join(tmpdir(), 'fill-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function results(
  version: KubernetesVersion,
  verdicts: Record<string, Verdict>,
  extra: Partial<Record<string, Partial<RequirementResult>>> = {},
): RunResults {
  return {
    schemaVersion: 1,
    tool: { name: 'k8s-ai-conformance', version: '0.1.0' },
    runId: 'run-1',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
    durationMs: 60_000,
    kubernetesVersion: version,
    cluster: { mode: 'kubeconfig', simulated: false },
    leaked: 0,
    requirements: requirementsFor(version)
      .filter((r) => Object.hasOwn(verdicts, r.id))
      .map((r) => ({
        ...r,
        verdict: verdicts[r.id],
        reason: `reason for ${r.id}`,
        probe: 'builtin',
        startedAt: '2026-01-01T00:00:00Z',
        durationMs: 10,
        checks: [],
        observations: [],
        ...(extra[r.id] ?? {}),
      })),
  };
}

/** Lines that differ between two texts of equal line count, as "line: old -> new". */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [`${i + 1}: ${line.trim()} -> ${b[i]?.trim()}`]));
}

const EVIDENCE = ['junit_01.xml', 'e2e.log'];

/** The lines a fill adds to an entry that lacks the official wording (minimal hand-written products). */
function wording(version: KubernetesVersion, id: string, indent = '      '): string {
  const r = requirementsFor(version).find((x) => x.id === id);
  return `${indent}description: ${JSON.stringify(r?.description)}\n${indent}level: "${r?.level}"\n`;
}
const passedNote = (id: string) => `k8s-ai-conformance 0.1.0: reason for ${id}; see evidence/${id}.md.`;

describe('renderChecklist', () => {
  it('round trip: a real submission changes only the lines that were filled', async () => {
    const product = 'fixtures/checklists/submissions/v1.36/Softbank/PRODUCT.yaml';
    const before = readFileSync(product, 'utf8');
    const out = await renderChecklist({
      results: results(
        '1.36',
        { gpu_sharing: 'passed', virtualized_accelerator: 'not-applicable' },
        { virtualized_accelerator: { notes: 'No hypervisor on these nodes.' } },
      ),
      product,
      evidence: [],
      offline: true,
    });
    expect(out.source).toBe(product);
    expect(changedLines(before, out.text)).toEqual([
      '40: status: "Not Implemented" -> status: "Implemented"',
      '48: notes: "Platform runs on bare-metal GPU nodes (NVIDIA H100 NVL / GB200 NVL72) with no hypervisor layer, so vGPU or other virtualized accelerator technologies are not applicable to this deployment model." -> notes: "No hypervisor on these nodes."',
    ]);
  });

  it('round trip with nothing probed is byte-identical, comments included', async () => {
    const product = 'fixtures/checklists/submissions/v1.35/kops/PRODUCT.yaml';
    const out = await renderChecklist({ results: results('1.35', {}), product, evidence: EVIDENCE, offline: true });
    expect(out.text).toBe(readFileSync(product, 'utf8'));
  });

  it('appends evidence to a block list in its own style and keeps unprobed entries untouched', async () => {
    const product = 'fixtures/checklists/submissions/v1.35/kops/PRODUCT.yaml';
    const before = readFileSync(product, 'utf8');
    const out = await renderChecklist({
      results: results(
        '1.35',
        { dra_support: 'passed', gang_scheduling: 'failed' },
        {
          gang_scheduling: {
            checks: [
              { name: 'queue', verdict: 'passed', reason: '', durationMs: 1 },
              { name: 'all-or-nothing', verdict: 'failed', reason: 'two of four pods started', durationMs: 1 },
            ],
          },
        },
      ),
      product,
      evidence: EVIDENCE,
      offline: true,
    });
    const diff = out.text.split('\n').filter((l) => !before.split('\n').includes(l));
    // The failed entry gets the evidence too: the JUnit file shows what failed.
    expect(diff).toEqual([
      '    - junit_01.xml',
      '    - e2e.log',
      `    notes: '${passedNote('dra_support')}'`,
      '    status: Partially Implemented',
      '    - junit_01.xml',
      '    - e2e.log',
      "    notes: 'k8s-ai-conformance 0.1.0: reason for gang_scheduling'",
    ]);
    const doc = parse(out.text) as { spec: { accelerators: Array<{ id: string; evidence: string[] }> } };
    expect(doc.spec.accelerators[0]?.evidence).toEqual(['tests/TestAcceleratorsDRASupport/output.md', 'junit_01.xml', 'e2e.log']);
    // An entry we did not probe, byte for byte.
    const untouched = (t: string) => t.slice(t.indexOf('- id: robust_controller'));
    expect(untouched(out.text)).toBe(untouched(before));
  });

  it('fills a template: comments kept, N/A gets notes, error/manual explain without a status, skipped untouched', async () => {
    const template = 'fixtures/checklists/templates/AIConformance-1.35.yaml';
    const out = await renderChecklist({
      results: results('1.35', {
        dra_support: 'passed',
        gpu_sharing: 'not-applicable',
        ai_inference: 'error',
        gang_scheduling: 'manual',
        pod_autoscaling: 'skipped',
        cluster_autoscaling: 'failed',
      }),
      template,
      metadata: { platformName: 'Acme AI', vendorName: 'Acme' },
      evidence: EVIDENCE,
      offline: true,
    });
    expect(out.text).toContain('      status: "Implemented"   # Implemented, Not Implemented, Partially Implemented, N/A');
    expect(out.text).toContain('      evidence: ["junit_01.xml", "e2e.log"] # List of URLs or references to documentation/test results');
    expect(out.text).toContain('# Participants should fill in the');
    const doc = parse(out.text) as {
      metadata: Record<string, string>;
      spec: Record<string, Array<{ id: string; status: string; notes: string; evidence: string[] }>>;
    };
    expect(doc.metadata.platformName).toBe('Acme AI');
    expect(doc.metadata.vendorName).toBe('Acme');
    expect(doc.metadata.websiteUrl).toBe('[Website URL]');
    const entry = (id: string) =>
      Object.values(doc.spec)
        .flat()
        .find((e) => e.id === id);
    expect(entry('gpu_sharing')).toMatchObject({ status: 'N/A', notes: 'reason for gpu_sharing' });
    expect(entry('ai_inference')).toMatchObject({
      status: '',
      evidence: [],
      notes: 'k8s-ai-conformance 0.1.0 could not decide: reason for ai_inference',
    });
    expect(entry('gang_scheduling')).toMatchObject({ status: '', notes: 'Needs manual attestation: reason for gang_scheduling' });
    expect(entry('pod_autoscaling')).toMatchObject({ status: '', notes: '', evidence: [] });
    expect(entry('cluster_autoscaling')).toMatchObject({
      status: 'Not Implemented',
      notes: 'k8s-ai-conformance 0.1.0: reason for cluster_autoscaling',
    });
    // What the CNCF validator says about the result: N/A has its notes.
    const file = path.join(work, 'v1.35', 'acme', 'PRODUCT.yaml');
    await import('node:fs').then((fs) => fs.mkdirSync(path.dirname(file), { recursive: true }));
    writeFileSync(file, out.text);
    const { violations } = await validateProduct(file, { offline: true });
    expect(violations.some((v) => v.rule === 'na-without-notes')).toBe(false);
    expect(violations.filter((v) => v.subject === 'dra_support').map((v) => v.rule)).toEqual([
      'evidence-file-missing',
      'evidence-file-missing',
    ]);
  });

  it('reads metadata from a file, flags win, snake_case keys are updated in place, kubernetesVersion set', async () => {
    const meta = path.join(work, 'meta.yaml');
    writeFileSync(meta, 'platformName: From File\ncontactEmailAddress: ops@example.com\n');
    const product = path.join(work, 'snake.yaml');
    writeFileSync(
      product,
      '# mine\nmetadata:\n  kubernetes_version: ""\n  contact_email_address: old@example.com # keep this comment\nspec:\n  accelerators:\n    - id: dra_support\n      status: ""\n',
    );
    const out = await renderChecklist({
      results: results('1.35', { dra_support: 'passed' }),
      product,
      metadataFile: meta,
      metadata: { platformName: 'From Flag' },
      evidence: [],
      offline: true,
    });
    expect(out.text).toBe(
      `# mine\nmetadata:\n  kubernetes_version: "v1.35"\n  contact_email_address: ops@example.com # keep this comment\n  platformName: "From Flag"\nspec:\n  accelerators:\n    - id: dra_support\n      status: "Implemented"\n      notes: "${passedNote('dra_support')}"\n${wording('1.35', 'dra_support')}`,
    );
  });

  it('turns scalar evidence into a list and adds an entry the checklist lacks', async () => {
    const product = 'fixtures/checklists/submissions/v1.33/talos/PRODUCT.yaml';
    const out = await renderChecklist({
      results: results('1.33', { cluster_autoscaling: 'not-applicable' }),
      product,
      evidence: EVIDENCE,
      offline: true,
    });
    expect(out.text).toContain('      evidence: ["junit_01.xml", "e2e.log"]\n      notes: "reason for cluster_autoscaling"');
    const trimmed = path.join(work, 'no-robust.yaml');
    writeFileSync(
      trimmed,
      readFileSync(product, 'utf8').replace(/ {2}operator:[\s\S]*$/, '  operator:\n    - id: other\n      status: ""\n'),
    );
    const added = await renderChecklist({
      results: results('1.33', { robust_controller: 'passed' }),
      product: trimmed,
      evidence: ['e2e.log'],
      offline: true,
    });
    // An added entry carries the official wording, never our own summary.
    const official = requirementsFor('1.33').find((r) => r.id === 'robust_controller')?.description;
    expect(
      added.text.endsWith(
        `    - id: other\n      status: ""\n    - id: robust_controller\n      description: ${JSON.stringify(official)}\n      level: MUST\n      status: "Implemented"\n      evidence: ["e2e.log"]\n      notes: "${passedNote('robust_controller')}"\n`,
      ),
    ).toBe(true);
  });

  it('adds several missing entries in order, into their list or a new category; new metadata keys keep their order', async () => {
    const product = path.join(work, 'partial.yaml');
    writeFileSync(
      product,
      '# partial\nmetadata:\n  platformName: P # name\nspec:\n  schedulingOrchestration:\n  - id: pod_autoscaling\n    status: ""\n',
    );
    const out = await renderChecklist({
      results: results('1.34', { gang_scheduling: 'passed', cluster_autoscaling: 'not-applicable', robust_controller: 'failed' }),
      product,
      metadata: { vendorName: 'V', contactEmailAddress: 'a@b.c' },
      evidence: [],
      offline: true,
    });
    const doc = parse(out.text) as {
      metadata: Record<string, string>;
      spec: Partial<Record<string, Array<{ id: string; status: string }>>>;
    };
    expect(Object.keys(doc.metadata)).toEqual(['platformName', 'kubernetesVersion', 'vendorName', 'contactEmailAddress']);
    expect(doc.spec.schedulingOrchestration?.map((e) => `${e.id}=${e.status}`)).toEqual([
      'pod_autoscaling=',
      'gang_scheduling=Implemented',
      'cluster_autoscaling=N/A',
    ]);
    expect(doc.spec.operator?.map((e) => `${e.id}=${e.status}`)).toEqual(['robust_controller=Not Implemented']);
    expect(out.text.startsWith('# partial\nmetadata:\n  platformName: P # name\n')).toBe(true);
  });

  it('adds a metadata section when the file has none, and refuses one that is not a mapping', async () => {
    const product = path.join(work, 'no-meta.yaml');
    writeFileSync(product, 'spec:\n  operator:\n    - id: robust_controller\n      status: ""\n');
    const out = await renderChecklist({
      results: results('1.33', { robust_controller: 'passed' }),
      product,
      metadata: { vendorName: 'V' },
      evidence: [],
      offline: true,
    });
    expect(out.text).toBe(
      `metadata:\n  kubernetesVersion: "v1.33"\n  vendorName: "V"\nspec:\n  operator:\n    - id: robust_controller\n      status: "Implemented"\n      notes: "${passedNote('robust_controller')}"\n${wording('1.33', 'robust_controller')}`,
    );
    writeFileSync(product, 'metadata:\nspec:\n  operator:\n    - id: robust_controller\n');
    await expect(renderChecklist({ results: results('1.33', {}), product, evidence: [], offline: true })).rejects.toThrow(
      /metadata is not a mapping/,
    );
  });

  it('without a template: starts from the bundled official template of the version, and never fetches', async () => {
    let calls = 0;
    const counting: typeof fetch = async () => {
      calls += 1;
      throw new Error('network');
    };
    for (const offline of [true, false]) {
      const out = await renderChecklist({ results: results('1.37', {}), evidence: [], offline, fetch: counting });
      expect(out.text).toBe(officialTemplate('1.37'));
      expect(out.source).toMatch(/official AIConformance-1\.37\.yaml/);
    }
    expect(calls).toBe(0);
    await expect(
      renderChecklist({ results: results('1.36', {}), template: 'https://example.test/t.yaml', evidence: [], offline: true }),
    ).rejects.toThrow(/--offline/);
  });

  it('writes the official id, description and level of every entry it fills, whatever the starting text said', async () => {
    const product = path.join(work, 'edited-wording.yaml');
    writeFileSync(
      product,
      'metadata:\n  kubernetesVersion: v1.37\nspec:\n  security:\n    - id: secure_accelerator_access\n      description: "Our own words."\n      level: SHOULD\n      status: ""\n',
    );
    const out = await renderChecklist({
      results: results('1.37', { secure_accelerator_access: 'passed' }),
      product,
      evidence: [],
      offline: true,
    });
    const doc = parse(out.text) as { spec: { security: Array<{ description: string; level: string }> } };
    const official = requirementsFor('1.37').find((r) => r.id === 'secure_accelerator_access');
    expect(doc.spec.security[0]).toMatchObject({ description: official?.description, level: 'MUST' });
    expect(out.text).not.toContain('Our own words.');
  });

  it('refuses a --product of another Kubernetes version in one line, and migrates it only with migrateProduct', async () => {
    const product = 'fixtures/checklists/submissions/v1.36/Softbank/PRODUCT.yaml';
    const run = results('1.37', { gang_scheduling: 'passed' });
    await expect(renderChecklist({ results: run, product, evidence: [], offline: true })).rejects.toThrow(
      /^--product \S+ is a checklist for Kubernetes v1\.36, but this run checks 1\.37; pass --migrate-product/,
    );
    const out = await renderChecklist({
      results: run,
      product,
      migrateProduct: true,
      evidence: ['junit.xml#TestGangScheduling'],
      offline: true,
    });
    expect(out.migration).toContain('added workload_sandboxing (SHOULD): new in 1.37, fill it in');
    expect(out.migration).toContain('accelerator_metrics: the official description changed in 1.37');
    expect(out.text.startsWith(officialTemplate('1.37').split('\n')[0])).toBe(true);
    const doc = parse(out.text) as {
      metadata: Record<string, string>;
      spec: Record<string, Array<{ id: string; status: string; notes: string; evidence: string[] }>>;
    };
    const before = parse(readFileSync(product, 'utf8')) as typeof doc;
    expect(doc.metadata.kubernetesVersion).toBe('v1.37');
    expect(doc.metadata.vendorName).toBe(before.metadata.vendorName);
    const entry = (d: typeof doc, id: string) =>
      Object.values(d.spec)
        .flat()
        .find((e) => e.id === id);
    expect(entry(doc, 'virtualized_accelerator')?.notes).toBe(entry(before, 'virtualized_accelerator')?.notes);
    expect(entry(doc, 'gang_scheduling')?.status).toBe('Implemented');
    expect(entry(doc, 'workload_sandboxing')?.status).toBe('');
  });

  it('rejects a missing product, a malformed template and a bad metadata file with one line', async () => {
    await expect(
      renderChecklist({ results: results('1.35', {}), product: path.join(work, 'nope.yaml'), evidence: [], offline: true }),
    ).rejects.toThrow(/no such file/);
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, 'metadata:\n  a: [\n');
    await expect(renderChecklist({ results: results('1.35', {}), template: bad, evidence: [], offline: true })).rejects.toThrow(
      /bad\.yaml:\d+: malformed YAML/,
    );
    const meta = path.join(work, 'meta-bad.yaml');
    writeFileSync(meta, 'platformName: [a]\n');
    await expect(renderChecklist({ results: results('1.35', {}), metadataFile: meta, evidence: [], offline: true })).rejects.toThrow(
      /platformName must be a string/,
    );
  });
  it('replaces block-scalar notes without joining the next key onto their line', async () => {
    const product = path.join(work, 'block-notes.yaml');
    writeFileSync(
      product,
      'spec:\n  schedulingOrchestration:\n    - id: gang_scheduling\n      status: ""\n      notes: |\n        first line\n        second line\n      evidence: []\n' +
        '    - id: cluster_autoscaling\n      notes: >-\n        folded\n        text\n\n      status: ""\n',
    );
    const out = await renderChecklist({
      results: results(
        '1.35',
        { gang_scheduling: 'failed', cluster_autoscaling: 'not-applicable' },
        { cluster_autoscaling: { notes: 'No node groups.' } },
      ),
      product,
      evidence: EVIDENCE,
      offline: true,
    });
    // The vendor's block notes on the failed entry are theirs and stay; the N/A entry's are replaced.
    expect(out.text).toContain('      notes: |\n        first line\n        second line\n      evidence: ["junit_01.xml", "e2e.log"]\n');
    expect(out.text).toContain('      notes: "No node groups."\n\n      status: "N/A"\n');
    const doc = parse(out.text) as {
      spec: { schedulingOrchestration: Array<{ id: string; status: string; notes: string; evidence: string[] }> };
    };
    expect(doc.spec.schedulingOrchestration[1]).toMatchObject({ status: 'N/A', notes: 'No node groups.', evidence: EVIDENCE });
  });

  it('replaces a block scalar that ends the file, and a literal block on a failed entry that was ours', async () => {
    const product = path.join(work, 'block-last.yaml');
    writeFileSync(
      product,
      'metadata:\n  kubernetesVersion: v1.35\nspec:\n  operator:\n    - id: robust_controller\n      status: ""\n      notes: |\n        k8s-ai-conformance 0.0.9: old reason\n',
    );
    const out = await renderChecklist({ results: results('1.35', { robust_controller: 'failed' }), product, evidence: [], offline: true });
    expect(out.text).toBe(
      `metadata:\n  kubernetesVersion: v1.35\nspec:\n  operator:\n    - id: robust_controller\n      status: "Not Implemented"\n      notes: "k8s-ai-conformance 0.1.0: reason for robust_controller"\n${wording('1.35', 'robust_controller')}`,
    );
  });

  it('fills an empty value followed by a comment with a space before the #', async () => {
    const product = path.join(work, 'empty-comment.yaml');
    writeFileSync(
      product,
      'spec:\n  schedulingOrchestration:\n    - id: cluster_autoscaling\n      status:   # Implemented, Not Implemented, Partially Implemented, N/A\n      evidence: # files or URLs\n      notes: # why\n',
    );
    const out = await renderChecklist({
      results: results('1.35', { cluster_autoscaling: 'not-applicable' }),
      product,
      evidence: EVIDENCE,
      offline: true,
    });
    expect(out.text).toContain('      status:   "N/A" # Implemented, Not Implemented, Partially Implemented, N/A\n');
    expect(out.text).toContain('      evidence: ["junit_01.xml", "e2e.log"] # files or URLs\n');
    expect(out.text).toContain('      notes: "reason for cluster_autoscaling" # why\n');
    const doc = parse(out.text) as { spec: { schedulingOrchestration: Array<{ status: string; notes: string; evidence: string[] }> } };
    expect(doc.spec.schedulingOrchestration[0]).toMatchObject({
      status: 'N/A',
      notes: 'reason for cluster_autoscaling',
      evidence: EVIDENCE,
    });
  });

  it('refuses to return a checklist its edits would leave unparsable, naming the file', async () => {
    // A mapping where a status string belongs: replacing it textually would join the next key on.
    const product = path.join(work, 'status-map.yaml');
    writeFileSync(product, 'spec:\n  operator:\n    - id: robust_controller\n      status:\n        odd: shape\n      notes: ""\n');
    await expect(
      renderChecklist({ results: results('1.35', { robust_controller: 'passed' }), product, evidence: [], offline: true }),
    ).rejects.toThrow(
      new RegExp(`^${product.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: filling it would produce invalid YAML \\(.+\\); it was not written`),
    );
  });

  it('never writes a proposed requirement into the checklist', async () => {
    const product = path.join(work, 'proposed.yaml');
    writeFileSync(product, 'metadata:\n  kubernetesVersion: v1.35\nspec:\n  operator:\n    - id: robust_controller\n      status: ""\n');
    const base = results('1.35', { robust_controller: 'passed', gang_scheduling: 'passed' });
    const proposed = {
      ...base,
      requirements: base.requirements.map((r) => (r.id === 'gang_scheduling' ? { ...r, id: 'proposed_thing', proposed: true } : r)),
    };
    const out = await renderChecklist({ results: proposed, product, evidence: [], offline: true });
    expect(out.text).toBe(
      `metadata:\n  kubernetesVersion: v1.35\nspec:\n  operator:\n    - id: robust_controller\n      status: "Implemented"\n      notes: "${passedNote('robust_controller')}"\n${wording('1.35', 'robust_controller')}`,
    );
    // Even when the checklist already has an entry with that id.
    writeFileSync(product, 'spec:\n  schedulingOrchestration:\n    - id: proposed_thing\n      status: ""\n');
    const again = await renderChecklist({ results: proposed, product, evidence: [], offline: true });
    expect(again.text).toContain('    - id: proposed_thing\n      status: ""\n  operator:');
  });

  it("passed replaces only notes an earlier fill wrote (with what was shown); a vendor's own notes stay", async () => {
    const product = path.join(work, 'notes-passed.yaml');
    writeFileSync(
      product,
      'spec:\n  operator:\n    - id: robust_controller\n      status: "Not Implemented"\n      notes: "k8s-ai-conformance 0.0.9: webhook did not reject"\n' +
        '  networking:\n    - id: ai_inference\n      status: ""\n      notes: "Served by our managed gateway."\n' +
        '  observability:\n    - id: accelerator_metrics\n      status: ""\n      notes: "k8s-ai-conformance 0.1.0 could not decide: timeout"\n',
    );
    const out = await renderChecklist({
      results: results('1.35', { robust_controller: 'passed', ai_inference: 'passed', accelerator_metrics: 'passed' }),
      product,
      evidence: [],
      offline: true,
    });
    const doc = parse(out.text) as { spec: Partial<Record<string, Array<{ status: string; notes: string }>>> };
    expect(doc.spec.operator?.[0]).toMatchObject({
      id: 'robust_controller',
      status: 'Implemented',
      notes: passedNote('robust_controller'),
    });
    expect(doc.spec.networking?.[0]).toMatchObject({ id: 'ai_inference', status: 'Implemented', notes: 'Served by our managed gateway.' });
    expect(doc.spec.observability?.[0]).toMatchObject({
      id: 'accelerator_metrics',
      status: 'Implemented',
      notes: passedNote('accelerator_metrics'),
    });
  });

  it("failed writes notes only over empty notes or ours, never over a vendor's", async () => {
    const product = path.join(work, 'notes-failed.yaml');
    writeFileSync(
      product,
      'spec:\n  operator:\n    - id: robust_controller\n      status: ""\n      notes: "k8s-ai-conformance 0.0.9: old reason"\n' +
        '  networking:\n    - id: ai_inference\n      status: ""\n      notes: "Fix scheduled for Q3."\n' +
        '  observability:\n    - id: accelerator_metrics\n      status: ""\n      notes:\n',
    );
    const out = await renderChecklist({
      results: results('1.35', { robust_controller: 'failed', ai_inference: 'failed', accelerator_metrics: 'failed' }),
      product,
      evidence: [],
      offline: true,
    });
    const doc = parse(out.text) as { spec: Partial<Record<string, Array<{ status: string; notes: string }>>> };
    expect(doc.spec.operator?.[0]?.notes).toBe('k8s-ai-conformance 0.1.0: reason for robust_controller');
    expect(doc.spec.networking?.[0]).toMatchObject({ status: 'Not Implemented', notes: 'Fix scheduled for Q3.' });
    expect(doc.spec.observability?.[0]?.notes).toBe('k8s-ai-conformance 0.1.0: reason for accelerator_metrics');
  });
});
