// `npm run demo`: watch the whole pipeline without a cluster. Starts the fake Kubernetes API server
// (test infrastructure) on a scenario, then runs the real CLI against it, exactly as a user would
// run it against a real cluster. The results are a SIMULATION: they certify nothing.
//
//   npm run demo -- [--scenario NAME|FILE] [--out DIR] [any other `run` flags]

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SCENARIOS_DIR, startFakeCluster } from '../__tests__/harness/index.js';

const BANNER = 'SIMULATION: a fake in-process cluster, not a real one. These results certify nothing.';

function takeOption(args: string[], name: string): string | undefined {
  const at = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return undefined;
  const [arg] = args.splice(at, 1);
  if (arg.includes('=')) return arg.slice(name.length + 1);
  const [value] = args.splice(at, 1);
  return value;
}

function scenarioPath(nameOrFile: string): string {
  if (existsSync(nameOrFile)) return nameOrFile;
  return resolve(SCENARIOS_DIR, `${nameOrFile}.yaml`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const scenario = scenarioPath(takeOption(args, '--scenario') ?? 'kind-example-dra-1.35');
  if (!existsSync(scenario)) throw new Error(`no scenario ${scenario}; see fixtures/scenarios/README.md`);
  const out = takeOption(args, '--out') ?? './ai-conformance-demo';
  const cli = resolve('dist', 'cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build');

  process.stderr.write(`\n*** ${BANNER} ***\n\n`);
  const cluster = await startFakeCluster({ scenario });
  try {
    const code = await new Promise<number>((done, fail) => {
      // Its own process group, so a Ctrl-C reaches the CLI once (from here), not twice: a second
      // signal makes the CLI exit without cleaning up. This process stays up meanwhile, because
      // the CLI needs the fake server to clean up.
      const child = spawn(process.execPath, [cli, 'run', '--kubeconfig', cluster.kubeconfigPath, '--out', out, ...args], {
        stdio: 'inherit',
        detached: true,
      });
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
      child.on('error', fail);
      child.on('exit', (exitCode, signal) => done(exitCode ?? (signal ? 1 : 0)));
    });
    process.stderr.write(
      `\n*** ${BANNER} Reports: ${out}/summary.md, PRODUCT.yaml, junit.xml, results.json, e2e.log, evidence/, results.sarif ***\n`,
    );
    return code;
  } finally {
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
