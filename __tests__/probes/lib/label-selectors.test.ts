// Label selectors as a Prometheus object's monitor selectors use them: what they select, and the
// labels the probe adds to its own objects so that they are selected.
import { describe, expect, it } from 'vitest';
import { describeSelector, labelsToSatisfy, selects } from '../../../src/probes/lib/label-selectors.js';

describe('label selectors', () => {
  it('an empty selector selects everything; matchLabels and every operator are honoured', () => {
    expect(selects({}, {})).toBe(true);
    expect(selects({ matchLabels: { release: 'kps' } }, { release: 'other' })).toBe(false);
    const selector = {
      matchExpressions: [
        { key: 'team', operator: 'In', values: ['ml'] },
        { key: 'tier', operator: 'NotIn', values: ['batch'] },
        { key: 'monitored', operator: 'Exists' },
        { key: 'private', operator: 'DoesNotExist' },
      ],
    };
    expect(selects(selector, { team: 'ml', monitored: 'yes' })).toBe(true);
    expect(selects(selector, { team: 'ml', monitored: 'yes', tier: 'batch' })).toBe(false);
    expect(selects(selector, { team: 'ml', monitored: 'yes', private: '' })).toBe(false);
    expect(selects(selector, { team: 'ml' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, { a: '2' })).toBe(false);
  });

  it('finds labels to add, keeping those already set, or says none can do', () => {
    expect(labelsToSatisfy({ matchLabels: { release: 'kube-prometheus-stack' } })).toEqual({ release: 'kube-prometheus-stack' });
    expect(
      labelsToSatisfy({
        matchExpressions: [
          { key: 'team', operator: 'In', values: ['ml', 'infra'] },
          { key: 'monitored', operator: 'Exists' },
        ],
      }),
    ).toEqual({ team: 'ml', monitored: 'ai-conformance' });
    // A namespace's own name cannot change; a label already right needs nothing.
    const namespace = { 'kubernetes.io/metadata.name': 'ai-conformance-x' };
    expect(labelsToSatisfy({ matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, namespace)).toBeUndefined();
    expect(labelsToSatisfy({ matchLabels: { 'kubernetes.io/metadata.name': 'ai-conformance-x' } }, namespace)).toEqual({});
    expect(
      labelsToSatisfy({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'DoesNotExist' }] }, namespace),
    ).toBeUndefined();
    expect(
      labelsToSatisfy({
        matchLabels: { team: 'ml' },
        matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['ml'] }],
      }),
    ).toBeUndefined();
  });

  it('describes selectors for evidence', () => {
    expect(describeSelector({})).toBe('{} (everything)');
    expect(describeSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['d', 'e'] }] })).toBe(
      'a=b, c in (d,e)',
    );
  });
});
