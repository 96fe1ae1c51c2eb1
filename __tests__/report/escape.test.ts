import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeLogLine, escapeMarkdown, escapeXmlAttribute, escapeXmlText, truncateText } from '../../src/report/escape.js';
import { redactSecrets } from '../../src/secrets.js';
import { HOSTILE } from './samples.js';

// What must never survive escaping for Markdown, whatever the input.
function assertInertMarkdown(out: string): void {
  expect(out).not.toMatch(/[\r\n\t]/);
  expect(out).not.toMatch(/[<>]/); // no tag, no comment opener
  expect(out).not.toMatch(/(^|[^\\])`/); // every backtick escaped
  expect(out).not.toMatch(/(^|[^\\])\|/); // every pipe escaped
  expect(out).not.toMatch(/(^|[^\\])\[/); // no link syntax
  expect(out).not.toMatch(/@[A-Za-z0-9]/); // no mention
  expect(out).not.toMatch(/&(?!amp;|lt;|gt;)/); // every & is an entity we wrote
  // eslint-disable-next-line no-control-regex -- the test looks for control characters
  expect(out).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/);
}

describe('escapeMarkdown', () => {
  it.each(HOSTILE)('leaves nothing active in %j', (input) => {
    assertInertMarkdown(escapeMarkdown(input));
  });

  it('escapes each construct the way GitHub renders it back as text', () => {
    expect(escapeMarkdown('a | b')).toBe('a \\| b');
    expect(escapeMarkdown('`x`')).toBe('\\`x\\`');
    expect(escapeMarkdown('<!-- x -->')).toBe('&lt;\\!-- x --&gt;');
    expect(escapeMarkdown('<b>&</b>')).toBe('&lt;b&gt;&amp;&lt;/b&gt;');
    expect(escapeMarkdown('hi @octocat')).toBe('hi @\u200Boctocat');
    expect(escapeMarkdown('[a](b)')).toBe('\\[a\\](b)');
    expect(escapeMarkdown('one\ntwo')).toBe('one two');
    expect(escapeMarkdown('back\\slash')).toBe('back\\\\slash');
  });

  it('keeps ordinary text and emails readable', () => {
    expect(escapeMarkdown('2 of 4 pods Running (gpu.example.com)')).toBe('2 of 4 pods Running (gpu.example.com)');
    expect(escapeMarkdown('emoji 🚀 kept')).toBe('emoji 🚀 kept');
    expect(escapeMarkdown('mail ops@example.com')).toBe('mail ops@\u200Bexample.com');
  });

  it('shows bidi overrides and zero-width characters, so text cannot be hidden or reversed', () => {
    expect(escapeMarkdown('ok \u202Edeliaf\u202C')).toBe('ok \\\\u{202e}deliaf\\\\u{202c}');
    expect(escapeMarkdown('a\u2066b\u2069')).toBe('a\\\\u{2066}b\\\\u{2069}');
    expect(escapeMarkdown('pass\u200Bed\u200D\u200F\uFEFF')).toBe('pass\\\\u{200b}ed\\\\u{200d}\\\\u{200f}\\\\u{feff}');
    expect(escapeHtml('x\u202Ey')).toBe('x\\u{202e}y');
    expect(escapeXmlText('x\u200By')).toBe('x\\u{200b}y');
    expect(escapeLogLine('x\u2067y')).toBe('x\\u{2067}y');
    for (const c of ['\u202A', '\u202B', '\u202D', '\u2068', '\u200C', '\u200E']) expect(escapeMarkdown(`a${c}b`)).not.toContain(c);
  });

  it('still defuses mentions with its own zero-width space, while a zero-width space in the input shows', () => {
    expect(escapeMarkdown('@octocat')).toBe('@\u200Boctocat');
    expect(escapeHtml('@octocat')).toBe('@\u200Boctocat');
    // An input that tries to pre-place the ZWSP gets it shown, and the mention is still defused.
    expect(escapeMarkdown('\u200B@octocat')).toBe('\\\\u{200b}@\u200Boctocat');
    expect(escapeMarkdown('@\u200Boctocat')).toBe('@\\\\u{200b}octocat');
  });

  it('shows control characters instead of passing them through', () => {
    expect(escapeMarkdown('a\u001bb')).toBe('a\\\\u{1b}b');
    expect(escapeMarkdown('x\ud800y')).toBe('x\\\\u{d800}y');
  });
});

describe('escapeHtml', () => {
  it.each(HOSTILE)('leaves no tag, comment or mention in %j', (input) => {
    const out = escapeHtml(input);
    expect(out).not.toMatch(/[<>"'\n\r]/);
    expect(out).not.toMatch(/@[A-Za-z0-9]/);
  });
});

describe('XML escaping', () => {
  it.each(HOSTILE)('attribute values of %j hold only characters XML 1.0 allows', (input) => {
    const out = escapeXmlAttribute(input);
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(out).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF<>"\n]/);
    expect(out).not.toMatch(/&(?!amp;|#\d+;)/);
  });

  it('keeps line breaks in element text and escapes markup', () => {
    expect(escapeXmlText('a\n<b> & ]]>')).toBe('a\n&#60;b&#62; &#38; ]]&#62;');
    expect(escapeXmlAttribute('a\n"b"')).toBe('a&#10;&#34;b&#34;');
  });
});

describe('redactSecrets', () => {
  it('removes bearer tokens, JWTs, kubeconfig data and URL credentials', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    const text = [
      'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789',
      `sa token ${jwt}`,
      'client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==',
      'token=s3cr3tvalue1234',
      'https://admin:hunter2@prometheus.example:9090/api',
    ].join('\n');
    const out = redactSecrets(text);
    for (const secret of [
      'abcdefghijklmnopqrstuvwxyz0123456789',
      jwt,
      'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==',
      's3cr3tvalue1234',
      'hunter2',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('https://[redacted]@prometheus.example:9090/api');
  });

  it('removes PEM private keys of every kind, across lines', () => {
    for (const kind of ['RSA ', 'EC ', 'ENCRYPTED ', '']) {
      const pem = `-----BEGIN ${kind}PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END ${kind}PRIVATE KEY-----`;
      const out = redactSecrets(`key follows:\n${pem}\nand a certificate -----BEGIN CERTIFICATE-----`);
      expect(out).toBe('key follows:\n[redacted-private-key]\nand a certificate -----BEGIN CERTIFICATE-----');
    }
  });

  it('leaves ordinary observations alone', () => {
    const text = 'created pod dra-probe-0 in namespace ai-conformance-r1; token bucket refilled';
    expect(redactSecrets(text)).toBe(text);
  });

  it('applies to every output flavour', () => {
    const leak = 'Bearer abcdefghijklmnopqrstuvwxyz0123456789';
    for (const escape of [escapeMarkdown, escapeHtml, escapeXmlAttribute, escapeXmlText, escapeLogLine]) {
      expect(escape(leak)).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    }
  });
});

describe('truncateText', () => {
  it('keeps short text and never splits a surrogate pair', () => {
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('abcdef', 4)).toBe('abc…');
    const out = truncateText('ab🚀cd', 4);
    expect(out).toBe('ab…');
    expect(out.length).toBeLessThanOrEqual(4);
  });
});
