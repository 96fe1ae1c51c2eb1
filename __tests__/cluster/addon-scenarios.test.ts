// The fake models what the kind provider installs: the kind scenarios name (through their
// includes) exactly the upstream releases src/cluster pins, carry those releases' CRDs with real
// schemas and webhooks that point at Services that exist, and every pinned release supports
// every Kubernetes version we provision (or says in the log why it is installed there anyway).

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS_DIR } from '../harness/index.js';
import { loadScenarioFile } from '../harness/scenario.js';
import type { KObj } from '../harness/types.js';
import { parseAllDocuments } from 'yaml';
import {
  GATEWAY_CLASS_MANIFEST,
  GVISOR_RUNTIME_CLASS_MANIFEST,
  INFERENCE_SIM_MANIFEST,
  outsideSupport,
  prModeAddons,
} from '../../src/cluster/addons.js';
import { ADDON_RELEASES, supportsVersion } from '../../src/cluster/pins.js';
import { KUBERNETES_VERSIONS, type KubernetesVersion } from '../../src/requirements/catalog.js';

const installed = (version: KubernetesVersion): string[] =>
  [...new Set(prModeAddons(version).flatMap((addon) => addon.releases))]
    .map((key) => `${ADDON_RELEASES[key].project} ${ADDON_RELEASES[key].version}`)
    .sort();

function kindScenario(version: string): ReturnType<typeof loadScenarioFile> {
  return loadScenarioFile(path.join(SCENARIOS_DIR, `kind-example-dra-${version}.yaml`));
}

function objectsOf(objects: KObj[], kind: string): KObj[] {
  return objects.filter((o) => o.kind === kind);
}

describe('the kind scenarios model the pinned add-ons', () => {
  for (const version of KUBERNETES_VERSIONS) {
    it(`kind-example-dra-${version} models exactly the releases the kind provider installs`, () => {
      const scenario = kindScenario(version);
      const modelled = [...new Set((scenario.models ?? []).map((m) => `${m.project} ${m.version}`))].sort();
      expect(modelled).toEqual(installed(version));
    });
  }

  it('a changed pin is caught: the comparison is on versions, not only names', () => {
    const scenario = kindScenario('1.35');
    const models = (scenario.models ?? []).map((m) => (m.project === 'kubernetes-sigs/kueue' ? { ...m, version: 'v0.13.4' } : m));
    expect([...new Set(models.map((m) => `${m.project} ${m.version}`))].sort()).not.toEqual(installed('1.35'));
  });

  it("the CRDs are the releases' own: real structural schemas, Gateway API bundle version as pinned", () => {
    const objects = kindScenario('1.35').objects ?? [];
    const crds = objectsOf(objects, 'CustomResourceDefinition');
    const names = crds.map((crd) => crd.metadata.name);
    for (const name of [
      'gateways.gateway.networking.k8s.io',
      'httproutes.gateway.networking.k8s.io',
      'envoyproxies.gateway.envoyproxy.io',
      'workloads.kueue.x-k8s.io',
      'trainjobs.trainer.kubeflow.org',
      'podmonitors.monitoring.coreos.com',
      'servicemonitors.monitoring.coreos.com',
    ]) {
      expect(names, name).toContain(name);
    }
    for (const crd of crds) {
      const versions = (crd.spec as { versions?: { schema?: { openAPIV3Schema?: Record<string, unknown> } }[] }).versions ?? [];
      for (const v of versions) {
        const schema = v.schema?.openAPIV3Schema ?? {};
        // A permissive stand-in would be {type: object, x-kubernetes-preserve-unknown-fields: true}.
        expect(schema['x-kubernetes-preserve-unknown-fields'], crd.metadata.name).toBeUndefined();
        const fields = Object.keys((schema.properties as object | undefined) ?? {}).filter(
          (f) => !['apiVersion', 'kind', 'metadata'].includes(f),
        );
        expect(fields.length, crd.metadata.name).toBeGreaterThan(0);
      }
    }
    const gateways = crds.find((crd) => crd.metadata.name === 'gateways.gateway.networking.k8s.io');
    expect(gateways?.metadata.annotations?.['gateway.networking.k8s.io/bundle-version']).toBe(ADDON_RELEASES.gatewayApi.version);
  });

  it("every webhook points at a Service of the scenario, and the operator's webhooks cover its own group", () => {
    const objects = kindScenario('1.35').objects ?? [];
    const services = new Set(objectsOf(objects, 'Service').map((s) => `${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`));
    const configurations = [...objectsOf(objects, 'ValidatingWebhookConfiguration'), ...objectsOf(objects, 'MutatingWebhookConfiguration')];
    expect(configurations.length).toBeGreaterThanOrEqual(5);
    for (const configuration of configurations) {
      for (const webhook of configuration.webhooks as {
        name: string;
        sideEffects?: string;
        clientConfig: { service?: { name: string; namespace: string } };
      }[]) {
        const service = webhook.clientConfig.service;
        if (service)
          expect(services, `${configuration.metadata.name ?? ''}/${webhook.name}`).toContain(`${service.namespace}/${service.name}`);
        expect(['None', 'NoneOnDryRun'], webhook.name).toContain(webhook.sideEffects);
      }
    }
    const trainer = configurations.find((c) => c.metadata.name === 'validator.trainer.kubeflow.org');
    const rules =
      (trainer?.webhooks as { rules: { apiGroups: string[]; resources: string[] }[] }[] | undefined)?.flatMap((w) => w.rules) ?? [];
    expect(rules.some((r) => r.apiGroups.includes('trainer.kubeflow.org') && r.resources.includes('trainjobs'))).toBe(true);
  });

  it('kind has no load balancer: the PR-mode GatewayClass uses a ClusterIP EnvoyProxy', () => {
    const objects = kindScenario('1.35').objects ?? [];
    const proxy = objectsOf(objects, 'EnvoyProxy')[0] as
      { spec?: { provider?: { kubernetes?: { envoyService?: { type?: string } } } } } | undefined;
    expect(proxy?.spec?.provider?.kubernetes?.envoyService?.type).toBe('ClusterIP');
    const gatewayClass = objectsOf(objects, 'GatewayClass')[0] as { spec?: { parametersRef?: { kind?: string } } } | undefined;
    expect(gatewayClass?.spec?.parametersRef?.kind).toBe('EnvoyProxy');
  });
});

describe('the kind scenarios hold what the kind provider applies', () => {
  const manifests = (text: string) => parseAllDocuments(text).map((doc) => doc.toJS() as KObj);
  const find = (objects: KObj[], wanted: KObj) =>
    objects.filter(
      (o) => o.kind === wanted.kind && o.metadata.name === wanted.metadata.name && o.metadata.namespace === wanted.metadata.namespace,
    );

  for (const version of KUBERNETES_VERSIONS) {
    it(`kind-example-dra-${version}: every manifest of its add-ons, as applied (a changed manifest fails until re-derived)`, () => {
      const objects = kindScenario(version).objects ?? [];
      const releases = new Set(prModeAddons(version).flatMap((addon) => addon.releases));
      const applied = [
        ...manifests(GATEWAY_CLASS_MANIFEST),
        ...(releases.has('inferenceSim') ? manifests(INFERENCE_SIM_MANIFEST) : []),
        ...(releases.has('gvisor') ? manifests(GVISOR_RUNTIME_CLASS_MANIFEST) : []),
      ];
      for (const wanted of applied) expect(find(objects, wanted).at(-1), `${wanted.kind} ${wanted.metadata.name ?? ''}`).toEqual(wanted);
      const pools = objectsOf(objects, 'CustomResourceDefinition').find(
        (c) => c.metadata.name === 'inferencepools.inference.networking.k8s.io',
      );
      expect(pools !== undefined, 'InferencePool CRD').toBe(releases.has('inferenceExtension'));
      expect(objectsOf(objects, 'RuntimeClass').some((rc) => rc.metadata.name === 'gvisor')).toBe(releases.has('gvisor'));
    });
  }

  it("where Envoy AI Gateway is installed, Envoy Gateway's config routes InferencePools through its extension server", () => {
    const configOf = (version: KubernetesVersion) =>
      (
        objectsOf(kindScenario(version).objects ?? [], 'ConfigMap')
          .filter((c) => c.metadata.name === 'envoy-gateway-config')
          .at(-1)?.data as Record<string, string> | undefined
      )?.['envoy-gateway.yaml'] ?? '';
    expect(configOf('1.37')).toMatch(/backendResources:\s+- group: inference\.networking\.k8s\.io\s+kind: InferencePool/);
    expect(configOf('1.37')).toContain('hostname: ai-gateway-controller.envoy-ai-gateway-system.svc.cluster.local');
    expect(configOf('1.35')).not.toContain('extensionManager');
  });
});

describe('the pinned add-ons support the Kubernetes versions we provision', () => {
  for (const version of KUBERNETES_VERSIONS) {
    it(`Kubernetes ${version}: each release supports it, or says why it is installed anyway`, () => {
      for (const key of new Set(prModeAddons(version).flatMap((addon) => addon.releases))) {
        const release = ADDON_RELEASES[key];
        if (!supportsVersion(release, version))
          expect(release.outsideMatrix?.[version], `${release.project} ${release.version} on ${version}`).toBeTruthy();
      }
    });
  }

  it('a version past a published matrix is reported for the log', () => {
    expect(supportsVersion(ADDON_RELEASES.envoyGateway, '1.36')).toBe(true);
    expect(supportsVersion(ADDON_RELEASES.envoyGateway, '1.37')).toBe(false);
    expect(outsideSupport('1.37').join('\n')).toMatch(
      /envoyproxy\/gateway v1\.9\.0 supports Kubernetes 1\.33–1\.36, not 1\.37: no Envoy Gateway release lists 1\.37/,
    );
    expect(outsideSupport('1.35')).toEqual([]);
  });
});
