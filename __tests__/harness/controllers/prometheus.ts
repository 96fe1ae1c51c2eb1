// Simulated Prometheus (behaviour `prometheus`): the Prometheus HTTP API's instant query
// (/api/v1/query) served through the API server's service proxy, answering from what the
// monitoring model scraped (pods registered by PodMonitor or annotations) plus static scrapes of
// real exporter text (e.g. a DCGM exporter) from fixtures/metrics/.
// Supported PromQL: `vector(N)`, instant selectors `name{l="v",l!="v",l=~"re",l!~"re"}` and
// sum/avg/max/min/count of one (KEDA's Prometheus trigger queries) — anything else answers
// HTTP 400 bad_data as Prometheus does for a bad query.
// Parameters: namespace (monitoring), service (prometheus-operated), port (web; 9090 also
// answers), pathPrefix (default none; e.g. /select/0/prometheus as VictoriaMetrics' vmselect,
// /prometheus as Mimir: the API is served only under it), scrape (default true; false: targets are never scraped), scrapeDelayMs (default 0),
// staticScrapes: [{ file: fixtures/metrics/NAME.prom, labels: {job: ...} }].
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePrometheusText } from '../../../src/probes/lib/prometheus-text.js';
import type { Controller, ControllerContext, ControllerFactory, ProxyResponse } from './types.js';
import { monitoringModel, numberParam, type Series } from './monitoring-model.js';
import { arr, rec, str } from './workload-model.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Parses `name{...}` / `{...}` into matchers; undefined when the query is not a plain selector. */
export function parseSelector(query: string): Matcher[] | undefined {
  const match = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s.exec(query);
  if (!match) return undefined;
  const groups: readonly (string | undefined)[] = match; // both parts are optional
  const [, name, braces] = groups;
  if (!name && braces === undefined) return undefined;
  const matchers: Matcher[] = name ? [{ label: '__name__', op: '=', value: name }] : [];
  let rest = (braces ?? '').trim();
  while (rest.length > 0) {
    const part = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,\s*)?/.exec(rest);
    if (!part) return undefined;
    matchers.push({ label: part[1], op: part[2] as Matcher['op'], value: JSON.parse(`"${part[3]}"`) as string });
    rest = rest.slice(part[0].length);
  }
  return matchers;
}

function matches(series: Series, matchers: Matcher[]): boolean {
  return matchers.every(({ label, op, value }) => {
    const actual = series.labels[label] ?? '';
    switch (op) {
      case '=':
        return actual === value;
      case '!=':
        return actual !== value;
      case '=~':
        return new RegExp(`^(?:${value})$`).test(actual);
      case '!~':
        return !new RegExp(`^(?:${value})$`).test(actual);
    }
  });
}

function badData(message: string): ProxyResponse {
  return { status: 400, contentType: 'application/json', body: { status: 'error', errorType: 'bad_data', error: message } };
}

const AGGREGATIONS: Record<string, (values: number[]) => number> = {
  sum: (values) => values.reduce((total, value) => total + value, 0),
  avg: (values) => values.reduce((total, value) => total + value, 0) / values.length,
  max: (values) => Math.max(...values),
  min: (values) => Math.min(...values),
  count: (values) => values.length,
};

/**
 * An instant query over the series: `vector(N)`, a selector, or an aggregation of one without
 * grouping (`sum(name{...})`: one sample without labels; none over no series, as Prometheus).
 */
export function instantQuery(series: Series[], text: string): { samples: Series[] } | { error: string } {
  const vector = /^\s*vector\(\s*([-+]?\d*\.?\d+)\s*\)\s*$/.exec(text);
  if (vector) return { samples: [{ labels: {}, value: Number(vector[1]) }] };
  const aggregation = /^\s*(sum|avg|max|min|count)\s*\((.*)\)\s*$/s.exec(text);
  const matchers = parseSelector(aggregation ? aggregation[2] : text);
  if (!matchers)
    return {
      error: `invalid parameter "query": unsupported expression ${JSON.stringify(text)} (the fake supports vector(), selectors and sum/avg/max/min/count of a selector)`,
    };
  try {
    const selected = series.filter((one) => matches(one, matchers));
    if (!aggregation) return { samples: selected };
    if (selected.length === 0) return { samples: [] };
    return { samples: [{ labels: {}, value: AGGREGATIONS[aggregation[1]](selected.map((one) => one.value)) }] };
  } catch (error) {
    return { error: `invalid parameter "query": ${error instanceof Error ? error.message : String(error)}` };
  }
}

export const prometheusController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const namespace = str(ctx.params.namespace) ?? 'monitoring';
  const service = str(ctx.params.service) ?? 'prometheus-operated';
  const port = ctx.params.port === undefined ? 'web' : (ctx.params.port as string | number);
  const model = monitoringModel(ctx);
  const pathPrefix = str(ctx.params.pathPrefix) ?? '';

  const staticSeries: Series[] = [];
  for (const entry of arr(ctx.params.staticScrapes)) {
    const file = resolve(REPO_ROOT, str(entry.file) ?? '');
    const extra = rec(entry.labels) as Record<string, string>;
    for (const sample of parsePrometheusText(readFileSync(file, 'utf8')).samples) {
      staticSeries.push({ value: sample.value, labels: { ...sample.labels, ...extra, __name__: sample.name } });
    }
  }

  const query = (text: string): ProxyResponse => {
    const answer = instantQuery([...staticSeries, ...model.series()], text);
    if ('error' in answer) return badData(answer.error);
    const now = Date.now() / 1000;
    const result = answer.samples.map((sample) => ({ metric: sample.labels, value: [now, String(sample.value)] }));
    return { contentType: 'application/json', body: { status: 'success', data: { resultType: 'vector', result } } };
  };

  return {
    start() {
      model.settings = {
        scrape: ctx.params.scrape !== false,
        scrapeDelayMs: numberParam(ctx.params, 'scrapeDelayMs', 0),
        annotationScrape: ctx.params.annotationScrape !== false,
      };
      const handler = (req: { path: string; query: URLSearchParams }): ProxyResponse => {
        if (req.path === `${pathPrefix}/api/v1/query`) {
          const text = req.query.get('query');
          return text === null ? badData('invalid parameter "query": missing') : query(text);
        }
        if (req.path === '/-/ready' || req.path === '/-/healthy')
          return { contentType: 'text/plain', body: 'Prometheus Server is Ready.\n' };
        return { status: 404, contentType: 'text/plain', body: '404 page not found\n' };
      };
      ctx.registerServiceProxy(namespace, service, port, handler);
      if (port !== 9090) ctx.registerServiceProxy(namespace, service, 9090, handler);
    },
  };
};
