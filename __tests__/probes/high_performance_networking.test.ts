import { describe, expect, it } from 'vitest';
import { highPerformanceNetworkingProbe } from '../../src/probes/high_performance_networking.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain, failedCheck } from './addonRuns.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

const withDranet = (extra: Record<string, unknown> = {}, name = 'kind-dranet-1.36') =>
  derivedScenario(name, '1.36', ['kind-example-dra-1.36', 'addons/dranet'], extra);

/** Multus's CRD as its thick-plugin daemonset installs it (k8s.cni.cncf.io/v1). */
const MULTUS_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'network-attachment-definitions.k8s.cni.cncf.io' },
  spec: {
    group: 'k8s.cni.cncf.io',
    scope: 'Namespaced',
    names: {
      plural: 'network-attachment-definitions',
      singular: 'network-attachment-definition',
      kind: 'NetworkAttachmentDefinition',
      shortNames: ['net-attach-def'],
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

describe('high_performance_networking', () => {
  it('passes with DRANET: interfaces with their attributes in ResourceSlices, and a pod gets one as a second interface', async () => {
    const run = await runProbeOnScenario(highPerformanceNetworkingProbe, withDranet());
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks[0].reason).toBe('DeviceClass dranet.net (driver dra.net); 7 device(s) on 1 node(s)');
    expect(run.result.checks[1].reason).toMatch(
      /7 device\(s\) describe their interface \(4 RDMA-capable\), e\.g\. pci-0000-20-01-0 \(ifName=ens65, pciAddress=0000:20:01\.0, mac=0e:96:fe:e8:a3:f5, numaNode=0, rdma=false, mtu=9001/,
    );
    expect(run.result.checks[2].reason).toBe(
      'the pod on node ip-192-168-153-160.ec2.internal sees ens65, eth0: its primary interface and ens65 from device pci-0000-20-01-0',
    );
    expectClean(run);
  });

  // DRANET v1.4.0's EKS slice (addons/dranet) published under another driver name, as a vendor's
  // network DRA driver publishes its own (with a quote in the interface name, which Linux allows):
  // the probe must find the driver by its devices' interface attributes and quote what it puts into CEL.
  it('finds a network driver other than dra.net by its interface attributes, and quotes cluster strings in CEL', async () => {
    const renamed = readFileSync(scenarioPath('addons/dranet'), 'utf8')
      .replace(/\bdra\.net\b/g, 'net.vendor.example')
      .replace(/\bens65\b/g, 'ens65"x');
    const addon = parse(renamed) as Record<string, unknown>;
    const file = derivedScenario('kind-vendor-net-1.36', '1.36', ['kind-example-dra-1.36'], {
      ...addon,
      behaviours: { kubelet: { netDrivers: ['net.vendor.example'] } },
    });
    const run = await runProbeOnScenario(highPerformanceNetworkingProbe, file);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toBe('DeviceClass dranet.net (driver net.vendor.example); 7 device(s) on 1 node(s)');
    expect(run.result.checks[2].reason).toBe(
      'the pod on node ip-192-168-153-160.ec2.internal sees ens65"x, eth0: its primary interface and ens65"x from device pci-0000-20-01-0',
    );
    expectClean(run);
  });

  it('fails when the claimed interface never reaches the pod (the runtime hook does not run)', async () => {
    const run = await runProbeOnScenario(
      highPerformanceNetworkingProbe,
      withDranet({ behaviours: { kubelet: { netDrivers: [] } } }, 'kind-dranet-no-nri-1.36'),
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('a pod gets a second interface from a claim');
    expect(run.result.reason).toContain(
      'the pod was given interface ens65 (device pci-0000-20-01-0) on node ip-192-168-153-160.ec2.internal but sees only eth0',
    );
    expectClean(run);
  });

  it('fails when the network driver publishes no devices', async () => {
    const file = derivedScenario('dranet-class-only-1.36', '1.36', ['kind-example-dra-1.36'], {
      objects: [
        {
          apiVersion: 'resource.k8s.io/v1',
          kind: 'DeviceClass',
          metadata: { name: 'dranet.net' },
          spec: { selectors: [{ cel: { expression: 'device.driver == "dra.net"' } }] },
        },
      ],
    });
    const run = await runProbeOnScenario(highPerformanceNetworkingProbe, file);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('DeviceClass dranet.net selects driver dra.net, which publishes no ResourceSlice with devices');
    expectClean(run);
  });

  it('asks for manual evidence when only Multus attaches extra networks', async () => {
    const file = derivedScenario('multus-1.36', '1.36', ['kind-example-dra-1.36'], { objects: [MULTUS_CRD] });
    const run = await runProbeOnScenario(highPerformanceNetworkingProbe, file);
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain('k8s.v1.cni.cncf.io/network-status');
    expectClean(run);
  });

  it('is not applicable where no specialised network device is offered', async () => {
    const run = await runProbeOnScenario(highPerformanceNetworkingProbe, scenarioPath('kind-example-dra-1.36'));
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expect(run.result.reason).toContain('no specialised network devices are exposed');
    expectClean(run);
  });
});
