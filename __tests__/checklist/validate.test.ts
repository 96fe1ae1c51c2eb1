import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateProduct, type Violation } from '../../src/checklist/validate.js';

const SUBMISSIONS = 'fixtures/checklists/submissions';
const work = mkdtempSync(path.join(tmpdir(), 'validate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Copies a real submission to <tmp>/<rel>, optionally edited, with the given evidence files beside it. */
function place(source: string, rel: string, edit?: (text: string) => string, files: string[] = []): string {
  const target = path.join(work, Math.random().toString(36).slice(2), rel);
  mkdirSync(path.dirname(target), { recursive: true });
  const original = readFileSync(source, 'utf8');
  const edited = edit ? edit(original) : original;
  if (edit && edited === original) throw new Error('the mutation did not change the file');
  writeFileSync(target, edited);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(path.dirname(target), f)), { recursive: true });
    writeFileSync(path.join(path.dirname(target), f), 'evidence\n');
  }
  return target;
}

const brief = (vs: ReadonlyArray<Pick<Violation, 'line' | 'subject'> & { rule: string }>): string[] =>
  vs.map((v) => `${v.line} ${v.subject} ${v.rule}`);
const offline = { offline: true } as const;

const DAOCLOUD_FILES = ['e2e.log', 'junit_01.xml'];
const KOPS_FILES = [
  'tests/TestAcceleratorsDRASupport/output.md',
  'tests/TestAcceleratorsDriverRuntimeManagement/output.md',
  'tests/TestNetworking_AIInference/output.md',
  'tests/TestSchedulingOrchestration_GangScheduling_ViaKueue/output.md',
  'tests/Test_SchedulingOrchestration_ClusterAutoscaling/output.md',
  'tests/Test_SchedulingOrchestration_PodAutoscaling/output.md',
  'tests/TestObservability_AcceleratorMetrics_ViaDCGM/output.md',
  'tests/TestObservability_AIServiceMetrics_ViaPrometheus/output.md',
  'tests/TestSecurity_SecureAcceleratorAccess/output.md',
  'tests/TestOperator_RobustController_ViaKuberay/output.md',
];

describe('real submissions, offline, at their original vX.Y/<product>/PRODUCT.yaml paths', () => {
  it('v1.33/talos fails to load: evidence given as the scalar "N/A" three times', async () => {
    const { violations } = await validateProduct(`${SUBMISSIONS}/v1.33/talos/PRODUCT.yaml`, offline);
    expect(brief(violations)).toEqual(['46 file load', '60 file load', '66 file load']);
    expect(violations[0]?.message).toContain('cluster_autoscaling].evidence must be a list, not a string ("N/A")');
  });

  it('v1.33/talos with list evidence: MUST items N/A (cluster_autoscaling only warned), missing contact and k8sConformanceUrl, local evidence missing', async () => {
    const file = place(`${SUBMISSIONS}/v1.33/talos/PRODUCT.yaml`, 'v1.33/talos/PRODUCT.yaml', (t) =>
      t.replaceAll('evidence: "N/A"', 'evidence: []'),
    );
    const { violations, warnings } = await validateProduct(file, offline);
    // Since September 2026 the one MUST that may be N/A is cluster_autoscaling, with a warning.
    expect(brief(warnings)).toEqual(['42 cluster_autoscaling must-not-applicable']);
    expect(brief(violations)).toEqual([
      '5 contactEmailAddress metadata-missing',
      '5 k8sConformanceUrl metadata-missing',
      '56 accelerator_metrics must-not-implemented',
      '62 ai_service_metrics must-not-implemented',
      '74 secure_accelerator_access evidence-file-missing',
    ]);
  });

  for (const name of ['eks', 'gke']) {
    it(`v1.34/${name}: the spec passes; contactEmailAddress and k8sConformanceUrl are missing`, async () => {
      const { violations, notes } = await validateProduct(`${SUBMISSIONS}/v1.34/${name}/PRODUCT.yaml`, offline);
      expect(brief(violations)).toEqual(['5 contactEmailAddress metadata-missing', '5 k8sConformanceUrl metadata-missing']);
      expect(notes.some((n) => n.includes('not checked against the CNCF members'))).toBe(true);
    });
  }

  it('v1.35/daocloud is valid with a go test -v e2e.log and junit_01.xml beside it; any other e2e.log fails it', async () => {
    const file = place(`${SUBMISSIONS}/v1.35/daocloud/PRODUCT.yaml`, 'v1.35/daocloud/PRODUCT.yaml', undefined, DAOCLOUD_FILES);
    // e2e.log is parsed as test output since September 2026: a log of another format fails.
    const stale = await validateProduct(file, offline);
    expect(new Set(stale.violations.map((v) => v.rule))).toEqual(new Set(['artifact-unreadable']));
    expect(stale.violations[0]?.message).toBe(
      'e2e.log cannot be parsed as test output: no `--- PASS/FAIL/SKIP:` lines in it (is it go test -v output?)',
    );
    // The mapped requirements' tests must be in it: the validator looks them up without a fragment.
    const passing = ['TestSecureAcceleratorAccess', 'TestGangScheduling', 'TestAcceleratorClusterAutoscaling']
      .map((t) => `=== RUN   ${t}\n--- PASS: ${t} (1.00s)\n`)
      .join('');
    writeFileSync(path.join(path.dirname(file), 'e2e.log'), `${passing}PASS\n`);
    expect((await validateProduct(file, offline)).violations).toEqual([]);
  });

  it('v1.35/daocloud as shipped in fixtures lacks its evidence files: 16 evidence-file-missing', async () => {
    const { violations } = await validateProduct(`${SUBMISSIONS}/v1.35/daocloud/PRODUCT.yaml`, offline);
    expect(violations).toHaveLength(16);
    expect(new Set(violations.map((v) => v.rule))).toEqual(new Set(['evidence-file-missing']));
    expect(brief(violations).slice(0, 2)).toEqual(['24 dra_support evidence-file-missing', '25 dra_support evidence-file-missing']);
  });

  it('v1.35/kops is valid (kubernetesVersion v1.35.3 ignored, SHOULD N/A with notes) with its tests/ evidence', async () => {
    const file = place(`${SUBMISSIONS}/v1.35/kops/PRODUCT.yaml`, 'v1.35/kops/PRODUCT.yaml', undefined, KOPS_FILES);
    const result = await validateProduct(file, offline);
    expect(result.violations).toEqual([]);
    expect(result.kubernetesVersion).toBe('1.35');
  });

  it('v1.36/Softbank is valid (SHOULD items Not Implemented or N/A with notes)', async () => {
    const result = await validateProduct(`${SUBMISSIONS}/v1.36/Softbank/PRODUCT.yaml`, offline);
    expect(result.violations).toEqual([]);
    expect(result.notes).toEqual([
      'offline: 80 URL(s) not checked for reachability',
      "offline: vendorName 'SoftBank' not checked against the CNCF members in the landscape",
    ]);
  });
});

describe('blank official templates, offline', () => {
  const placeholders = [
    'platformName',
    'platformVersion',
    'vendorName',
    'websiteUrl',
    'repoUrl',
    'documentationUrl',
    'productLogoUrl',
    'description',
    'contactEmailAddress',
  ];
  const must = (ids: Array<[number, string]>) =>
    ids.flatMap(([line, id]) => [`${line} ${id} status-invalid`, `${line} ${id} must-not-implemented`]);

  it('1.33: placeholders, no k8sConformanceUrl, every MUST blank; the blank SHOULD dra_support passes', async () => {
    const { violations } = await validateProduct('fixtures/checklists/templates/AIConformance-1.33.yaml', offline);
    expect(brief(violations)).toEqual([
      '5 k8sConformanceUrl metadata-missing',
      ...placeholders.map((f, i) => `${7 + i} ${f} metadata-placeholder`),
      ...must([
        [26, 'ai_inference'],
        [33, 'gang_scheduling'],
        [39, 'cluster_autoscaling'],
        [45, 'pod_autoscaling'],
        [52, 'accelerator_metrics'],
        [58, 'ai_service_metrics'],
        [65, 'secure_accelerator_access'],
        [72, 'robust_controller'],
      ]),
    ]);
  });

  it('1.34: dra_support is MUST, so it fails too', async () => {
    const { violations } = await validateProduct('fixtures/checklists/templates/AIConformance-1.34.yaml', offline);
    expect(brief(violations).filter((v) => v.includes('dra_support'))).toEqual(must([[19, 'dra_support']]));
    expect(violations).toHaveLength(28);
  });

  it('1.35: the k8sConformanceUrl placeholder is a placeholder, not a format error', async () => {
    const { violations } = await validateProduct('fixtures/checklists/templates/AIConformance-1.35.yaml', offline);
    expect(brief(violations).slice(0, 10)).toEqual(
      [...placeholders, 'k8sConformanceUrl'].map((f, i) => `${7 + i} ${f} metadata-placeholder`),
    );
    expect(violations).toHaveLength(28);
  });

  it('1.36: no dra_support; 8 MUST items blank', async () => {
    const { violations } = await validateProduct('fixtures/checklists/templates/AIConformance-1.36.yaml', offline);
    expect(violations.some((v) => v.subject === 'dra_support')).toBe(false);
    expect(violations.filter((v) => v.rule === 'must-not-implemented')).toHaveLength(8);
    expect(violations).toHaveLength(26);
  });
});

describe('mutations of valid submissions fail with the expected line', () => {
  const softbank = (edit: (t: string) => string) =>
    place(`${SUBMISSIONS}/v1.36/Softbank/PRODUCT.yaml`, 'v1.36/Softbank/PRODUCT.yaml', edit);
  const kops = (edit: (t: string) => string) =>
    place(`${SUBMISSIONS}/v1.35/kops/PRODUCT.yaml`, 'v1.35/kops/PRODUCT.yaml', edit, KOPS_FILES);
  const run = async (file: string) => brief((await validateProduct(file, offline)).violations);

  it('a MUST set to Not Implemented', async () => {
    expect(await run(kops((t) => t.replace(/(id: ai_inference[\s\S]*?status: )Implemented/, '$1Not Implemented')))).toEqual([
      '52 ai_inference must-not-implemented',
    ]);
  });

  it('a MUST set to N/A with notes still fails; without notes fails twice', async () => {
    expect(await run(softbank((t) => t.replace(/(id: gang_scheduling[\s\S]*?status: )"Implemented"/, '$1"N/A"')))).toEqual([
      '99 gang_scheduling must-not-implemented',
    ]);
    // kops leaves notes as '' on its MUST items.
    expect(await run(kops((t) => t.replace(/(id: gang_scheduling[\s\S]*?status: )Implemented/, '$1N/A')))).toEqual([
      '61 gang_scheduling must-not-implemented',
      '61 gang_scheduling na-without-notes',
    ]);
  });

  it('a SHOULD N/A without notes', async () => {
    expect(await run(kops((t) => t.replace(/(id: gpu_sharing[\s\S]*?notes: )Not applicable for kOps at this time\./, "$1''")))).toEqual([
      '34 gpu_sharing na-without-notes',
    ]);
  });

  it('a SHOULD left blank passes, but blank status with evidence does not', async () => {
    expect(await run(softbank((t) => t.replace('status: "Not Implemented"', 'status: ""')))).toEqual([]);
    expect(await run(kops((t) => t.replace(/(id: driver_runtime_management[\s\S]*?status: )Implemented/, "$1''")))).toEqual([
      '26 driver_runtime_management status-invalid',
    ]);
  });

  it('a missing id', async () => {
    expect(await run(kops((t) => t.replace('- id: pod_autoscaling', '- id: pod_autoscalingX')))).toEqual([
      '60 pod_autoscaling requirement-missing',
    ]);
  });

  it('a missing category', async () => {
    expect(await run(softbank((t) => t.replace('  operator:\n', '  operators:\n')))).toEqual(['21 operator category-missing']);
  });

  it('a placeholder, a wrong-cased status and an unknown status', async () => {
    expect(await run(softbank((t) => t.replace('platformName: "Infrinia AI Cloud OS"', 'platformName: "[Platform Name]"')))).toEqual([
      '10 platformName metadata-placeholder',
    ]);
    expect(await run(softbank((t) => t.replace('status: "Not Implemented"', 'status: "not implemented"')))).toEqual([
      '37 gpu_sharing status-invalid',
    ]);
    expect(await run(softbank((t) => t.replace(/(id: ai_inference[\s\S]*?status: )"Implemented"/, '$1"Done"')))).toEqual([
      '50 ai_inference status-invalid',
      '50 ai_inference must-not-implemented',
    ]);
  });

  it('a k8sConformanceUrl that does not match the pattern', async () => {
    const file = softbank((t) =>
      t.replace(
        'https://github.com/cncf/k8s-conformance/tree/master/v1.36/Softbank',
        'https://github.com/cncf/k8s-conformance/blob/master/v1.36/Softbank',
      ),
    );
    const { violations } = await validateProduct(file, offline);
    expect(brief(violations)).toEqual(['19 k8sConformanceUrl conformance-url-format']);
    expect(violations[0]?.message).toContain('blob/master');
  });

  it('metadata: snake_case accepted, not-a-string and empty rejected, optional repoUrl may be absent', async () => {
    expect(
      await run(
        softbank((t) =>
          t
            .replace('contactEmailAddress:', 'contact_email_address:')
            .replace('  repoUrl: "https://github.com/tdiallo29/infrinia-conformance-evidence"\n', ''),
        ),
      ),
    ).toEqual([]);
    expect(await run(softbank((t) => t.replace('platformVersion: "v1.0.0"', 'platformVersion: 1.0')))).toEqual([
      '11 platformVersion metadata-not-string',
    ]);
    expect(
      await run(softbank((t) => t.replace('repoUrl: "https://github.com/tdiallo29/infrinia-conformance-evidence"', 'repoUrl: [a, b]'))),
    ).toEqual(['14 repoUrl metadata-not-string']);
    expect(await run(softbank((t) => t.replace('description: "Infrinia', 'description: ""\n  x: "Infrinia')))).toEqual([
      '17 description metadata-empty',
    ]);
    expect(
      await run(softbank((t) => t.replace('repoUrl: "https://github.com/tdiallo29/infrinia-conformance-evidence"', 'repoUrl: ""'))),
    ).toEqual([]);
  });

  it('a missing evidence file, relative to the PRODUCT.yaml', async () => {
    const file = place(
      `${SUBMISSIONS}/v1.35/kops/PRODUCT.yaml`,
      'v1.35/kops/PRODUCT.yaml',
      undefined,
      KOPS_FILES.filter((f) => !f.includes('Kuberay')),
    );
    expect(await run(file)).toEqual(['120 robust_controller evidence-file-missing']);
  });

  it('evidence given as a scalar is a load error at its line', async () => {
    const { violations } = await validateProduct(
      kops((t) =>
        t.replace('evidence:\n    - tests/TestNetworking_AIInference/output.md', 'evidence: tests/TestNetworking_AIInference/output.md'),
      ),
      offline,
    );
    expect(brief(violations)).toEqual(['57 file load']);
  });

  it('missing metadata and spec sections', async () => {
    expect(await run(softbank(() => '# nothing here\n'))).toEqual(['1 metadata metadata-section', '1 spec spec-section']);
  });
});

describe('version selection and unreadable input', () => {
  it('takes the version from the path before the flag and the metadata', async () => {
    const file = place(`${SUBMISSIONS}/v1.34/gke/PRODUCT.yaml`, 'v1.36/gke/PRODUCT.yaml');
    const result = await validateProduct(file, { offline: true, kubernetesVersion: '1.34' });
    expect(result.kubernetesVersion).toBe('1.36');
    expect(result.violations.filter((v) => v.rule === 'category-missing' || v.rule === 'requirement-missing').length).toBeGreaterThan(0);
  });

  it('falls back to --kubernetes-version, then metadata.kubernetesVersion', async () => {
    const file = place(`${SUBMISSIONS}/v1.34/gke/PRODUCT.yaml`, 'flat/gke-PRODUCT.yaml');
    expect((await validateProduct(file, { offline: true, kubernetesVersion: 'v1.33' })).kubernetesVersion).toBe('1.33');
    expect((await validateProduct(file, offline)).kubernetesVersion).toBe('1.34');
  });

  it('rejects an unknown version, a missing file and malformed YAML with one line naming the problem', async () => {
    const unknown = place(`${SUBMISSIONS}/v1.34/gke/PRODUCT.yaml`, 'v1.99/gke/PRODUCT.yaml');
    await expect(validateProduct(unknown, offline)).rejects.toThrow(/unknown Kubernetes version 'v1.99'/);
    await expect(validateProduct(path.join(work, 'v1.35/none/PRODUCT.yaml'), offline)).rejects.toThrow(/no such file/);
    const bad = place(`${SUBMISSIONS}/v1.34/gke/PRODUCT.yaml`, 'v1.34/bad/PRODUCT.yaml', (t) =>
      t.replace('  platformName: Google Kubernetes Engine', '  platformName: [unclosed'),
    );
    await expect(validateProduct(bad, offline)).rejects.toThrow(/PRODUCT\.yaml:\d+: malformed YAML/);
  });

  it('reads templates from templatesDir when given', async () => {
    const dir = path.join(work, 'docs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'AIConformance-1.34.yaml'), 'spec:\n  accelerators:\n    - id: dra_support\n      level: SHOULD\n');
    const file = place(`${SUBMISSIONS}/v1.34/gke/PRODUCT.yaml`, 'v1.34/gke/PRODUCT.yaml', (t) =>
      t.replace(/(id: dra_support[\s\S]*?status: )"Implemented"/, '$1"Not Implemented"'),
    );
    expect(brief((await validateProduct(file, { offline: true, templatesDir: dir })).violations)).toEqual([
      '5 contactEmailAddress metadata-missing',
      '5 k8sConformanceUrl metadata-missing',
    ]);
  });
});

/** A URL on a port nothing listens on (a server opened and closed again). */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/landscape.yml`;
}

describe('online checks against a local HTTP server', () => {
  let server: Server;
  let base = '';
  const seen: string[] = [];
  const agents = new Map<string, string>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      agents.set(req.url ?? '', req.headers['user-agent'] ?? '');
      if (req.url === '/landscape-500.yml') return res.writeHead(500).end('oops');
      if (req.url === '/landscape-other.yml') return res.writeHead(200).end('landscape:\n  - name: Provisioning\n');
      if (req.url === '/ok') return res.writeHead(200).end('ok');
      if (req.url === '/missing') return res.writeHead(404).end();
      if (req.url === '/no-head') return res.writeHead(req.method === 'HEAD' ? 405 : 200).end();
      if (req.url === '/slow') return; // never answers
      if (req.url === '/landscape.yml') {
        return res
          .writeHead(200)
          .end(
            'landscape:\n  - name: CNCF Members\n    subcategories:\n      - name: Gold\n        items:\n          - name: SoftBank (member)\n',
          );
      }
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  /** Softbank with every URL pointed at the local server. */
  function localSoftbank(urlFor: (original: string) => string, vendor = 'SoftBank'): string {
    return place(`${SUBMISSIONS}/v1.36/Softbank/PRODUCT.yaml`, 'v1.36/Softbank/PRODUCT.yaml', (t) =>
      t
        .replace(
          /"https:\/\/github\.com\/cncf\/k8s-conformance[^"]*"/,
          '"https://github.com/cncf/k8s-conformance/tree/master/v1.36/Softbank"',
        )
        .replace(/"(https:\/\/[^"]+)"/g, (_m, url: string) =>
          url.startsWith('https://github.com/cncf/k8s-conformance/') ? `"${url}"` : `"${urlFor(url)}"`,
        )
        .replace('vendorName: "SoftBank"', `vendorName: "${vendor}"`),
    );
  }
  // The k8sConformanceUrl must match its github.com pattern, so route it to the local server too.
  const routed =
    (target: (url: string) => string): typeof fetch =>
    (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      return fetch(url.startsWith('https://github.com/cncf/k8s-conformance/') ? `${base}/ok` : target(url), init);
    };
  const opts = (fetchFn: typeof fetch) => ({
    offline: false,
    fetch: fetchFn,
    landscapeUrl: `${base}/landscape.yml`,
    timeoutMs: 500,
    concurrency: 4,
  });

  it('accepts 200 and HEAD-405-then-GET-200, and a listed CNCF member', async () => {
    seen.length = 0;
    const file = localSoftbank((u) => (u.includes('README') ? `${base}/no-head` : `${base}/ok`));
    const result = await validateProduct(file, opts(routed((u) => u)));
    expect(result.violations).toEqual([]);
    expect(result.notes).toEqual([]);
    expect(seen).toContain('HEAD /no-head');
    expect(seen).toContain('GET /no-head');
  });

  it('reports 404, a timeout and a vendor that is not a member, each at its line', async () => {
    const file = localSoftbank((u) => {
      if (u.endsWith('operator/ray_crds.txt')) return `${base}/missing`;
      if (u.endsWith('operator/ray_resources.yaml')) return `${base}/slow`;
      return `${base}/ok`;
    }, 'Soft Bank');
    const { violations } = await validateProduct(file, opts(routed((u) => u)));
    expect(brief(violations)).toEqual([
      '12 vendorName vendor-not-member',
      '180 robust_controller evidence-url-unreachable',
      '183 robust_controller evidence-url-unreachable',
    ]);
    expect(violations[1]?.message).toContain('HTTP 404');
    expect(violations[2]?.message).toContain('no answer within 0.5s');
  });

  it('checks the vendor against the landscape it downloads, as the CNCF validator does (its User-Agent)', async () => {
    const file = localSoftbank(() => `${base}/ok`);
    const listed = await validateProduct(file, opts(routed((u) => u)));
    expect(listed.violations).toEqual([]);
    expect(listed.warnings).toEqual([]);
    expect(agents.get('/landscape.yml')).toBe('CNCF-K8s-AI-Conformance-Validator/1.0 (+https://github.com/cncf/k8s-ai-conformance)');
    const other = await validateProduct(
      localSoftbank(() => `${base}/ok`, 'SoftBank Corp.'),
      opts(routed((u) => u)),
    );
    expect(brief(other.violations)).toEqual(['12 vendorName vendor-not-member']);
  });

  it.each([
    ['unreachable (connection refused)', () => closedPortUrl(), /the landscape could not be read \(fetch failed: .*ECONNREFUSED.*\)/],
    ['answering HTTP 500', () => `${base}/landscape-500.yml`, /the landscape could not be read \(HTTP 500\)/],
    [
      'without a CNCF Members category',
      () => `${base}/landscape-other.yml`,
      /the landscape could not be read \(no 'CNCF Members' category in the landscape\)/,
    ],
  ])('a landscape %s is one warning, not a violation or a crash', async (_, landscapeUrl, why) => {
    const file = localSoftbank(() => `${base}/ok`);
    const result = await validateProduct(file, { ...opts(routed((u) => u)), landscapeUrl: await landscapeUrl() });
    expect(result.violations).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    const [warning] = result.warnings;
    expect(warning).toMatchObject({ rule: 'landscape-unreachable', subject: 'vendorName', line: 12 });
    expect(warning.message).toMatch(/^'SoftBank' not checked against the CNCF members: /);
    expect(warning.message).toMatch(why);
    expect(warning.message).toContain('the CNCF validator fails the whole run when it cannot read it');
    expect(warning.message).not.toContain('\n');
  });

  it('reports an unreachable metadata URL and never calls fetch when offline', async () => {
    const file = localSoftbank((u) => (u === 'https://www.infrinia.ai' ? `${base}/missing` : `${base}/ok`));
    const { violations } = await validateProduct(file, opts(routed((u) => u)));
    expect(brief(violations)).toEqual(['13 websiteUrl metadata-url-unreachable', '15 documentationUrl metadata-url-unreachable']);
    let calls = 0;
    const counting: typeof fetch = async () => {
      calls += 1;
      throw new Error('network used');
    };
    await validateProduct(file, { offline: true, fetch: counting });
    expect(calls).toBe(0);
  });
});

describe('v1.37/gke: the first hybrid submission, and mutated copies of it', () => {
  const GKE = `${SUBMISSIONS}/v1.37/gke`;
  const ARTIFACTS = ['junit.xml', 'results.json', 'e2e.log', 'README.md'];

  /** A copy of the whole folder at <tmp>/.../v1.37/gke/, with one file edited. */
  function gke(edits: Partial<Record<string, (text: string) => string>> = {}): string {
    const dir = path.join(work, Math.random().toString(36).slice(2), 'v1.37', 'gke');
    mkdirSync(dir, { recursive: true });
    for (const name of ['PRODUCT.yaml', ...ARTIFACTS]) {
      const original = readFileSync(path.join(GKE, name), 'utf8');
      const edit = edits[name];
      const text = edit ? edit(original) : original;
      if (edit && text === original) throw new Error(`the mutation of ${name} did not change it`);
      writeFileSync(path.join(dir, name), text);
    }
    return path.join(dir, 'PRODUCT.yaml');
  }

  it('passes as submitted, offline, with no warning: every mapped requirement cites its artifacts', async () => {
    const result = await validateProduct(gke(), offline);
    expect(result.violations).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.kubernetesVersion).toBe('1.37');
    expect(result.simulated).toBeUndefined();
  });

  it('a failed testcase in junit.xml: the file contains failing tests, and the cited test failed', async () => {
    const file = gke({
      'junit.xml': (t) =>
        t.replace(
          'name="TestGangScheduling/NegativeGangScheduling" time="30.170000" />',
          'name="TestGangScheduling/NegativeGangScheduling" time="30.170000"><failure message="pods started">x</failure></testcase>',
        ),
    });
    const { violations } = await validateProduct(file, offline);
    const messages = violations.map((v) => `${v.subject}: ${v.message}`);
    // Any failing test anywhere fails every reference to that artifact, whatever it cites.
    expect(messages).toEqual(
      ['gang_scheduling', 'cluster_autoscaling', 'secure_accelerator_access'].map(
        (id) => `${id}: junit.xml contains failing tests: TestGangScheduling/NegativeGangScheduling`,
      ),
    );
    // The parent's own testcase passed, so the cited test is looked up by exact name and passes;
    // with the parent failed as well, the cited test fails too.
    const both = gke({
      'junit.xml': (t) =>
        t
          .replace(
            'name="TestGangScheduling" time="42.700000" />',
            'name="TestGangScheduling" time="42.700000"><failure message="gang">x</failure></testcase>',
          )
          .replace(
            'name="TestGangScheduling/NegativeGangScheduling" time="30.170000" />',
            'name="TestGangScheduling/NegativeGangScheduling" time="30.170000"><failure message="pods started">x</failure></testcase>',
          ),
    });
    const again = (await validateProduct(both, offline)).violations.map((v) => `${v.subject} ${v.rule}`);
    expect(again).toContain('gang_scheduling artifact-test-failed');
  });

  it('a missing mapped test: an e2e.log without TestAcceleratorClusterAutoscaling fails the requirement that cites it without a fragment', async () => {
    const file = gke({ 'e2e.log': (t) => t.replace(/^(\s*)--- PASS: TestAcceleratorClusterAutoscaling\b.*$/gm, '') });
    const { violations } = await validateProduct(file, offline);
    expect(violations.map((v) => `${v.subject} ${v.rule}: ${v.message}`)).toEqual([
      'cluster_autoscaling artifact-test-missing: e2e.log has no test TestAcceleratorClusterAutoscaling',
    ]);
  });

  it('a skipped test on an Implemented entry fails; the same skip with N/A (and notes) is a warning only', async () => {
    const skip = (t: string) =>
      t.replace(
        /\{"Time":"([^"]+)","Action":"pass","Package":"([^"]+)","Test":"TestAcceleratorClusterAutoscaling","Elapsed":([\d.]+)\}/,
        '{"Time":"$1","Action":"skip","Package":"$2","Test":"TestAcceleratorClusterAutoscaling","Elapsed":$3}',
      );
    const implemented = await validateProduct(gke({ 'results.json': skip }), offline);
    expect(implemented.violations.map((v) => `${v.subject} ${v.rule}: ${v.message}`)).toEqual([
      'cluster_autoscaling artifact-test-skipped: test TestAcceleratorClusterAutoscaling was skipped in results.json, but the status is Implemented',
    ]);
    const na = await validateProduct(
      gke({
        'results.json': skip,
        'PRODUCT.yaml': (t) =>
          t.replace(
            /(id: cluster_autoscaling[\s\S]*?status: )"Implemented"([\s\S]*?notes: )""/,
            '$1"N/A"$2"No autoscaler offered on this tier."',
          ),
      }),
      offline,
    );
    expect(na.violations).toEqual([]);
    expect(na.warnings.map((w) => `${w.subject} ${w.rule}`)).toEqual(['cluster_autoscaling must-not-applicable']);
  });

  it("an escaping path, another product's directory, and an empty path are rejected", async () => {
    const file = gke({
      'PRODUCT.yaml': (t) =>
        t
          .replace(
            '- "file://v1.37/gke/e2e.log"\n      notes: ""\n    - id: cluster_autoscaling',
            '- "file://../e2e.log"\n      notes: ""\n    - id: cluster_autoscaling',
          )
          .replace(
            '"file://v1.37/gke/results.json#TestSecureAcceleratorAccess"',
            '"file://v1.37/eks/results.json#TestSecureAcceleratorAccess"',
          )
          .replace('"file://v1.37/gke/junit.xml#TestAcceleratorClusterAutoscaling"', '"file://#TestAcceleratorClusterAutoscaling"'),
    });
    const { violations } = await validateProduct(file, offline);
    expect(violations.map((v) => `${v.subject} ${v.rule}: ${v.message}`)).toEqual([
      'gang_scheduling evidence-escapes: evidence file://../e2e.log escapes the product directory',
      'cluster_autoscaling evidence-path-invalid: evidence file://#TestAcceleratorClusterAutoscaling names no file',
      'secure_accelerator_access evidence-other-product: evidence file://v1.37/eks/results.json#TestSecureAcceleratorAccess references a different product directory',
    ]);
  });

  it('the hybrid warning: a mapped requirement marked Implemented that cites no artifact (v1.37 and later only)', async () => {
    const file = gke({
      'PRODUCT.yaml': (t) =>
        t.replace(
          /(id: gang_scheduling[\s\S]*?evidence:\n)(?:\s+- "file:[^\n]+\n)+/,
          '$1        - "https://cloud.google.com/kubernetes-engine/docs/how-to/kueue"\n',
        ),
    });
    const { violations, warnings } = await validateProduct(file, offline);
    expect(violations).toEqual([]);
    expect(warnings.map((w) => `${w.subject} ${w.rule}`)).toEqual(['gang_scheduling hybrid-no-artifact']);
    expect(warnings[0]?.message).toMatch(/TestGangScheduling covers this requirement; cite its e2e\.log, junit\.xml or results\.json/);
  });

  it('a results.json line that is not JSON, and a junit.xml with no testcase, cannot be parsed', async () => {
    const file = gke({ 'results.json': (t) => t.replace('\n', '\nnot json\n'), 'junit.xml': (t) => t.replace(/<testcase[^>]*\/>\n/g, '') });
    const { violations } = await validateProduct(file, offline);
    expect(new Set(violations.map((v) => v.message))).toEqual(
      new Set([
        'results.json cannot be parsed as test output: line 2 is not JSON',
        'junit.xml cannot be parsed as test output: no <testcase> in it',
      ]),
    );
  });
});
