// README.md of the submission folder: what a pull request to cncf/k8s-ai-conformance carries
// beside PRODUCT.yaml, saying how the results were produced and how to reproduce them.

import { parse as parseYamlValue } from 'yaml';
import type { RunResults } from '../model/results.js';
import { leftOutMusts, platformFacts, runOutcome } from '../model/results.js';
import { testNameFor } from '../requirements/catalog.js';
import { escapeMarkdown as md } from './escape.js';
import { evidencePath } from './evidence.js';
import { factText, formatDuration, VERDICT_LABEL } from './format.js';
import { simulationMessage } from './gotest.js';

export interface ReadmeOptions {
  /** The PRODUCT.yaml text written beside it (for the platform's name and version). */
  product?: string;
  /** The folder's path in the cncf/k8s-ai-conformance repository, e.g. v1.37/acme. */
  submissionPath?: string;
}

function metadataOf(product: string | undefined): Record<string, unknown> {
  if (!product) return {};
  try {
    const data = parseYamlValue(product) as { metadata?: Record<string, unknown> } | null;
    return data?.metadata ?? {};
  } catch {
    return {};
  }
}

/** The platform the run found: Kubernetes, accelerators, and each component a probe reported with its version. */
function platformSection(results: RunResults): string[] {
  const out = ['## Platform', '', '| component | version and where it was read | reported by |', '|---|---|---|'];
  out.push(`| Kubernetes | ${md(results.cluster.serverVersion ?? 'version not found')} (the API server's /version) | run |`);
  if (results.accelerator) out.push(`| Accelerators | ${md(`${results.accelerator.profile}: ${results.accelerator.detail}`)} | run |`);
  for (const fact of platformFacts(results))
    out.push(`| ${md(fact.component)} | ${md(factText(fact))} | ${fact.requirements.map((id) => md(id)).join(', ')} |`);
  return out;
}

export function renderSubmissionReadme(results: RunResults, options: ReadmeOptions = {}): string {
  const meta = metadataOf(options.product);
  const text = (key: string) => (typeof meta[key] === 'string' && !/^\[.*\]$/.test(meta[key]) ? meta[key] : undefined);
  const platform = text('platformName') ?? 'This platform';
  const platformVersion = text('platformVersion');
  const version = `v${results.kubernetesVersion}`;
  const dir = options.submissionPath ?? `${version}/<your-product>`;
  const out: string[] = [
    `# ${md(platform)}${platformVersion ? ` ${md(platformVersion)}` : ''}: Kubernetes AI Conformance (${version})`,
    '',
  ];
  if (results.cluster.simulated)
    out.push(
      '> [!CAUTION]',
      `> **SIMULATED: do not submit.** ${md(simulationMessage(results))}. The test artifacts carry a failing \`TestRealCluster\` test, so the CNCF validator rejects this folder.`,
      '',
    );
  const leftOut = leftOutMusts(results);
  if (leftOut.length > 0) {
    out.push(
      '> [!WARNING]',
      `> **INCOMPLETE.** ${leftOut.length} MUST requirement(s) were left out of this run (${leftOut.map((r) => md(r.id)).join(', ')}); run them before submitting.`,
      '',
    );
  }
  out.push(
    `This directory is a Kubernetes ${version} AI conformance submission with automated test artifacts, produced by ${md(results.tool.name)} ${md(results.tool.version)} ` +
      `(run \`${md(results.runId)}\`, ${md(results.startedAt)}, ${formatDuration(results.durationMs)}) against ${md(results.cluster.context ?? results.cluster.mode)} ` +
      `(Kubernetes ${md(results.cluster.serverVersion ?? 'unknown')}). Outcome: **${runOutcome(results)}**.`,
    '',
    '## Files',
    '',
    '- `PRODUCT.yaml`: the checklist, with the official wording of the v' +
      results.kubernetesVersion +
      ' template; each probed requirement cites the artifacts below.',
    '- `junit.xml`, `results.json` (`go test -json` events) and `e2e.log` (`go test -v` output): one test per requirement, its checks as subtests.',
    '- `evidence/<id>.md`: per requirement, what was created, the equivalent `kubectl` commands, what was observed, timings and platform facts.',
    '',
    '## Results',
    '',
    '| requirement | level | result | test | evidence |',
    '|---|---|---|---|---|',
  );
  for (const r of results.requirements.filter((x) => !x.proposed)) {
    out.push(
      `| ${md(r.id)} | ${r.level} | ${VERDICT_LABEL[r.verdict]} | \`${testNameFor(r.id)}\` | [${evidencePath(r.id)}](${evidencePath(r.id)}) |`,
    );
  }
  out.push('', ...platformSection(results));
  out.push(
    '',
    '## How to reproduce',
    '',
    `With ${md(results.tool.name)} ${md(results.tool.version)} (its CLI \`ai-conformance\`, or \`node dist/cli.js\` in its repository; Node.js 20.19 or later), a kubeconfig with cluster-admin rights on the same cluster, and a checkout of cncf/k8s-ai-conformance as the working directory:`,
    '',
    '```sh',
    `ai-conformance run --kubeconfig ~/.kube/config --kubernetes-version ${results.kubernetesVersion} \\`,
    `  --accelerator ${results.accelerator?.profile ?? '<profile>'} --allow-node-scaling --metadata metadata.yaml --submission ${dir}`,
    `ai-conformance validate ${dir}/PRODUCT.yaml`,
    '```',
    '',
    'The run creates short-lived namespaces labelled `ai-conformance.cncf.io/run=<run id>` and deletes everything it created; `evidence/<id>.md` lists what each probe created and the `kubectl` commands that show it.',
  );
  return `${out.join('\n')}\n`;
}
