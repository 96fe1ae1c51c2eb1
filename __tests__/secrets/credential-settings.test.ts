// Which named settings (exec plugin environment, auth-provider keys) hold credentials. A value is
// remembered, and so redacted everywhere, only when the name says it is secret and the value is
// not a reference to one (a path, a plain URL, a JSONPath, a flag): a GOOGLE_APPLICATION_CREDENTIALS
// path must stay readable in "file not found" errors, while a real key must never show.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCredentialReference, isCredentialSetting, looksSecretName, redactSecrets, rememberSecrets } from '../../src/secrets.js';

describe('looksSecretName', () => {
  it.each([
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'VAULT_TOKEN',
    'client-secret',
    'accessToken',
    'ARM_CLIENTSECRET',
    'DB_PASSWORD',
    'API_KEY',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'id-token',
    'refresh-token',
  ])('%s names a credential', (name) => expect(looksSecretName(name)).toBe(true));

  it.each([
    'AWS_PROFILE',
    'AWS_REGION',
    'MONKEY_BUSINESS',
    'AUTHOR',
    'KEYBOARD_LAYOUT',
    'idp-certificate-authority',
    'AWS_ROLE_SESSION_NAME',
    'client-id',
  ])('%s does not', (name) => expect(looksSecretName(name)).toBe(false));
});

describe('isCredentialSetting', () => {
  it('keeps paths, plain URLs, JSONPaths and flags out, under whatever name', () => {
    expect(isCredentialSetting('GOOGLE_APPLICATION_CREDENTIALS', '/var/run/gcp/service-account.json')).toBe(false);
    expect(isCredentialSetting('AWS_WEB_IDENTITY_TOKEN_FILE', '/var/run/secrets/eks.amazonaws.com/serviceaccount/token')).toBe(false);
    expect(isCredentialSetting('AWS_SHARED_CREDENTIALS_FILE', '~/.aws/credentials')).toBe(false);
    expect(isCredentialSetting('GOOGLE_APPLICATION_CREDENTIALS', 'C:\\Users\\ci\\gcp\\key.json')).toBe(false);
    expect(isCredentialSetting('token-key', '{.credential.access_token}')).toBe(false);
    expect(isCredentialSetting('AUTH_URL', 'https://login.example.com/realms/prod')).toBe(false);
    expect(isCredentialSetting('USE_GKE_GCLOUD_AUTH_PLUGIN', 'True')).toBe(false);
  });

  it('treats an existing file as a path even when its name is random (what auth actions write)', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'aic-creds-')), 'gha-creds-3f1e2a9b8c7d6e5f.json');
    writeFileSync(file, '{}');
    expect(isCredentialReference(file)).toBe(true);
    expect(isCredentialSetting('GOOGLE_APPLICATION_CREDENTIALS', file)).toBe(false);
  });

  it('still takes real secrets, including ones with slashes, a leading slash or a URL shape', () => {
    expect(isCredentialSetting('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(true);
    expect(isCredentialSetting('API_KEY', '/9j/4AAQSkZJRgABAQEASABIAAD')).toBe(true);
    expect(isCredentialSetting('API_KEY', '/abc/def+ghi=')).toBe(true);
    expect(isCredentialSetting('WEBHOOK_SECRET', 'https://hooks.example.com/services/T024BE7LD/B07A3LMNJ/abcDEF123ghiJKL456mnoPQR')).toBe(
      true,
    );
    expect(isCredentialSetting('GOOGLE_CREDENTIALS', '{"type":"service_account","private_key_id":"k1"}')).toBe(true);
    expect(isCredentialSetting('VAULT_TOKEN', 'hvs.CAESIJ5kR2vQ')).toBe(true);
  });

  it('redacts a remembered real secret and leaves a credentials path readable', () => {
    const secret = 'aws-secret-Zx8cV6bN4m';
    const keyPath = '/var/run/gcp/service-account.json';
    for (const [name, value] of [
      ['AWS_SECRET_ACCESS_KEY', secret],
      ['GOOGLE_APPLICATION_CREDENTIALS', keyPath],
    ] as const)
      if (isCredentialSetting(name, value)) rememberSecrets(value);
    expect(redactSecrets(`plugin failed: open ${keyPath}: no such file; key ${secret}`)).toBe(
      `plugin failed: open ${keyPath}: no such file; key [redacted]`,
    );
  });
});
