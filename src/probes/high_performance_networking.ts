// high_performance_networking: specialised network devices are managed and exposed so that their
// characteristics are discoverable and pods can attach to more than one interface, through DRA
// as the requirement prefers (DRANET, driver dra.net). Test plan:
//   1. network devices are exposed: a DeviceClass of a network DRA driver (dra.net, or any driver
//      whose devices carry network interface attributes: ifName, mac, mtu, rdma…, read from one
//      small page of its slices) with ResourceSlices listing devices;
//   2. their characteristics are discoverable: devices carry interface attributes (ifName,
//      pciAddress, numaNode, rdma, mtu, …) a workload can select on;
//   3. a pod that claims one interface gets it as a second interface beside its primary one.
// Not applicable when the cluster offers no specialised network device and no multi-network
// mechanism (the requirement applies "if high performance pod-to-pod communication is needed");
// manual when only a non-DRA mechanism (Multus) is installed.

import type { V1Pod } from '@kubernetes/client-node';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration } from './options.js';
import { claimTemplate, driverOfDeviceClass, requireDraApiVersion, servedDra, type DeviceClassObject } from './lib/dra.js';
import { attributeNames, attributeText, slicePage, type AttributedSlice, type SliceDevice } from './lib/device-attributes.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, waitForPod } from './lib/probe-pod.js';
import { SHELL_CONTAINER, lineValue, shellPod } from './lib/shell-pod.js';
import { unschedulableFails } from './lib/verdicts.js';

/** Network drivers known by name; any other driver qualifies by its devices' attributes. */
const NETWORK_DRIVERS = ['dra.net'];
/** Attributes only a network interface carries (not pciAddress or numaNode, which GPUs have too). */
const NETWORK_ONLY_ATTRIBUTES = ['ifName', 'mac', 'mtu', 'rdma', 'rdmaDevice', 'sriov'];
/** Slices read per unknown driver to see whether its devices are interfaces. */
const SNIFF_PAGE = 5;
/** The most unknown drivers looked at (one request each), whatever the number of DeviceClasses. */
const MAX_SNIFFED_DRIVERS = 8;
/** Attributes that make a device a network interface a workload can reason about. */
const INTERFACE_ATTRIBUTES = ['ifName', 'pciAddress', 'mac', 'numaNode', 'rdma', 'rdmaDevice', 'mtu', 'pciVendor', 'pciDevice', 'sriov'];
const TEMPLATE = 'hpn-interface';
const POD = 'hpn-second-interface';
const NET_LINE = 'AI_CONFORMANCE_NET';
const SLICE_PAGE = 50;
const MULTUS_GROUP = 'k8s.cni.cncf.io';

interface NetworkClass {
  deviceClass: string;
  driver: string;
}

interface ChosenInterface {
  node: string;
  device: SliceDevice & { name: string };
  ifName: string;
}

export const highPerformanceNetworkingProbe = defineProbe({
  id: 'high_performance_networking',
  timeoutMs: 5 * 60_000,
  options: {
    'high-performance-networking.pod-ms': duration(
      180_000,
      'how long the pod that claims an interface may take to run and list its interfaces',
    ),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const dra = await servedDra(ctx.kube);
    const classes = dra.apiVersion ? await networkClasses(ctx, dra.apiVersion) : [];
    if (classes.length === 0) {
      const multus = (await ctx.kube.groupVersions(MULTUS_GROUP)).length > 0;
      if (multus) {
        ctx.manual(
          `network devices are attached through Multus (${MULTUS_GROUP} NetworkAttachmentDefinitions), not DRA: attach a NetworkAttachmentDefinition for the high-performance network, a pod using it, and that pod's k8s.v1.cni.cncf.io/network-status annotation listing its second interface`,
        );
      }
      ctx.notApplicable(
        `no specialised network devices are exposed: no DeviceClass of a network DRA driver (${NETWORK_DRIVERS.join(', ')}, or one whose devices carry ${NETWORK_ONLY_ATTRIBUTES.join('/')} attributes)${dra.apiVersion ? '' : ' (resource.k8s.io is not served)'} and no multi-network mechanism (${MULTUS_GROUP})`,
      );
    }
    const apiVersion = await requireDraApiVersion(ctx.kube);
    const network = classes[0];

    const slices = await ctx.step('network devices are exposed through DRA', async () => {
      const page = await slicePage(ctx.kube, apiVersion, { driver: network.driver }, SLICE_PAGE);
      const slices = page.slices;
      const devices = slices.reduce((sum, slice) => sum + (slice.spec?.devices?.length ?? 0), 0);
      const nodes = new Set(slices.map((slice) => slice.spec?.nodeName ?? slice.spec?.pool?.name ?? '?'));
      if (devices === 0)
        throw new CheckFailure(
          `DeviceClass ${network.deviceClass} selects driver ${network.driver}, which publishes no ResourceSlice with devices`,
        );
      const atLeast = page.more ? 'at least ' : '';
      return {
        seen: `DeviceClass ${network.deviceClass} (driver ${network.driver}); ${atLeast}${devices} device(s) on ${atLeast}${nodes.size} node(s)`,
        value: slices,
      };
    });

    const chosen = await ctx.step('their characteristics are discoverable', async () => {
      const devices = slices.flatMap((slice) => slice.spec?.devices ?? []);
      const described = devices.filter((device) => interfaceAttributes(device, network.driver).length > 0);
      if (described.length === 0) {
        const names = [...new Set(devices.flatMap((device) => attributeNames(device, network.driver)))];
        throw new CheckFailure(
          `devices of driver ${network.driver} carry no interface attributes (${INTERFACE_ATTRIBUTES.join(', ')}); attributes seen: ${names.join(', ') || 'none'}`,
        );
      }
      const chosen = chooseInterface(slices, network.driver);
      const rdma = described.filter((device) => attributeText(device, network.driver, 'rdma') === 'true').length;
      const example = describeDevice(chosen?.device ?? described[0], network.driver);
      return { seen: `${described.length} device(s) describe their interface (${rdma} RDMA-capable), e.g. ${example}`, value: chosen };
    });
    if (!chosen)
      return ctx.manual(
        `driver ${network.driver} publishes no named interface on a node to claim (devices have no ifName): attach a pod that claims one of its devices and the interfaces it sees (ip link)`,
      );
    const target = chosen;

    await ctx.check('a pod gets a second interface from a claim', async () => {
      // The claim asks for that very interface (by name), and the pod goes to its node.
      const template = claimTemplate(apiVersion, TEMPLATE, network.deviceClass, ctx.kube.runId) as ReturnType<typeof claimTemplate> & {
        spec: { spec: { devices: { requests: Record<string, unknown>[] } } };
      };
      const request = template.spec.spec.devices.requests[0];
      // Both strings come from the cluster: quoted as CEL string literals, never spliced in raw.
      const selectors = [{ cel: { expression: `device.attributes[${celString(network.driver)}].ifName == ${celString(target.ifName)}` } }];
      if (request.exactly && typeof request.exactly === 'object') (request.exactly as Record<string, unknown>).selectors = selectors;
      else request.selectors = selectors;
      await ctx.kube.create(template);
      const pod: V1Pod = shellPod(ctx, {
        name: POD,
        node: target.node,
        claim: 'interface',
        hold: true,
        script: `echo "${NET_LINE} $(ls /sys/class/net 2>/dev/null | tr '\\n' ' ')"`,
        spec: {
          resourceClaims: [{ name: 'interface', resourceClaimTemplateName: TEMPLATE }],
          tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }],
        },
      });
      await ctx.kube.create(pod);
      try {
        const running = await waitForPod(ctx, POD, 'printed', ctx.option('high-performance-networking.pod-ms')).catch(unschedulableFails);
        const log = await ctx.kube.podLogs(ctx.namespace, POD, SHELL_CONTAINER);
        const seen = (lineValue(log, NET_LINE) ?? '').split(/\s+/).filter((name) => name !== '' && name !== 'lo');
        const where = `on node ${running.spec?.nodeName ?? '?'}`;
        if (!seen.includes(target.ifName)) {
          throw new CheckFailure(
            `the pod was given interface ${target.ifName} (device ${target.device.name}) ${where} but sees only ${seen.join(', ') || 'no interface'}`,
          );
        }
        if (seen.length < 2)
          throw new CheckFailure(`the pod ${where} sees only ${seen.join(', ')}: the claimed interface replaced its primary one`);
        return `the pod ${where} sees ${seen.join(', ')}: its primary interface and ${target.ifName} from device ${target.device.name}`;
      } finally {
        await ctx.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: POD });
      }
    });
  },
});

function interfaceAttributes(device: SliceDevice, driver: string): string[] {
  return INTERFACE_ATTRIBUTES.filter((name) => attributeText(device, driver, name) !== undefined);
}

/** DeviceClasses of a network driver: one known by name first, then drivers whose devices are interfaces. */
async function networkClasses(ctx: ProbeContext, apiVersion: string): Promise<NetworkClass[]> {
  const classes = (await ctx.kube.listPage<DeviceClassObject>({ apiVersion, kind: 'DeviceClass' }, { limit: 200 })).items
    .map((deviceClass) => ({ deviceClass: deviceClass.metadata?.name ?? '', driver: driverOfDeviceClass(deviceClass) ?? '' }))
    .filter((c) => c.deviceClass !== '' && c.driver !== '');
  const unknown = [...new Set(classes.map((c) => c.driver).filter((driver) => !NETWORK_DRIVERS.includes(driver)))].slice(
    0,
    MAX_SNIFFED_DRIVERS,
  );
  const interfaceDrivers = new Set<string>();
  for (const driver of unknown) {
    const page = await slicePage(ctx.kube, apiVersion, { driver }, SNIFF_PAGE);
    const devices = page.slices.flatMap((slice) => slice.spec?.devices ?? []);
    if (devices.some((device) => NETWORK_ONLY_ATTRIBUTES.some((name) => attributeText(device, driver, name) !== undefined)))
      interfaceDrivers.add(driver);
  }
  return [...classes.filter((c) => NETWORK_DRIVERS.includes(c.driver)), ...classes.filter((c) => interfaceDrivers.has(c.driver))];
}

/** A CEL string literal for any text (JSON's escapes are CEL's: \", \\, \n, \uXXXX). */
function celString(text: string): string {
  return JSON.stringify(text);
}

/** An interface device to claim: one with a name, on a node, preferring RDMA-capable ones. */
function chooseInterface(slices: AttributedSlice[], driver: string): ChosenInterface | undefined {
  const candidates = slices.flatMap((slice) =>
    (slice.spec?.devices ?? [])
      .filter(
        (device): device is SliceDevice & { name: string } =>
          typeof device.name === 'string' &&
          attributeText(device, driver, 'ifName') !== undefined &&
          attributeText(device, driver, 'virtual') !== 'true',
      )
      .flatMap((device) => {
        const ifName = attributeText(device, driver, 'ifName');
        return ifName === undefined ? [] : [{ node: slice.spec?.nodeName ?? '', device, ifName }];
      }),
  );
  const onNode = candidates.filter((c) => c.node !== '');
  return onNode.find((c) => attributeText(c.device, driver, 'rdma') === 'true') ?? onNode[0];
}

function describeDevice(device: SliceDevice, driver: string): string {
  const shown = interfaceAttributes(device, driver).map((name) => `${name}=${attributeText(device, driver, name) ?? ''}`);
  return `${device.name ?? '?'} (${shown.join(', ')})`;
}
