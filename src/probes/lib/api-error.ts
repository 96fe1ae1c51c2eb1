// Reads the HTTP status and message out of whatever the kube layer threw, so a probe can tell a
// webhook denial from an RBAC refusal or a server fault without knowing the client's error class.

export interface ApiErrorInfo {
  code?: number;
  message: string;
}

function numberField(value: unknown, key: string): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'number' ? field : undefined;
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : body;
    }
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const message = (parsed as Record<string, unknown>).message;
    if (typeof message === 'string') return message;
  }
  return undefined;
}

export function apiErrorOf(error: unknown): ApiErrorInfo {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const record = error as Record<string, unknown>;
  const code = numberField(record, 'code') ?? numberField(record, 'statusCode') ?? numberField(record, 'status');
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an error object without a message: its own toString is all there is
  const message = statusMessage(record.body) ?? (typeof record.message === 'string' ? record.message : String(error));
  return { code, message };
}
