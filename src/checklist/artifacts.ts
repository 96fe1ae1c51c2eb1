// Reads the test artifacts the CNCF validator parses by file name (VALIDATION.md, "Test
// artifacts are parsed by file name"): junit.xml (JUnit XML, <testsuites> or a bare <testsuite>
// root, suites nested at any depth), results.json (the `go test -json` event stream) and
// e2e.log (`go test -v` output, only `--- PASS/FAIL/SKIP:` lines count). Each gives the tests it
// recorded and their outcome; a test recorded more than once keeps a failure. JUnit XML is read
// with fast-xml-parser (well-formedness checked first, entities and CDATA decoded by it).

import { XMLParser, XMLValidator } from 'fast-xml-parser';

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

/** A node as the parser gives it with preserveOrder: `{ name: children, ':@': attributes }`. */
type XmlNode = Record<string, unknown>;

// preserveOrder keeps the document order (a test recorded twice keeps a failure, otherwise the
// last record); entities, numeric references and CDATA are decoded by the parser.
const JUNIT_PARSER = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  // Numeric character references (&#10; in test output) are decoded only with htmlEntities in 5.x; its replacement, entityDecoder, wants a decoder written by hand.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  htmlEntities: true,
});

/** The element name of a preserveOrder node (`{ name: children, ':@': attributes }`); undefined for text. */
function elementName(node: XmlNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && !key.startsWith('#') && !key.startsWith('?'));
}

function children(node: XmlNode, name: string): XmlNode[] {
  const value = node[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

function attribute(node: XmlNode, name: string): string | undefined {
  const attributes = node[':@'] as Record<string, unknown> | undefined;
  const value = attributes?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** One <testcase>: a <failure> or <error> child fails it, <skipped> skips it (a failure wins). */
function testcaseRecord(testcase: XmlNode): TestRecord {
  let result: TestRecord = { outcome: 'passed' };
  for (const child of children(testcase, 'testcase')) {
    const name = elementName(child);
    const message = attribute(child, 'message');
    if (name === 'failure' || name === 'error') result = { outcome: 'failed', ...(message ? { message } : {}) };
    else if (name === 'skipped' && result.outcome !== 'failed') result = { outcome: 'skipped', ...(message ? { message } : {}) };
  }
  return result;
}

/** Every <testcase> under a suite element, in document order, suites nested at any depth. */
function collectTestcases(nodes: XmlNode[], tests: Map<string, TestRecord>): void {
  for (const node of nodes) {
    const name = elementName(node);
    if (name === 'testcase') record(tests, attribute(node, 'name') ?? '', testcaseRecord(node));
    else if (name !== undefined) collectTestcases(children(node, name), tests);
  }
}

/** JUnit XML: every <testcase name=…>; a <failure> or <error> child fails it, <skipped> skips it. */
export function parseJunit(text: string): ParsedArtifact {
  // The parser accepts unclosed tags; the validator (still part of fast-xml-parser 5, split out as fast-xml-validator, not a dependency here) refuses them.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new ArtifactError(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const document = JUNIT_PARSER.parse(text) as XmlNode[];
  const root = document.find((node) => elementName(node) !== undefined);
  const rootName = root && elementName(root);
  if (!root || !rootName) throw new ArtifactError('not JUnit XML (no <testsuites> or <testsuite> element)');
  if (rootName !== 'testsuites' && rootName !== 'testsuite')
    throw new ArtifactError(`the root element is <${rootName}>, not <testsuites> or <testsuite>`);
  const tests = new Map<string, TestRecord>();
  collectTestcases([root], tests);
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
