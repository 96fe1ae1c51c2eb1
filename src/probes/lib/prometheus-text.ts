// Parser for the Prometheus text exposition format (version 0.0.4), the format dcgm-exporter, vLLM
// and most workloads serve on /metrics. Only what the probes need: samples with their labels and
// the # TYPE / # HELP of each family. Malformed lines are collected, not thrown, so one odd line
// from an exporter does not hide every other metric.

export interface Sample {
  name: string;
  /** A label the sample does not carry is absent. */
  labels: Partial<Record<string, string>>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  type?: string;
  help?: string;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, MetricFamily>;
  samples: Sample[];
  /** Lines that could not be parsed, with their line numbers. */
  errors: string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info', '_gsum', '_gcount'];

function parseValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default: {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
      return Number(text);
    }
  }
}

/** Reads `{a="x",b="y"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!name) return `bad label name at column ${i + 1}`;
    i += name[0].length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=') return `expected = after label ${name[0]}`;
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') return `expected " for label ${name[0]}`;
    i++;
    let value = '';
    for (;;) {
      const ch = line.at(i);
      if (ch === undefined) return `unterminated value for label ${name[0]}`;
      if (ch === '\\') {
        const next = line.at(i + 1);
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
        continue;
      }
      if (ch === '"') {
        i++;
        break;
      }
      value += ch;
      i++;
    }
    labels[name[0]] = value;
  }
}

function familyNameOf(sampleName: string, families: Map<string, MetricFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.has(base)) return base;
    }
  }
  return sampleName;
}

function familyFor(families: Map<string, MetricFamily>, name: string): MetricFamily {
  let family = families.get(name);
  if (!family) {
    family = { name, samples: [] };
    families.set(name, family);
  }
  return family;
}

export function parsePrometheusText(text: string): Exposition {
  const families = new Map<string, MetricFamily>();
  const samples: Sample[] = [];
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const where = `line ${index + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const meta = /^#\s*(TYPE|HELP)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!meta) return; // an ordinary comment
      const groups: readonly (string | undefined)[] = meta; // the text after the name is optional
      const body = groups[3] ?? '';
      const family = familyFor(families, meta[2]);
      if (meta[1] === 'TYPE') family.type = body.trim();
      else family.help = body.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      return;
    }
    const name = NAME.exec(line);
    if (!name) {
      errors.push(`${where}: no metric name`);
      return;
    }
    let i = name[0].length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i);
      if (typeof parsed === 'string') {
        errors.push(`${where}: ${parsed}`);
        return;
      }
      labels = parsed.labels;
      i = parsed.end;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    const value = parseValue(rest[0] ?? '');
    if (value === undefined) {
      errors.push(`${where}: bad value ${JSON.stringify(rest[0] ?? '')}`);
      return;
    }
    const stamp = rest.at(1);
    const timestamp = stamp !== undefined ? Number(stamp) : undefined;
    const sample: Sample = { name: name[0], labels, value };
    if (timestamp !== undefined && Number.isFinite(timestamp)) sample.timestampMs = timestamp;
    samples.push(sample);
    familyFor(families, familyNameOf(name[0], families)).samples.push(sample);
  });
  return { families, samples, errors };
}

/** Samples of one metric name, optionally narrowed by exact label values. */
export function samplesOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}
