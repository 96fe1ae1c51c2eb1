// What GitHub accepts, in one place: the size of a job summary and of a comment, the truncation
// notes that say where the rest is, and the hidden marker that finds the sticky comment again.
// The Markdown writers size what they render by these; the GitHub layer enforces them on upload.

/** GitHub's limit for one step's job summary. */
export const SUMMARY_MAX_BYTES = 1024 * 1024;
/** GitHub's limit for an issue or PR comment body. */
export const COMMENT_MAX_CHARS = 65_536;

export const SUMMARY_TRUNCATED_NOTE = "\n\n> The summary was cut to fit GitHub's 1 MiB limit; the full report is in the run's artifact.\n";
export const COMMENT_TRUNCATED_NOTE =
  "\n\n> The comment was cut to fit GitHub's 65,536-character limit; the full report is in the job summary and the run's artifact.\n";

/** The hidden line the GitHub layer searches for to update the sticky comment in place. */
export const STICKY_MARKER = '<!-- ai-conformance:sticky -->';

/** Any marker stickyMarker can produce, alone on a line. */
export const STICKY_MARKER_LINE = /^<!-- ai-conformance:sticky(?::[A-Za-z0-9._/-]{1,100})? -->$/;

/**
 * The marker for one SARIF category: matrix jobs give each job its own category, and each must
 * keep its own comment rather than overwrite the others'. Without a category: STICKY_MARKER.
 * Only [A-Za-z0-9._/-] survive, so the marker can never close the HTML comment early.
 */
export function stickyMarker(category?: string): string {
  const safe = (category ?? '')
    .trim()
    .replace(/[^A-Za-z0-9._/-]+/g, '_')
    .slice(0, 100);
  return safe === '' ? STICKY_MARKER : `<!-- ai-conformance:sticky:${safe} -->`;
}

/**
 * The marker to post under: from the category when one is given, else the one `run` already
 * wrote on comment.md's first line (it knew the category), else the default.
 */
export function markerFor(sarifCategory: string | undefined, commentText: string | undefined): string {
  if (sarifCategory?.trim()) return stickyMarker(sarifCategory);
  const first = commentText?.split('\n', 1)[0]?.trimEnd() ?? '';
  return STICKY_MARKER_LINE.test(first) ? first : stickyMarker();
}

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
