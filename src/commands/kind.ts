// `kind up` / `kind down`: the PR-mode cluster on its own, e.g. to keep one around between runs
// (`run --cluster kind` reuses a cluster of the same name and leaves it in place).

import { booleanOption, stringOption, type Command } from './command.js';
import { UsageError } from '../errors.js';
import { createKindCluster, deleteKindCluster, DEFAULT_CLUSTER_NAME, requireKubernetesVersion } from '../cluster/index.js';
import { KUBERNETES_VERSIONS } from '../requirements/catalog.js';
import path from 'node:path';
import { homedir } from 'node:os';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export const kindUpCommand: Command = {
  name: 'kind up',
  summary: 'Create the PR-mode kind cluster with a fake DRA driver',
  usage: `kind up --kubernetes-version ${KUBERNETES_VERSIONS.join('|')} [--name NAME] [--node-image IMAGE] [--addons] [--kubeconfig OUT]`,
  options: {
    'kubernetes-version': { type: 'string' },
    name: { type: 'string' },
    'node-image': { type: 'string' },
    addons: { type: 'boolean' },
    kubeconfig: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ai-conformance ${this.usage})`);
    const versionFlag = stringOption(values, 'kubernetes-version');
    if (!versionFlag) throw new UsageError(`--kubernetes-version is required (one of ${KUBERNETES_VERSIONS.join(', ')})`);
    const name = stringOption(values, 'name') ?? DEFAULT_CLUSTER_NAME;
    const kubeconfigOut = path.resolve(stringOption(values, 'kubeconfig') ?? path.join(homedir(), '.kube', `ai-conformance-${name}.yaml`));
    const cluster = await createKindCluster({
      kubernetesVersion: requireKubernetesVersion(versionFlag),
      name,
      nodeImage: stringOption(values, 'node-image'),
      addons: booleanOption(values, 'addons'),
      kubeconfigOut,
      log,
    });
    await cluster.release(); // the kubeconfig was written to kubeconfigOut, outside the work directory
    process.stdout.write(`kind cluster ${cluster.name} is ready (context ${cluster.context})\nexport KUBECONFIG=${cluster.kubeconfigPath}\n`);
    return 0;
  },
};

export const kindDownCommand: Command = {
  name: 'kind down',
  summary: 'Delete the PR-mode kind cluster',
  usage: 'kind down [--name NAME]',
  options: { name: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ai-conformance ${this.usage})`);
    const name = stringOption(values, 'name') ?? DEFAULT_CLUSTER_NAME;
    await deleteKindCluster({ name, log });
    process.stdout.write(`kind cluster ${name} deleted\n`);
    return 0;
  },
};
