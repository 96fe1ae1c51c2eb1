import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kindConfig, kindConfigYaml } from '../../src/cluster/kindConfig.js';
import { NODE_IMAGES, DRA_EXAMPLE_DRIVER } from '../../src/cluster/pins.js';
import { KUBERNETES_VERSIONS } from '../../src/requirements/catalog.js';

describe('kind config per Kubernetes version', () => {
  it('1.33 turns on the DRA feature gate and the beta resource.k8s.io APIs', () => {
    const config = parse(kindConfigYaml('1.33', 'ai-conformance', NODE_IMAGES['1.33']));
    expect(config.featureGates).toEqual({ DynamicResourceAllocation: true });
    expect(config.runtimeConfig).toEqual({ 'resource.k8s.io/v1beta1': 'true', 'resource.k8s.io/v1beta2': 'true' });
  });

  it.each(['1.34', '1.35', '1.36'] as const)('%s needs no feature gate or runtime config (DRA is GA)', (version) => {
    const config = parse(kindConfigYaml(version, 'ai-conformance', NODE_IMAGES[version]));
    expect(config.featureGates).toBeUndefined();
    expect(config.runtimeConfig).toBeUndefined();
  });

  it.each(KUBERNETES_VERSIONS)('%s: one control plane, two workers on the pinned image, CDI on in containerd', (version) => {
    const text = kindConfigYaml(version, 'pr-42', NODE_IMAGES[version]);
    const config = parse(text);
    expect(config.kind).toBe('Cluster');
    expect(config.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(config.name).toBe('pr-42');
    expect(config.nodes.map((n: { role: string }) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
    for (const node of config.nodes) expect(node.image).toBe(NODE_IMAGES[version]);
    expect(config.containerdConfigPatches).toHaveLength(1);
    expect(config.containerdConfigPatches[0]).toMatch(/\[plugins\."io\.containerd\.grpc\.v1\.cri"\]\s+enable_cdi = true/);
  });

  it('labels the workers for the fake GPU operator, not the control plane', () => {
    const config = kindConfig('1.35', 'x', 'img');
    expect(config.nodes[0]?.labels).toBeUndefined();
    expect(config.nodes.slice(1).map((n) => n.labels)).toEqual([
      { 'run.ai/simulated-gpu-node-pool': 'default' },
      { 'run.ai/simulated-gpu-node-pool': 'default' },
    ]);
  });

  it('pins every node image by digest and a driver chart for every version', () => {
    for (const version of KUBERNETES_VERSIONS) {
      expect(NODE_IMAGES[version]).toMatch(new RegExp(`^kindest/node:v${version.replace('.', '\\.')}\\.\\d+@sha256:[0-9a-f]{64}$`));
      expect(DRA_EXAMPLE_DRIVER.chartVersion[version]).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});
