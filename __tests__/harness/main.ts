// Process mode (DESIGN.md §7, contract):
//   npm run fake-cluster -- --scenario FILE --kubeconfig-out FILE [--port N] [--no-tls] [--verbose]
// Writes the kubeconfig, prints one line when ready, serves until SIGINT/SIGTERM, exits 0.
import { startFakeCluster } from './index.js';

const USAGE = 'usage: fake-cluster --scenario FILE --kubeconfig-out FILE [--port N] [--no-tls] [--verbose]';

function parse(argv: string[]): { scenario: string; kubeconfig: string; port?: number; tls: boolean; verbose: boolean } {
  let scenario: string | undefined;
  let kubeconfig: string | undefined;
  let port: number | undefined;
  let tls = true;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv.at(++i);
      if (v === undefined || v === '') throw new Error(`${flag} needs a value; ${USAGE}`);
      return v;
    };
    if (flag === '--scenario') scenario = value();
    else if (flag === '--kubeconfig-out') kubeconfig = value();
    else if (flag === '--port') {
      port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number; ${USAGE}`);
    } else if (flag === '--no-tls') tls = false;
    else if (flag === '--verbose') verbose = true;
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
  }
  if (!scenario || !kubeconfig) throw new Error(`--scenario and --kubeconfig-out are required; ${USAGE}`);
  return { scenario, kubeconfig, port, tls, verbose };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`fake-cluster: ${(e as Error).message}\n`);
    process.exit(2);
  }
  let cluster: Awaited<ReturnType<typeof startFakeCluster>>;
  try {
    cluster = await startFakeCluster({
      scenario: args.scenario,
      tls: args.tls,
      port: args.port,
      kubeconfigPath: args.kubeconfig,
      log: args.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
    });
  } catch (e) {
    process.stderr.write(`fake-cluster: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    process.exit(2);
  }
  process.stdout.write(
    `fake-cluster ready: scenario ${cluster.scenario.name} (Kubernetes ${cluster.scenario.kubernetesVersion}) at ${cluster.url}, kubeconfig ${cluster.kubeconfigPath}\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    cluster.stop().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
