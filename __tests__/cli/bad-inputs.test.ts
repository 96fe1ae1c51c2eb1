// Every bad input gets one line on stderr, no stack trace, and exit 2 (3 for a cluster that
// cannot be reached or refuses us), found before anything connects: the fake cluster the
// commands point at must not have seen a single request for any exit-2 row.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { runCli } from '../../src/main.js';

let cluster: FakeCluster;
const work = mkdtempSync(path.join(tmpdir(), 'aic-bad-inputs-'));
const file = (name: string, text: string) => {
  const target = path.join(work, name);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
  return target;
};

let kubeconfig = '';
let stoppedKubeconfig = '';
let wrongToken = '';
let missingCa = '';
let missingTokenFile = '';
let builtinDir = '';

beforeAll(async () => {
  const stopped = await startFakeCluster({ scenario: { name: 'gone', kubernetesVersion: '1.35' }, tls: false });
  stoppedKubeconfig = file('stopped/kubeconfig', readFileSync(stopped.kubeconfigPath, 'utf8'));
  await stopped.stop();
  cluster = await startFakeCluster({ scenario: { name: 'bad-inputs', kubernetesVersion: '1.35' }, tls: false });
  const text = readFileSync(cluster.kubeconfigPath, 'utf8');
  kubeconfig = file('kubeconfig', text);
  const token = /token: (\S+)/.exec(text)![1];
  wrongToken = file('wrong-token/kubeconfig', text.replace(token, 'not-the-token-0123456789'));
  missingCa = file('missing-ca/kubeconfig', text.replace('insecure-skip-tls-verify: true', 'certificate-authority: ca/missing.crt'));
  missingTokenFile = file('missing-token-file/kubeconfig', text.replace(`token: ${token}`, 'tokenFile: ./no-such-token'));
  builtinDir = path.join(work, 'builtin-probe');
  file('builtin-probe/dra.mjs', "export default { id: 'dra_support', timeoutMs: 1000, async run() {} };\n");
});
afterAll(async () => {
  await cluster.stop();
});

/** runCli in-process, with stdout and stderr captured. */
async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await runCli([...args], { AI_CONFORMANCE_DEBUG: '' }), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A `run` otherwise fine: pointed at the fake, writing into a fresh directory, offline. */
const run =
  (...args: string[]) =>
  () => ['run', '--kubeconfig', kubeconfig, '--out', mkdtempSync(path.join(work, 'out-')), '--offline', ...args];
const plain =
  (...args: string[]) =>
  () =>
    args;

interface Row {
  name: string;
  argv: () => string[];
  message: RegExp;
  code?: 2 | 3;
}

const ROWS: Row[] = [
  { name: 'negative --parallel', argv: run('--parallel', '-1'), message: /^--parallel '-1' is not a whole number of at least 1$/ },
  { name: 'zero --parallel', argv: run('--parallel', '0'), message: /^--parallel '0' is not a whole number/ },
  { name: 'word --parallel', argv: run('--parallel', 'many'), message: /^--parallel 'many' is not a whole number/ },
  { name: 'negative --timeout', argv: run('--timeout', '-5m'), message: /^--timeout '-5m' is not a duration/ },
  { name: 'word --timeout', argv: run('--timeout', 'soon'), message: /^--timeout 'soon' is not a duration/ },
  { name: 'zero --timeout', argv: run('--timeout', '0s'), message: /^--timeout must be longer than zero$/ },
  { name: 'negative --qps', argv: run('--qps', '-3'), message: /^--qps '-3' is not a number above 0$/ },
  { name: 'fractional --burst', argv: run('--burst', '1.5'), message: /^--burst '1.5' is not a whole number/ },
  { name: 'unknown --level', argv: run('--level', 'sometimes'), message: /^--level must be must, should or all/ },
  { name: 'unknown --cluster', argv: run('--cluster', 'minikube'), message: /^unknown --cluster 'minikube'/ },
  {
    name: 'unsupported --kubernetes-version',
    argv: run('--kubernetes-version', '1.20'),
    message: /^unsupported Kubernetes version '1.20'/,
  },
  {
    name: 'DeviceClass with capitals',
    argv: run('--accelerator', 'deviceclass:GPU_Class'),
    message: /^--accelerator 'deviceclass:GPU_Class' is not .*lower-case/,
  },
  {
    name: 'extended resource without domain',
    argv: run('--accelerator', 'resource:gpu'),
    message: /an extended resource name has a domain/,
  },
  {
    name: 'reserved resource domain',
    argv: run('--accelerator', 'resource:kubernetes.io/gpu'),
    message: /kubernetes.io domain is reserved/,
  },
  { name: 'DeviceClass with a slash', argv: run('--accelerator', 'deviceclass:a/b'), message: /^--accelerator 'deviceclass:a\/b' is not / },
  {
    name: 'unknown --operator',
    argv: run('--operator', 'rayy'),
    message: /^--operator 'rayy' is not an operator robust_controller knows \(known: kuberay/,
  },
  {
    name: '--prometheus-url not a URL',
    argv: run('--prometheus-url', 'prometheus:9090'),
    message: /^--prometheus-url 'prometheus:9090' must be an http/,
  },
  {
    name: '--prometheus-url of another scheme',
    argv: run('--prometheus-url', 'ftp://prometheus'),
    message: /^--prometheus-url 'ftp:\/\/prometheus' must be an http/,
  },
  {
    name: '--accelerator-metrics-url without host',
    argv: run('--accelerator-metrics-url', 'http://'),
    message: /^--accelerator-metrics-url 'http:\/\/' is not a URL/,
  },
  {
    name: '--template of another scheme',
    argv: run('--template', 'ftp://example.com/t.yaml'),
    message: /^--template must be a file path or an https URL/,
  },
  { name: '--template URL offline', argv: run('--template', 'https://example.com/t.yaml'), message: /is a URL but --offline was given$/ },
  {
    name: '--template URL that cannot be fetched',
    argv: () => run('--template', 'https://127.0.0.1:1/AIConformance-1.35.yaml')().filter((a) => a !== '--offline'),
    message: /^cannot download template https:\/\/127\.0\.0\.1:1\/AIConformance-1\.35\.yaml: /,
  },
  {
    name: '--out under /proc',
    argv: run('--out', '/proc/ai-conformance/x'),
    message: /^--out \/proc\/ai-conformance\/x: cannot write reports there/,
  },
  {
    name: '--out that is a file',
    argv: () => run('--out', file('a-file', 'x'))(),
    message: /cannot write reports there \(not a directory\)$/,
  },
  { name: 'unknown --only id', argv: run('--only', 'dra_suport'), message: /^--only: unknown requirement id dra_suport/ },
  { name: 'unknown --skip id', argv: run('--skip', 'nope'), message: /^--skip: unknown requirement id nope/ },
  {
    name: 'unknown --probe-option key',
    argv: run('--probe-option', 'gang-scheduling.windw-ms=1'),
    message: /^--probe-option: no probe reads 'gang-scheduling.windw-ms'/,
  },
  { name: '--probe-option without value', argv: run('--probe-option', 'novalue'), message: /^--probe-option 'novalue' is not KEY=VALUE$/ },
  {
    name: '--image nobody uses',
    argv: run('--image', 'nosuch=busybox:1'),
    message: /^--image nosuch: no probe uses an image called 'nosuch'/,
  },
  { name: '--image without reference', argv: run('--image', 'busybox='), message: /^--image 'busybox=' is not NAME=IMAGE$/ },
  {
    name: 'two --metadata files',
    argv: () => run('--metadata', file('m1.yaml', 'a: b\n'), '--metadata', file('m2.yaml', 'a: b\n'))(),
    message: /^--metadata takes one file/,
  },
  {
    name: 'missing --product',
    argv: () => run('--product', path.join(work, 'missing.yaml'))(),
    message: /^product .*missing.yaml: no such file$/,
  },
  {
    name: 'missing --baseline',
    argv: () => run('--baseline', path.join(work, 'missing.json'))(),
    message: /^cannot read results file .*missing.json: no such file$/,
  },
  {
    name: 'missing --probe-dir',
    argv: run('--probe-dir', '/nonexistent/probes'),
    message: /^--probe-dir \/nonexistent\/probes: cannot read the directory$/,
  },
  {
    name: '--probe-dir replacing a built-in probe',
    argv: () => run('--probe-dir', builtinDir)(),
    message: /defines 'dra_support', a built-in probe; pass --replace-builtin dra_support/,
  },
  {
    name: '--replace-builtin without a module',
    argv: run('--replace-builtin', 'dra_support'),
    message: /^--replace-builtin dra_support: no --probe-dir module defines 'dra_support'$/,
  },
  {
    name: 'missing --kubeconfig',
    argv: () => ['run', '--kubeconfig', path.join(work, 'nope.yaml'), '--out', mkdtempSync(path.join(work, 'out-'))],
    message: /^kubeconfig file .*nope.yaml does not exist$/,
  },
  { name: 'unknown --context', argv: run('--context', 'nope'), message: /^context 'nope' is not in kubeconfig / },
  {
    name: 'missing certificate-authority file',
    argv: () => ['run', '--kubeconfig', missingCa, '--offline'],
    message: /^certificate-authority file of cluster '.*': .*ca\/missing.crt does not exist$/,
  },
  {
    name: 'missing tokenFile',
    argv: () => ['run', '--kubeconfig', missingTokenFile, '--offline'],
    message: /^tokenFile of user 'fake-admin': .*no-such-token does not exist$/,
  },
  { name: 'unknown flag', argv: run('--frobnicate'), message: /^Unknown option '--frobnicate'/ },
  { name: 'flag without its value', argv: plain('run', '--out'), message: /^Option '--out <value>' argument missing/ },
  { name: 'stray argument', argv: run('extra'), message: /^run takes no arguments, got 'extra'/ },
  {
    name: '--cluster kind without a version',
    argv: plain('run', '--cluster', 'kind'),
    message: /^--cluster kind needs --kubernetes-version/,
  },
  { name: '--addons outside kind', argv: run('--cluster', 'kubeconfig', '--addons'), message: /^--addons only applies to --cluster kind$/ },
  { name: 'list: unknown format', argv: plain('list', '--format', 'yaml'), message: /^--format must be text or json, not 'yaml'$/ },
  {
    name: 'list: unsupported version',
    argv: plain('list', '--kubernetes-version', '9.9'),
    message: /^unsupported Kubernetes version '9.9'/,
  },
  { name: 'report without a file', argv: plain('report', '--out', work), message: /^report takes exactly one results file, got 0/ },
  { name: 'validate without a file', argv: plain('validate'), message: /^validate takes exactly one FILE/ },
  {
    name: 'publish: bad --comment',
    argv: plain('publish', '--out', work, '--comment', 'maybe'),
    message: /^--comment must be on or off, not 'maybe'$/,
  },
  { name: 'kind up without a version', argv: plain('kind', 'up'), message: /^--kubernetes-version is required/ },
  { name: 'unknown kind subcommand', argv: plain('kind', 'sideways'), message: /^unknown command 'kind sideways'/ },
  { name: 'unknown command', argv: plain('frob'), message: /^unknown command 'frob'/ },
  {
    name: 'unreachable cluster',
    argv: () => ['run', '--kubeconfig', stoppedKubeconfig, '--out', mkdtempSync(path.join(work, 'out-')), '--offline'],
    message: /^cannot reach cluster http:\/\/127\.0\.0\.1:\d+: /,
    code: 3,
  },
  {
    name: 'rejected token',
    argv: () => ['run', '--kubeconfig', wrongToken, '--out', mkdtempSync(path.join(work, 'out-')), '--offline'],
    message: /rejected our credentials \(401 Unauthorized/,
    code: 3,
  },
];

describe('bad input: one line, no stack trace, exit 2 (3 for the cluster)', () => {
  it('has at least 30 cases', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(ROWS)('$name', async (row) => {
    const argv = row.argv();
    cluster.resetStats();
    const { code, stderr, stdout } = await cli(argv);
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^ai-conformance: /);
    expect(lines[0].slice('ai-conformance: '.length)).toMatch(row.message);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
    expect(code).toBe(row.code ?? 2);
    // Found before connecting: the cluster saw nothing.
    if ((row.code ?? 2) === 2) expect(cluster.stats().requests).toBe(0);
  });
});
