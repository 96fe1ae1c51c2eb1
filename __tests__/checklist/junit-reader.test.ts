// junit.xml as the CNCF validator reads it (VALIDATION.md): a <testsuites> or bare <testsuite>
// root, suites nested at any depth, each <testcase> a test that <failure>/<error> fails and
// <skipped> skips; a test recorded twice keeps a failure; no testcase, another root or
// malformed XML is one line saying why.

import { describe, expect, it } from 'vitest';
import { ArtifactError, parseJunit, testOutcome } from '../../src/checklist/artifacts.js';

const outcomes = (xml: string) =>
  Object.fromEntries([...parseJunit(xml).tests].map(([name, r]) => [name, r.message ? `${r.outcome}: ${r.message}` : r.outcome]));

describe('parseJunit', () => {
  it('reads nested suites in document order, with entities, character references, CDATA and comments', () => {
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE testsuites>',
      '<!-- written by gotestsum -->',
      '<testsuites tests="5">',
      '  <testsuite name="outer">',
      '    <properties><property name="go.version" value="go1.25"/></properties>',
      '    <testsuite name="inner">',
      '      <testcase name="TestA/x&amp;y &#x41;&#66;" time="0.1"><failure message="got &lt;1&gt;"><![CDATA[ <not markup> ]]></failure></testcase>',
      '    </testsuite>',
      '    <testcase name=\'TestB\' time="0"><skipped message="no GPU > 0"/></testcase>',
      '    <testcase name="TestC"/>',
      '    <testcase name="TestD"><system-out>ok</system-out></testcase>',
      '    <testcase name="TestE"><error message="panic"/></testcase>',
      '  </testsuite>',
      '</testsuites>',
    ].join('\n');
    expect(outcomes(xml)).toEqual({
      'TestA/x&y AB': 'failed: got <1>',
      TestB: 'skipped: no GPU > 0',
      TestC: 'passed',
      TestD: 'passed',
      TestE: 'failed: panic',
    });
  });

  it('takes a bare <testsuite> root, and keeps a failure when the same test passes later', () => {
    const xml = '<testsuite><testcase name="TestX"><failure/></testcase><testcase name="TestX"/><testcase name="TestX/a"/></testsuite>';
    const parsed = parseJunit(xml);
    expect(parsed.tests.get('TestX')).toEqual({ outcome: 'failed' });
    expect(testOutcome(parsed, 'TestX')?.outcome).toBe('failed');
  });

  it.each([
    ['malformed XML', '<testsuites><testsuite><testcase name="A"></testsuite></testsuites>', /^malformed XML: .*testcase.* \(line 1\)$/],
    [
      'a root of another kind',
      '<results><testcase name="A"/></results>',
      /^the root element is <results>, not <testsuites> or <testsuite>$/,
    ],
    ['no element at all', '<?xml version="1.0"?>', /^(not JUnit XML \(no <testsuites> or <testsuite> element\)|malformed XML: .*)$/],
    ['no testcase', '<testsuites><testsuite name="empty"/></testsuites>', /^no <testcase> in it$/],
    ['plain text', 'PASS\nok  example.com/x 0.1s', /^malformed XML: /],
  ])('refuses %s in one line', (_, xml, message) => {
    let thrown: unknown;
    try {
      parseJunit(xml);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ArtifactError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });
});
