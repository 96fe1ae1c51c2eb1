// GitHub's size limits, and truncation that keeps a note saying where the rest is.

// The limits themselves are the report writers' (they size the Markdown they render).
export { COMMENT_MAX_CHARS, SUMMARY_MAX_BYTES } from '../report/markdown.js';

/** Cuts text to at most maxBytes of UTF-8, ending with the note; never splits a character. */
export function truncateBytes(text: string, maxBytes: number, note: string): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - Buffer.byteLength(note, 'utf8');
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > budget) break;
    bytes += size;
    end += ch.length;
  }
  return cutAtLine(text.slice(0, end)) + note;
}

/** Cuts text to at most maxChars UTF-16 units (at least as strict as GitHub's character count). */
export function truncateChars(text: string, maxChars: number, note: string): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - note.length;
  // Do not leave half of a surrogate pair.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return cutAtLine(text.slice(0, end)) + note;
}

/** Ends at the last full line so a table row or tag is not left half written. */
function cutAtLine(text: string): string {
  const newline = text.lastIndexOf('\n');
  return newline > text.length / 2 ? text.slice(0, newline + 1) : text;
}
