import { describe, expect, it } from 'vitest';
import { renderE2eLog, SIMULATION_BANNER } from '../../src/report/e2e-log.js';
import { HOSTILE, SAMPLE_NAMES, sample, withRequirement } from './samples.js';

describe.each(SAMPLE_NAMES)('e2e.log for %s', (name) => {
  const results = sample(name);
  const log = renderE2eLog(results);

  it('has a header naming the tool, run, Kubernetes version and cluster mode', () => {
    const head = log.split('\n').slice(0, 16).join('\n');
    expect(head).toContain(`${results.tool.name} ${results.tool.version}`);
    expect(head).toContain(`run id:             ${results.runId}`);
    expect(head).toContain(`kubernetes version: v${results.kubernetesVersion}`);
    expect(head).toContain(`cluster mode:       ${results.cluster.mode}`);
  });

  it('lists every requirement with its checks and timestamped observations', () => {
    for (const r of results.requirements) {
      expect(log).toContain(`[${r.verdict.toUpperCase()}] ${r.id} (${r.level}, ${r.category})`);
      for (const c of r.checks) expect(log).toContain(`${c.name} (`);
      for (const o of r.observations) {
        const at = new Date(Date.parse(r.startedAt) + o.atMs).toISOString();
        expect(log).toContain(`${at} +${(o.atMs / 1000).toFixed(3)}s`);
      }
    }
  });

  it(results.cluster.simulated ? 'opens and closes with the SIMULATION banner' : 'has no SIMULATION banner', () => {
    expect(log.startsWith(SIMULATION_BANNER[0]!)).toBe(results.cluster.simulated);
    expect(log.includes('SIMULATION:')).toBe(results.cluster.simulated);
  });
});

describe('e2e.log robustness', () => {
  it('keeps one line per observation, shows control characters and redacts secrets', () => {
    const results = withRequirement(sample('mixed-1.35'), 'gang_scheduling', {
      observations: HOSTILE.map((message, i) => ({ atMs: i * 10, message })),
    });
    const log = renderE2eLog(results);
    const lines = log.split('\n');
    const start = lines.findIndex((l) => l.includes('] gang_scheduling ('));
    const obs = lines.slice(start).filter((l) => /^ {4}\d{4}-\d\d-\d\dT/.test(l));
    expect(obs.length).toBeGreaterThanOrEqual(HOSTILE.length);
    expect(log).toContain('line one ⏎ line two');
    expect(log).toContain('\\u{1b}[31mred');
    expect(log).not.toContain('\u001b');
    expect(log).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
  });
});
