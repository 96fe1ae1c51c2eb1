import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kindConfig, kindConfigYaml, kindNodeNames } from '../../src/cluster/kindConfig.js';
import { gvisorInstallScript } from '../../src/cluster/addons.js';
import { GVISOR_RELEASE, NODE_IMAGES, DRA_EXAMPLE_DRIVER, KIND_VERSION } from '../../src/cluster/pins.js';
import { KUBERNETES_VERSIONS } from '../../src/requirements/catalog.js';

/** What the YAML must read back as: the config kindConfig builds. */
const parseConfig = (text: string) => parse(text) as ReturnType<typeof kindConfig>;

describe('kind config per Kubernetes version', () => {
  it('1.33 turns on the DRA feature gate and the beta resource.k8s.io APIs', () => {
    const config = parseConfig(kindConfigYaml('1.33', 'ai-conformance', NODE_IMAGES['1.33']));
    expect(config.featureGates).toEqual({ DynamicResourceAllocation: true });
    expect(config.runtimeConfig).toEqual({ 'resource.k8s.io/v1beta1': 'true', 'resource.k8s.io/v1beta2': 'true' });
  });

  it.each(['1.34', '1.35', '1.36'] as const)('%s needs no feature gate or runtime config (DRA is GA)', (version) => {
    const config = parseConfig(kindConfigYaml(version, 'ai-conformance', NODE_IMAGES[version]));
    expect(config.featureGates).toBeUndefined();
    expect(config.runtimeConfig).toBeUndefined();
  });

  it.each(KUBERNETES_VERSIONS)('%s: one control plane, two workers on the pinned image, CDI on in containerd', (version) => {
    const text = kindConfigYaml(version, 'pr-42', NODE_IMAGES[version]);
    const config = parseConfig(text);
    expect(config.kind).toBe('Cluster');
    expect(config.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(config.name).toBe('pr-42');
    expect(config.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
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

  it('pins kind v0.33.0, whose default node image (Kubernetes 1.37.0) is the 1.37 pin', () => {
    // kind v0.33.0's release notes: default kindest/node:v1.37.0, plus v1.36.4, v1.35.8 and v1.34.11.
    expect(KIND_VERSION).toBe('v0.33.0');
    expect(NODE_IMAGES['1.37']).toBe('kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5');
    expect(Object.values(NODE_IMAGES).map((image) => image.split('@')[0])).toEqual([
      'kindest/node:v1.33.12',
      'kindest/node:v1.34.11',
      'kindest/node:v1.35.8',
      'kindest/node:v1.36.4',
      'kindest/node:v1.37.0',
    ]);
  });
});

describe('gVisor on kind', () => {
  it('registers the runsc runtime handler only when asked', () => {
    expect(kindConfig('1.37', 'x', 'img').containerdConfigPatches).toHaveLength(1);
    const patches = kindConfig('1.37', 'x', 'img', { sandbox: true }).containerdConfigPatches;
    expect(patches).toHaveLength(2);
    expect(patches[1]).toBe('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\n  runtime_type = "io.containerd.runsc.v1"\n');
  });

  it('names the node containers kind creates', () => {
    expect(kindNodeNames('pr-7')).toEqual(['pr-7-control-plane', 'pr-7-worker', 'pr-7-worker2']);
  });

  it("installs the pinned release's binaries only after they match the published sha512", () => {
    const script = gvisorInstallScript(GVISOR_RELEASE);
    const at = (text: string) => script.indexOf(text);
    expect(script).toMatch(/^set -eu; /);
    expect(script).toContain(`https://storage.googleapis.com/gvisor/releases/release/${GVISOR_RELEASE}/$(uname -m)`);
    for (const file of ['runsc', 'runsc.sha512', 'containerd-shim-runsc-v1', 'containerd-shim-runsc-v1.sha512'])
      expect(script).toContain(`"$url/${file}"`);
    expect(at('sha512sum -c runsc.sha512 containerd-shim-runsc-v1.sha512')).toBeGreaterThan(at('curl '));
    expect(at('mv runsc containerd-shim-runsc-v1 /usr/local/bin/')).toBeGreaterThan(at('sha512sum -c'));
    expect(GVISOR_RELEASE).toMatch(/^\d{8}(\.\d+)?$/);
    // A reused cluster created without the add-ons has no runsc handler: said, not left to the probe.
    expect(script).toContain("containerd config dump | grep -q 'containerd.runtimes.runsc]' ||");
    expect(at('containerd config dump')).toBeGreaterThan(at('runsc --version'));
  });
});
