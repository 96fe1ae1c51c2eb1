// Credentials must never reach a log line, report, summary or comment. Cluster text (API errors,
// pod logs, reasons) passes through here on its way out.

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

/** Names of settings (environment variables, auth-provider keys) whose values are credentials. */
const SECRET_NAME = /token|secret|passw|passphrase|(^|_)pass($|_)|key|credential|auth|private|session/i;

export function looksSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
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
