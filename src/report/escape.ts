// Escaping for every string that comes from the cluster (reasons, observations, object names)
// before it reaches Markdown, HTML or XML. Cluster content is untrusted: a pod log line must not
// be able to break a table, open an HTML comment, ping a GitHub user or leak a token.

import { redactSecrets } from '../secrets.js';

// C0 controls except tab/newline/carriage return, DEL, C1 controls, lone surrogates and the
// two XML non-characters: none may appear in XML 1.0, and in Markdown they only confuse.
// Also the invisible ones: zero-width characters and marks (U+200B-U+200F, U+FEFF) and bidi
// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), with which cluster text
// could hide words or show a line reversed ("Trojan Source").
const FORBIDDEN_CHARS =
  // eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Shows control and invisible characters as visible `\u{1b}` text instead of passing them on. */
export function replaceControlChars(text: string): string {
  return text.replace(FORBIDDEN_CHARS, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** Cleans an untrusted string: credentials redacted, control characters made visible. */
export function sanitize(text: string): string {
  return replaceControlChars(redactSecrets(text));
}

// A zero-width space after "@" stops GitHub from turning "@someone" into a mention (and a
// notification) while the text still reads the same. It is inserted after sanitize(), which
// would otherwise make it visible like any other zero-width character.
const MENTION = /@(?=[A-Za-z0-9_-])/g;
const ZWSP = '\u200B';

const MARKDOWN_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\\': '\\\\',
  '`': '\\`',
  '|': '\\|',
  '*': '\\*',
  _: '\\_',
  '[': '\\[',
  ']': '\\]',
  '~': '\\~',
  '#': '\\#',
  '!': '\\!',
};

/**
 * Makes an untrusted string safe as inline Markdown text (a table cell, a list item, a heading):
 * one line, no HTML, no code spans, no links or emphasis, no table breaks, no @mentions,
 * no `<!--` that could hide the rest of the document or fake the sticky-comment marker.
 */
export function escapeMarkdown(text: string): string {
  const oneLine = sanitize(text).replace(/\r\n|\r|\n|\t/g, ' ');
  return oneLine.replace(/[&<>\\`|*_[\]~#!]/g, (c) => MARKDOWN_ESCAPES[c] ?? c).replace(MENTION, `@${ZWSP}`);
}

/** For text inside raw HTML blocks (<summary>, <details>), where Markdown escapes would show. */
export function escapeHtml(text: string): string {
  return sanitize(text)
    .replace(/\r\n|\r|\n|\t/g, ' ')
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(MENTION, `@${ZWSP}`);
}

/** XML attribute values (JUnit). Newlines and tabs survive as character references. */
export function escapeXmlAttribute(text: string): string {
  return sanitize(text).replace(/[&<>"'\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** XML element text (JUnit <system-out>, failure bodies): line breaks kept as they are. */
export function escapeXmlText(text: string): string {
  return sanitize(text).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text for a plain log file: credentials redacted, control characters visible, kept on one line. */
export function escapeLogLine(text: string): string {
  return sanitize(text).replace(/\r\n|\r|\n/g, ' ⏎ ');
}

/** Shortens to at most `max` characters (UTF-16 units), never splitting a surrogate pair. */
export function truncateText(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ellipsis.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${ellipsis}`;
}
