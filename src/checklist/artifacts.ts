// Reads the test artifacts the CNCF validator parses by file name (VALIDATION.md, "Test
// artifacts are parsed by file name"): junit.xml (JUnit XML, <testsuites> or a bare <testsuite>
// root, suites nested at any depth), results.json (the `go test -json` event stream) and
// e2e.log (`go test -v` output, only `--- PASS/FAIL/SKIP:` lines count). Each gives the tests it
// recorded and their outcome; a test recorded more than once keeps a failure.

export type TestOutcome = 'passed' | 'failed' | 'skipped';

export interface TestRecord {
  outcome: TestOutcome;
  /** The failure or skip message, when the artifact carries one (one line). */
  message?: string;
}

export interface ParsedArtifact {
  tests: Map<string, TestRecord>;
  /** results.json only: a package-level failure event. */
  packageFailed: boolean;
}

/** The artifact kind of a file, by its base name (case-insensitive); undefined for other files. */
export function artifactKind(file: string): 'junit' | 'go-json' | 'go-log' | undefined {
  const base = file.replaceAll('\\', '/').split('/').pop()?.toLowerCase();
  if (base === 'junit.xml') return 'junit';
  if (base === 'results.json') return 'go-json';
  if (base === 'e2e.log') return 'go-log';
  return undefined;
}

/** Thrown with one line saying why the artifact cannot be read as test output. */
export class ArtifactError extends Error {}

function record(tests: Map<string, TestRecord>, name: string, next: TestRecord): void {
  const previous = tests.get(name);
  if (previous?.outcome === 'failed') return;
  tests.set(name, next);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? '';
  });
}

function attributes(source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of source.matchAll(/([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')/g)) out.set(match[1], decodeEntities(match[2].slice(1, -1)));
  return out;
}

// Markup the reader skips, then element tags (name, attributes, self-closing).
const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;

/** JUnit XML: every <testcase name=…>; a <failure> or <error> child fails it, <skipped> skips it. */
export function parseJunit(text: string): ParsedArtifact {
  const tests = new Map<string, TestRecord>();
  const stack: string[] = [];
  let root: string | undefined;
  let current: { name: string; record: TestRecord } | undefined;
  for (const match of text.matchAll(TOKEN)) {
    // Markup the reader skips leaves the element groups unmatched, which RegExp's types do not say.
    const groups: readonly (string | undefined)[] = match;
    const [, closing, name, attrs, selfClosing] = groups;
    if (name === undefined) continue;
    if (closing) {
      if (stack.pop() !== name) throw new ArtifactError(`malformed XML: unexpected </${name}>`);
      if (name === 'testcase' && current) {
        record(tests, current.name, current.record);
        current = undefined;
      }
      continue;
    }
    if (root === undefined) {
      root = name;
      if (name !== 'testsuites' && name !== 'testsuite')
        throw new ArtifactError(`the root element is <${name}>, not <testsuites> or <testsuite>`);
    }
    const attr = attributes(attrs ?? '');
    if (name === 'testcase') {
      current = { name: attr.get('name') ?? '', record: { outcome: 'passed' } };
      if (selfClosing) {
        record(tests, current.name, current.record);
        current = undefined;
      }
    } else if (current && stack[stack.length - 1] === 'testcase') {
      const message = attr.get('message');
      if (name === 'failure' || name === 'error') current.record = { outcome: 'failed', ...(message ? { message } : {}) };
      else if (name === 'skipped' && current.record.outcome !== 'failed')
        current.record = { outcome: 'skipped', ...(message ? { message } : {}) };
    }
    if (!selfClosing) stack.push(name);
  }
  if (root === undefined) throw new ArtifactError('not JUnit XML (no <testsuites> or <testsuite> element)');
  if (stack.length > 0) throw new ArtifactError(`malformed XML: <${stack[stack.length - 1]}> is never closed`);
  if (tests.size === 0) throw new ArtifactError('no <testcase> in it');
  return { tests, packageFailed: false };
}

interface GoEvent {
  Action?: unknown;
  Test?: unknown;
  Output?: unknown;
}

/** `go test -json`: pass/fail/skip events with a Test name; fail without one is a package failure. */
export function parseTestEvents(text: string): ParsedArtifact {
  const tests = new Map<string, TestRecord>();
  const lastOutput = new Map<string, string>();
  let packageFailed = false;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let event: GoEvent;
    try {
      event = JSON.parse(line) as GoEvent;
    } catch {
      throw new ArtifactError(`line ${index + 1} is not JSON`);
    }
    const test = typeof event.Test === 'string' && event.Test !== '' ? event.Test : undefined;
    if (event.Action === 'output' && test && typeof event.Output === 'string') {
      const out = event.Output.trim();
      if (out !== '' && !/^(=== |--- )/.test(out)) lastOutput.set(test, out);
    }
    if (event.Action !== 'pass' && event.Action !== 'fail' && event.Action !== 'skip') continue;
    if (!test) {
      if (event.Action === 'fail') packageFailed = true;
      continue;
    }
    const outcome: TestOutcome = event.Action === 'pass' ? 'passed' : event.Action === 'fail' ? 'failed' : 'skipped';
    const message = outcome === 'passed' ? undefined : lastOutput.get(test);
    record(tests, test, { outcome, ...(message ? { message } : {}) });
  }
  if (tests.size === 0) throw new ArtifactError('no test events in it');
  return { tests, packageFailed };
}

const RESULT_LINE = /^(\s*)--- (PASS|FAIL|SKIP): (\S+)/;

/** `go test -v` output: only `--- PASS/FAIL/SKIP: Name` lines count (indented ones are subtests). */
export function parseGoTestLog(text: string): ParsedArtifact {
  const tests = new Map<string, TestRecord>();
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const match = RESULT_LINE.exec(line);
    if (!match) continue;
    const outcome: TestOutcome = match[2] === 'PASS' ? 'passed' : match[2] === 'FAIL' ? 'failed' : 'skipped';
    const next = lines[index + 1] ?? '';
    const deeper = next.length - next.trimStart().length > match[1].length && !RESULT_LINE.test(next);
    const message = outcome !== 'passed' && deeper ? next.trim() : undefined;
    record(tests, match[3], { outcome, ...(message ? { message } : {}) });
  }
  if (tests.size === 0) throw new ArtifactError('no `--- PASS/FAIL/SKIP:` lines in it (is it go test -v output?)');
  return { tests, packageFailed: false };
}

export function parseArtifact(kind: 'junit' | 'go-json' | 'go-log', text: string): ParsedArtifact {
  if (kind === 'junit') return parseJunit(text);
  if (kind === 'go-json') return parseTestEvents(text);
  return parseGoTestLog(text);
}

/**
 * A test's outcome by exact name, or else aggregated over its subtests (`Name/…`): any failed →
 * failed; all skipped → skipped; otherwise passed. Undefined when neither is there.
 */
export function testOutcome(artifact: ParsedArtifact, name: string): TestRecord | undefined {
  const exact = artifact.tests.get(name);
  if (exact) return exact;
  const subtests = [...artifact.tests.entries()].filter(([test]) => test.startsWith(`${name}/`)).map(([, r]) => r);
  if (subtests.length === 0) return undefined;
  const failed = subtests.find((r) => r.outcome === 'failed');
  if (failed) return failed;
  if (subtests.every((r) => r.outcome === 'skipped')) return { outcome: 'skipped' };
  return { outcome: 'passed' };
}

/** The names of the failed tests, in the order recorded. */
export function failingTests(artifact: ParsedArtifact): string[] {
  return [...artifact.tests.entries()].filter(([, r]) => r.outcome === 'failed').map(([name]) => name);
}
