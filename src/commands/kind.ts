// `kind up` / `kind down`: the PR-mode cluster on its own, e.g. to keep one around between runs
// (`run --cluster kind` reuses a cluster of the same name and leaves it in place).

import { booleanOption, noArguments, stringOption, type Command, type FlagSpec } from './command.js';
import { UsageError } from '../errors.js';
import { createKindCluster, deleteKindCluster, DEFAULT_CLUSTER_NAME, requireKubernetesVersion } from '../cluster/index.js';
import { KUBERNETES_VERSIONS } from '../requirements/catalog.js';
import path from 'node:path';
import { homedir } from 'node:os';

const NAME_FLAG: FlagSpec = {
  type: 'string',
  value: 'NAME',
  description: 'kind cluster name',
  default: DEFAULT_CLUSTER_NAME,
  example: 'pr-42',
};

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export const kindUpCommand: Command = {
  name: 'kind up',
  summary: 'Create the PR-mode kind cluster with a fake DRA driver',
  usage: `kind up --kubernetes-version ${KUBERNETES_VERSIONS.join('|')} [flags]`,
  flags: {
    'kubernetes-version': {
      type: 'string',
      value: 'X.Y',
      description: `Kubernetes version of the cluster (${KUBERNETES_VERSIONS.join(', ')}); required`,
      example: '1.35',
    },
    name: NAME_FLAG,
    'node-image': {
      type: 'string',
      value: 'IMAGE',
      description: 'node image instead of the pinned one',
      default: 'pinned per version',
      example: 'kindest/node:v1.35.0',
    },
    addons: {
      type: 'boolean',
      description: 'also install the PR-mode add-ons (Gateway, Kueue, Prometheus, fake DCGM, KubeRay)',
      example: '',
    },
    kubeconfig: {
      type: 'string',
      value: 'FILE',
      description: "where to write the cluster's kubeconfig",
      default: '~/.kube/ai-conformance-NAME.yaml',
      example: '/tmp/kind.yaml',
    },
  },
  examples: ['kind up --kubernetes-version 1.35 --addons', 'kind up --kubernetes-version 1.33 --name pr-42 --kubeconfig /tmp/pr-42.yaml'],
  async run(values, positionals) {
    noArguments(this, positionals);
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
    process.stdout.write(
      `kind cluster ${cluster.name} is ready (context ${cluster.context})\nexport KUBECONFIG=${cluster.kubeconfigPath}\n`,
    );
    return 0;
  },
};

export const kindDownCommand: Command = {
  name: 'kind down',
  summary: 'Delete the PR-mode kind cluster',
  usage: 'kind down [flags]',
  flags: { name: NAME_FLAG },
  examples: ['kind down', 'kind down --name pr-42'],
  async run(values, positionals) {
    noArguments(this, positionals);
    const name = stringOption(values, 'name') ?? DEFAULT_CLUSTER_NAME;
    await deleteKindCluster({ name, log });
    process.stdout.write(`kind cluster ${name} deleted\n`);
    return 0;
  },
};
