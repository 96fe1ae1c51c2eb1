// The exposition parser on real scrapes (dcgm-exporter, vLLM) and the query-answer parser on real
// Prometheus / VictoriaMetrics answers, copied into fixtures/metrics/.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, samplesOf } from '../../../src/probes/lib/prometheus-text.js';
import { parseQueryAnswer } from '../../../src/probes/lib/prometheus-api.js';
import { parseSelector } from '../../harness/controllers/prometheus.js';

const fixture = (name: string) => readFileSync(resolve(__dirname, '../../../fixtures/metrics', name), 'utf8');

describe('parsePrometheusText', () => {
  it('reads every sample of the dcgm-exporter L4 scrape with its labels and types', () => {
    const exposition = parsePrometheusText(fixture('dcgm-exporter.scrape.kops-v1.35.nvidia-L4.prom'));
    expect(exposition.errors).toEqual([]);
    const util = samplesOf(exposition, 'DCGM_FI_DEV_GPU_UTIL');
    expect(util).toHaveLength(1);
    expect(util[0].labels.UUID).toBe('GPU-c2f76b33-7953-256e-8f33-1343419b1a1c');
    expect(util[0].labels.modelName).toBe('NVIDIA L4');
    expect(samplesOf(exposition, 'DCGM_FI_DEV_POWER_USAGE')[0].value).toBeCloseTo(16.365);
    expect(exposition.families.get('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION')?.type).toBe('counter');
    expect(exposition.families.get('DCGM_FI_DEV_GPU_TEMP')?.help).toBe('GPU temperature (in C).');
  });

  it('reads the vGPU scrape (memory but no profiling fields)', () => {
    const exposition = parsePrometheusText(fixture('dcgm-exporter.scrape.vks-v1.36.vgpu-grid-a100.prom'));
    expect(exposition.errors).toEqual([]);
    expect(samplesOf(exposition, 'DCGM_FI_DEV_FB_USED')).toHaveLength(1);
    expect(samplesOf(exposition, 'DCGM_FI_DEV_FB_FREE')).toHaveLength(1);
    expect(exposition.samples.some((sample) => sample.name.startsWith('DCGM_FI_PROF_'))).toBe(false);
  });

  it('groups histogram buckets under their family in the vLLM scrape', () => {
    const exposition = parsePrometheusText(fixture('vllm.scrape.kops-v1.35.qwen2.5-0.5b.prom'));
    expect(exposition.errors).toEqual([]);
    const histograms = [...exposition.families.values()].filter((family) => family.type === 'histogram');
    expect(histograms.length).toBeGreaterThan(0);
    const family = histograms[0];
    expect(family.samples.some((sample) => sample.name === `${family.name}_bucket` && sample.labels.le === '+Inf')).toBe(true);
    expect(exposition.samples.some((sample) => sample.name.startsWith('vllm:'))).toBe(true);
  });

  it('handles escapes, special values, timestamps and reports bad lines without throwing', () => {
    const exposition = parsePrometheusText(
      [
        '# a plain comment',
        'm{path="/a\\"b\\\\c",x="line\\nbreak"} +Inf 1700000000000',
        'm{path="z"} NaN',
        'n -1.5e3',
        'broken{path="x" 1',
        'also broken value',
      ].join('\n'),
    );
    expect(exposition.samples).toHaveLength(3);
    expect(exposition.samples[0].labels).toEqual({ path: '/a"b\\c', x: 'line\nbreak' });
    expect(exposition.samples[0].value).toBe(Number.POSITIVE_INFINITY);
    expect(exposition.samples[0].timestampMs).toBe(1700000000000);
    expect(Number.isNaN(exposition.samples[1].value)).toBe(true);
    expect(exposition.samples[2].value).toBe(-1500);
    expect(exposition.errors).toHaveLength(2);
    expect(exposition.errors[0]).toMatch(/^line 5: /);
  });
});

describe('parseQueryAnswer', () => {
  it('reads real vector answers from Prometheus and VictoriaMetrics', () => {
    const kops = parseQueryAnswer(fixture('prometheus-api-v1-query.vector.kops-v1.35.json'));
    expect(kops).toHaveLength(2);
    expect(kops[1].metric.method).toBe('POST');
    expect(kops[1].value).toBe(2563);
    const victoria = parseQueryAnswer(fixture('prometheus-api-v1-query.vector.victoriametrics.ericsson-v1.35.json'));
    expect(victoria.length).toBeGreaterThan(0);
    expect(parseQueryAnswer(fixture('prometheus-api-v1-query.empty-vector.kops-v1.35.json'))).toEqual([]);
  });

  it('turns error answers and non-JSON into plain errors', () => {
    expect(() => parseQueryAnswer('{"status":"error","errorType":"bad_data","error":"parse error"}')).toThrow(/bad_data: parse error/);
    expect(() => parseQueryAnswer('<html>')).toThrow(/not JSON/);
  });
});

describe('the fake Prometheus selector parser', () => {
  it('reads names and every matcher kind, and refuses what it does not model', () => {
    expect(parseSelector('up{job="x",a!="b",c=~"d.*",e!~"f"}')).toEqual([
      { label: '__name__', op: '=', value: 'up' },
      { label: 'job', op: '=', value: 'x' },
      { label: 'a', op: '!=', value: 'b' },
      { label: 'c', op: '=~', value: 'd.*' },
      { label: 'e', op: '!~', value: 'f' },
    ]);
    expect(parseSelector('sum(rate(x[5m]))')).toBeUndefined();
  });
});
