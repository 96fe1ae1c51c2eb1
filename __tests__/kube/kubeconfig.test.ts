// Kubeconfigs as kubectl reads them, each variant against the fake API server (which accepts
// only its own bearer token): merged KUBECONFIG files, tokenFile / token-file with whitespace,
// exec credential plugins (and their failures, redacted), CA files, insecure-skip-tls-verify
// and proxy-url.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { ClusterUnreachableError, exitCodeOf } from '../../src/errors.js';
import { serverVersion } from '../../src/kube/connect.js';
import { defaultKubeconfigSource, loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { redactSecrets } from '../../src/secrets.js';

let tls: FakeCluster;
let plain: FakeCluster;
const work = mkdtempSync(path.join(tmpdir(), 'aic-kubeconfig-'));

interface Doc {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
  'current-context': string;
}

const docOf = (cluster: FakeCluster) => parse(readFileSync(cluster.kubeconfigPath, 'utf8')) as Doc;
const tokenOf = (cluster: FakeCluster) => String(docOf(cluster).users[0].user.token);

function write(name: string, doc: unknown): string {
  const file = path.join(work, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof doc === 'string' ? doc : stringify(doc));
  return file;
}

/** The fake's kubeconfig with its user replaced. */
function withUser(cluster: FakeCluster, user: Record<string, unknown>): Doc {
  const doc = docOf(cluster);
  doc.users[0].user = user;
  return doc;
}

const versionThrough = (file: string, context?: string) =>
  serverVersion(loadKubeconfig({ kind: 'files', files: [file], from: 'flag' }, context).config);

beforeAll(async () => {
  tls = await startFakeCluster({ scenario: { name: 'tls', kubernetesVersion: '1.35' }, tls: true });
  plain = await startFakeCluster({ scenario: { name: 'plain', kubernetesVersion: '1.34' }, tls: false });
});
afterAll(async () => {
  await tls.stop();
  await plain.stop();
});

describe('kubeconfig loading', () => {
  it('merges the KUBECONFIG files as kubectl does: first definition and first current-context win, missing files skipped', async () => {
    const first = docOf(plain);
    const second = docOf(tls);
    // Both fakes call their user fake-admin; under one name the first file's would win, so give the second its own.
    second.users[0].name = 'tls-admin';
    second.contexts[0].context.user = 'tls-admin';
    // The second file also defines the first one's cluster name, pointing elsewhere: the first wins.
    second.clusters.push({
      name: first.clusters[0].name,
      cluster: { server: 'https://wrong.example:1', 'insecure-skip-tls-verify': true },
    });
    const a = write('merge/a.yaml', first);
    const b = write('merge/b.yaml', second);
    const files = [a, path.join(work, 'merge/missing.yaml'), b];
    const source = defaultKubeconfigSource({ KUBECONFIG: files.join(path.delimiter) }, work);
    expect(source).toEqual({ kind: 'files', files, from: 'KUBECONFIG' });
    const merged = loadKubeconfig(source);
    expect(merged.context).toBe(first['current-context']);
    expect(merged.config.getCurrentCluster()?.server).toBe(plain.url);
    expect(await serverVersion(merged.config)).toMatchObject({ gitVersion: 'v1.34.0' });
    // The second file's context is there too, with its own cluster and user.
    const other = loadKubeconfig(source, second['current-context']);
    expect(await serverVersion(other.config)).toMatchObject({ gitVersion: 'v1.35.0' });
    expect(() => loadKubeconfig({ kind: 'files', files: [path.join(work, 'x'), path.join(work, 'y')], from: 'KUBECONFIG' })).toThrow(
      /^none of the kubeconfig files in KUBECONFIG exist/,
    );
  });

  it('reads tokenFile and token-file with surrounding whitespace trimmed, relative to the kubeconfig', async () => {
    write('tokens/token', `\n  ${tokenOf(plain)}\n\n`);
    const camel = write('tokens/camel.yaml', withUser(plain, { tokenFile: 'token' }));
    const dashed = write('tokens/dashed.yaml', withUser(plain, { 'token-file': 'token' }));
    expect(await versionThrough(camel)).toMatchObject({ gitVersion: 'v1.34.0' });
    expect(await versionThrough(dashed)).toMatchObject({ gitVersion: 'v1.34.0' });
  });

  it('uses an exec credential plugin, with its args and env', async () => {
    const plugin = write(
      'exec/plugin.mjs',
      `if (process.argv[2] !== '--cluster=fake' || process.env.PLUGIN_MODE !== 'ok') process.exit(9);
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
console.log(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: ${JSON.stringify(tokenOf(plain))} } }));\n`,
    );
    const file = write(
      'exec/ok.yaml',
      withUser(plain, {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: [plugin, '--cluster=fake'],
          env: [{ name: 'PLUGIN_MODE', value: 'ok' }],
          interactiveMode: 'Never',
        },
      }),
    );
    expect(await versionThrough(file)).toMatchObject({ gitVersion: 'v1.34.0' });
  });

  it("shows a failing plugin's stderr only with every credential redacted, in one line, exit 3", async () => {
    const envSecret = 'cloud-key-Zq8vW2pL5nR7';
    const printed = 'plugin-minted-T0k3nValue';
    const otherUsers = 'another-users-token-9f8e7d6c';
    const plugin = write(
      'exec/fail.mjs',
      `console.log(JSON.stringify({ status: { token: ${JSON.stringify(printed)} } }));
console.error('refresh failed for key ' + process.env.CLOUD_KEY + '\\nwhile holding ' + ${JSON.stringify(printed)} + ' and ' + ${JSON.stringify(otherUsers)});
process.exit(1);\n`,
    );
    const doc = withUser(plain, {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: process.execPath,
        args: [plugin],
        env: [{ name: 'CLOUD_KEY', value: envSecret }],
      },
    });
    // A second user in the same file, not the one in use: its token is a kubeconfig credential too.
    doc.users.push({ name: 'other', user: { token: otherUsers } });
    const error = await versionThrough(write('exec/fail.yaml', doc)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect(exitCodeOf(error)).toBe(3);
    const message = redactSecrets((error as Error).message);
    expect(message).toMatch(
      /exec credential plugin '.*' \(kubeconfig user 'fake-admin'\) failed with exit code 1: refresh failed for key \[redacted\] while holding \[redacted\]/,
    );
    expect(message).not.toContain('\n');
    expect(message).toMatch(/while holding \[redacted\] and \[redacted\]$/);
    for (const secret of [envSecret, printed, otherUsers]) expect(message).not.toContain(secret);
  });

  it('remembers only real credentials: env values with secret-looking names, the status token and key, not the certificate or plain words', async () => {
    const minted = 'minted-Hk4wQ9zT2vB7';
    const keyData = 'status-key-Rt5yU8iO1pA3';
    const certData = 'status-cert-public-Lm2nB4vC6xZ8';
    const plugin = write(
      'exec/cred.mjs',
      `console.log(JSON.stringify({ status: { token: ${JSON.stringify(minted)}, clientKeyData: ${JSON.stringify(keyData)}, clientCertificateData: ${JSON.stringify(certData)}, expirationTimestamp: '2099-01-01T00:00:00Z' } }));
process.exit(1);\n`,
    );
    // What `aws eks update-kubeconfig --profile default --region eu-west-1` writes beside the command.
    const env = [
      { name: 'AWS_PROFILE', value: 'default' },
      { name: 'AWS_REGION', value: 'eu-west-1' },
      { name: 'AWS_SECRET_ACCESS_KEY', value: 'aws-secret-Wq3eR5tY7u' },
      { name: 'VAULT_TOKEN', value: 'vault-Pq8wE6rT4y' },
      // A path to a credential, not one: errors naming it must stay readable.
      { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/run/gcp/service-account.json' },
    ];
    const file = write(
      'exec/cred.yaml',
      withUser(plain, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], env } }),
    );
    await expect(versionThrough(file)).rejects.toThrow(ClusterUnreachableError);
    const evidence = `profile default in eu-west-1 with certificate ${certData}, expires 2099-01-01T00:00:00Z, key file /var/run/gcp/service-account.json`;
    expect(redactSecrets(evidence)).toBe(evidence);
    for (const secret of [minted, keyData, 'aws-secret-Wq3eR5tY7u', 'vault-Pq8wE6rT4y'])
      expect(redactSecrets(`saw ${secret} here`)).toBe('saw [redacted] here');
  });

  it("redacts the token-shaped words of a plugin's non-JSON output, not its every line", async () => {
    const tokenish = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u';
    const plugin = write(
      'exec/text.mjs',
      `console.log('Refreshing credentials for cluster production-eu');\nconsole.log(${JSON.stringify(tokenish)});\nprocess.exit(1);\n`,
    );
    const file = write(
      'exec/text.yaml',
      withUser(plain, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin] } }),
    );
    await expect(versionThrough(file)).rejects.toThrow(ClusterUnreachableError);
    expect(redactSecrets('Refreshing credentials for cluster production-eu')).toBe('Refreshing credentials for cluster production-eu');
    expect(redactSecrets(`got ${tokenish}`)).toBe('got [redacted]');
  });

  it('remembers the contents of client-key files when loading', () => {
    const body = 'QmFzZTY0S2V5TWF0ZXJpYWxMaW5lT25lMTIzNDU2Nzg5MA';
    write('keys/client.key', `-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\n`);
    write('keys/client.crt', 'certificate');
    loadKubeconfig({
      kind: 'files',
      files: [write('keys/kubeconfig.yaml', withUser(plain, { 'client-certificate': 'client.crt', 'client-key': 'client.key' }))],
      from: 'flag',
    });
    expect(redactSecrets(`a pod printed ${body} alone`)).toBe('a pod printed [redacted] alone');
  });

  it('a plugin that is not installed says so', async () => {
    const file = write(
      'exec/missing.yaml',
      withUser(plain, { exec: { command: 'ai-conformance-no-such-plugin', apiVersion: 'client.authentication.k8s.io/v1' } }),
    );
    await expect(versionThrough(file)).rejects.toThrow(/exec credential plugin 'ai-conformance-no-such-plugin' .* was not found/);
  });

  it('trusts a certificate-authority file relative to the kubeconfig, and insecure-skip-tls-verify', async () => {
    const doc = docOf(tls);
    const ca = Buffer.from(String(doc.clusters[0].cluster['certificate-authority-data']), 'base64').toString();
    write('tls/certs/ca.crt', ca);
    doc.clusters[0].cluster = { server: tls.url, 'certificate-authority': 'certs/ca.crt' };
    expect(await versionThrough(write('tls/ca-file.yaml', doc))).toMatchObject({ gitVersion: 'v1.35.0' });
    doc.clusters[0].cluster = { server: tls.url };
    await expect(versionThrough(write('tls/untrusted.yaml', doc))).rejects.toThrow(ClusterUnreachableError);
    doc.clusters[0].cluster = { server: tls.url, 'insecure-skip-tls-verify': true };
    expect(await versionThrough(write('tls/insecure.yaml', doc))).toMatchObject({ gitVersion: 'v1.35.0' });
    doc.clusters[0].cluster = { server: tls.url, 'insecure-skip-tls-verify': true, 'certificate-authority': 'certs/ca.crt' };
    expect(() => loadKubeconfig({ kind: 'files', files: [write('tls/both.yaml', doc)], from: 'flag' })).toThrow(
      /insecure-skip-tls-verify and a certificate authority/,
    );
  });

  it('goes through proxy-url', async () => {
    const tunnels: string[] = [];
    const sockets: { destroy(): void }[] = [];
    const proxy: Server = createServer();
    proxy.on('connect', (request, socket, head) => {
      tunnels.push(request.url ?? '');
      sockets.push(socket);
      const [host, port] = (request.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const doc = docOf(tls);
      const address = proxy.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      doc.clusters[0].cluster['proxy-url'] = `http://127.0.0.1:${port}`;
      expect(await versionThrough(write('proxy/kubeconfig.yaml', doc))).toMatchObject({ gitVersion: 'v1.35.0' });
      expect(tunnels).toEqual([new URL(tls.url).host]);
    } finally {
      // Tunnels stay open for keep-alive; close would wait for them.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
