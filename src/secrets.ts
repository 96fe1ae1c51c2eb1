// Credentials must never reach a log line, report, summary or comment. Cluster text (API errors,
// pod logs, reasons) passes through here on its way out.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

// Secrets we may see in API errors or pod logs: bearer tokens, JWTs (service-account tokens),
// kubeconfig key/cert/token fields, PEM private keys, basic-auth credentials in URLs.
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '[redacted-private-key]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  [
    /\b(client-key-data|client-certificate-data|certificate-authority-data|token|password|client-secret)(["']?\s*[:=]\s*["']?)[^\s"',;}]{4,}/gi,
    '$1$2[redacted]',
  ],
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[redacted]@'],
];

/**
 * Credential values this process has seen (from the kubeconfig, token files, exec plugins).
 * They are redacted wherever they appear, whatever their shape: a password or an opaque token
 * does not look like one. Shorter values are not kept, or every such word would vanish.
 */
const knownSecrets = new Set<string>();
const MIN_KNOWN_SECRET = 6;

/** Remembers credential values (and each long line of multi-line ones, e.g. PEM keys). */
export function rememberSecrets(...values: readonly (string | undefined | null)[]): void {
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const trimmed = value.trim();
    if (trimmed.length >= MIN_KNOWN_SECRET) knownSecrets.add(trimmed);
    if (trimmed.includes('\n')) {
      for (const line of trimmed.split('\n')) if (line.trim().length >= 16) knownSecrets.add(line.trim());
    }
  }
}

/**
 * Words that, in the name of a setting (an environment variable, an auth-provider key), say its
 * value is a credential. The name is split into words (`AWS_SECRET_ACCESS_KEY`, `client-secret`,
 * `accessToken`), so that a word merely containing a short one (MONKEY, AUTHOR, KEYBOARD) does
 * not count; the long ones also count at the end of a word (ACCESSTOKEN, CLIENTSECRET).
 */
const SECRET_WORDS = new Set(['key', 'pass', 'pwd', 'auth', 'private', 'cookie', 'creds']);
const SECRET_ENDINGS = ['token', 'secret', 'password', 'passwd', 'passphrase', 'apikey', 'credential', 'credentials'];

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

export function looksSecretName(name: string): boolean {
  return nameWords(name).some((word) => SECRET_WORDS.has(word) || SECRET_ENDINGS.some((ending) => word.endsWith(ending)));
}

/**
 * A value that points at a credential or configures how to get one, rather than being one: a
 * file path (GOOGLE_APPLICATION_CREDENTIALS=/var/run/gcp/key.json,
 * AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/…/token), a URL without a password in it, a
 * JSONPath (the gcp auth provider's token-key), a boolean or a number. Remembering such a value
 * would redact every mention of that path or URL, which is exactly what an error needs to name.
 * A path-like value is a path when the file exists, or when it has no base64-only characters and
 * no token-shaped segment (base64 such as `/9j/4AAQSkZJRg…` also starts with a slash).
 */
export function isCredentialReference(value: string): boolean {
  const trimmed = value.trim();
  if (/^(true|false|yes|no|\d+(\.\d+)?)$/i.test(trimmed)) return true;
  if (/^\{\.[\w.[\]-]*\}$/.test(trimmed)) return true;
  // A URL without userinfo whose parts are words, not tokens (a webhook URL can be the secret).
  if (/^[a-z][a-z0-9+.-]*:\/\/[^\s@]+$/i.test(trimmed)) return !tokenShaped(trimmed);
  if (!/^(~|\.{1,2})?\/|^[A-Za-z]:[\\/]/.test(trimmed) || /\s/.test(trimmed)) return false;
  return pathExists(trimmed) || (!/[+=]/.test(trimmed) && !tokenShaped(trimmed));
}

/** Whether any part of a path or URL looks like a token. */
function tokenShaped(reference: string): boolean {
  return tokenShapedWords(reference.split(/[\\/?&=#:]/).join(' ')).length > 0;
}

function pathExists(file: string): boolean {
  try {
    return existsSync(file.startsWith('~/') ? path.join(homedir(), file.slice(2)) : file);
  } catch {
    return false;
  }
}

/** Whether a named setting holds a credential: its name says so and its value is not a reference. */
export function isCredentialSetting(name: string, value: string): boolean {
  return looksSecretName(name) && !isCredentialReference(value);
}

/**
 * The words of free text that look like tokens (long, of base64/URL characters, letters and
 * digits mixed), for output that should hold a credential but is not structured.
 */
export function tokenShapedWords(text: string): string[] {
  return text
    .split(/\s+/)
    .filter((word) => word.length >= 20 && /^[A-Za-z0-9._~+/=-]+$/.test(word) && /[A-Za-z]/.test(word) && /[0-9]/.test(word));
}

/** Replaces anything that looks like a credential, and every remembered one, with a "[redacted]" marker. */
export function redactSecrets(text: string): string {
  let out = text;
  // Longest first, so a value that contains another is replaced whole.
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A copy of a JSON-shaped value with every string passed through redactSecrets. */
export function redactDeep<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === 'string' ? redactSecrets(v) : v)) as T;
}
