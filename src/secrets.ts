// Credentials must never reach a log line, report, summary or comment. Cluster text (API errors,
// pod logs, reasons) passes through here on its way out.

// Secrets we may see in API errors or pod logs: bearer tokens, JWTs (service-account tokens),
// kubeconfig key/cert/token fields, basic-auth credentials in URLs.
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  [
    /\b(client-key-data|client-certificate-data|certificate-authority-data|token|password|client-secret)(["']?\s*[:=]\s*["']?)[^\s"',;}]{4,}/gi,
    '$1$2[redacted]',
  ],
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[redacted]@'],
];

/** Replaces anything that looks like a credential with a "[redacted]" marker. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A copy of a JSON-shaped value with every string passed through redactSecrets. */
export function redactDeep<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === 'string' ? redactSecrets(v) : v)) as T;
}
