// What a run left behind, in every report: each object by kind/namespace/name and the command
// that deletes them; an interrupted run is never ready to submit.

import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { exitCodeFor, isReadyToSubmit } from '../../src/model/results.js';
import { renderE2eLog } from '../../src/report/e2e-log.js';
import { renderComment, renderSummary } from '../../src/report/markdown.js';
import { resultsProblem } from '../../src/report/results-file.js';
import { SAMPLE_NAMES, sample } from './samples.js';

const COMMAND =
  'kubectl delete namespaces,resourceclaims.resource.k8s.io --all-namespaces -l ai-conformance.cncf.io/run=r1 --ignore-not-found';

function leaky(): RunResults {
  const results = sample(SAMPLE_NAMES[0]);
  return {
    ...results,
    cluster: { ...results.cluster, simulated: false },
    leaked: 2,
    cleanup: {
      finished: true,
      leftovers: [
        { apiVersion: 'v1', kind: 'Namespace', name: 'aic-dra-support-abc' },
        {
          apiVersion: 'resource.k8s.io/v1',
          kind: 'ResourceClaim',
          namespace: 'aic-dra-support-abc',
          name: 'gpu-claim',
          note: 'in a namespace left behind',
        },
        { apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'ClusterQueue', note: 'not verified: 403 forbidden' },
      ],
      command: COMMAND,
    },
  };
}

describe('leftovers in the reports', () => {
  it('results.json with leftovers and an interruption matches the schema', () => {
    expect(resultsProblem({ ...leaky(), interrupted: 'SIGTERM received twice' })).toBeUndefined();
  });

  it('e2e.log lists each leftover and the command', () => {
    const log = renderE2eLog(leaky());
    expect(log).toContain('  left: Namespace aic-dra-support-abc\n');
    expect(log).toContain('  left: ResourceClaim aic-dra-support-abc/gpu-claim (in a namespace left behind)\n');
    expect(log).toContain('  left: ClusterQueue objects (not verified: 403 forbidden)\n');
    expect(log).toContain(`Delete what is left with: ${COMMAND}\n`);
  });

  it('the summary and the comment list them and give the command in a code block', () => {
    for (const text of [renderSummary(leaky()), renderComment(leaky())]) {
      expect(text).toContain('### Left on the cluster');
      expect(text).toMatch(/- ResourceClaim aic-dra-support-abc\/gpu-claim/);
      expect(text).toContain(`\`\`\`\n${COMMAND}\n\`\`\``);
      expect(text).toMatch(/Not ready, because.*2 objects were left on the cluster/);
    }
  });

  it('an interrupted run is partial, not ready and exits 1, whatever its verdicts', () => {
    const results = { ...leaky(), leaked: 0, cleanup: { finished: false, leftovers: [] }, interrupted: 'SIGTERM received twice' };
    results.requirements = results.requirements.map((r) => ({ ...r, verdict: r.level === 'MUST' ? 'passed' : r.verdict }));
    expect(isReadyToSubmit(results)).toBe(false);
    expect(exitCodeFor(results)).toBe(1);
    expect(renderE2eLog(results)).toMatch(/^INTERRUPTED: +SIGTERM received twice; these results are partial/m);
    expect(renderSummary(results)).toMatch(/the run was cut short \(SIGTERM received twice\), so these results are partial/);
    expect(renderSummary(results)).not.toContain('Left on the cluster');
  });
});
