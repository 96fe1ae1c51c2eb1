// dra_support: Dynamic Resource Allocation works end to end. Test plan (the requirement's own:
// "verify that all the resource.k8s.io DRA API resources are enabled", then, where a DRA driver
// is installed, that it really allocates):
//   1. resource.k8s.io is served in the version this Kubernetes release must serve
//      (v1 from 1.34; v1beta1 or v1beta2 on 1.33), with its four kinds;
//   2. the accelerator profile's DeviceClass exists (or, for a device-plugin profile, a
//      DeviceClass of another mechanism detection found, or any). No DeviceClass at all: no DRA
//      driver is installed; the evidence says allocation was not tested, and the MUST (the APIs)
//      is met;
//   3. a driver publishes ResourceSlices with devices;
//   4. a claim generated from a ResourceClaimTemplate is allocated for a pod;
//   5. the pod using the claim runs.

import type { V1Pod } from '@kubernetes/client-node';
import { WaitTimeout, type Page } from '../kube/types.js';
import { CheckFailure, defineProbe, type ProbeContext, type Saw } from './types.js';
import {
  allocatedDevices,
  claimTemplate,
  driverOfDeviceClass,
  servedDra,
  type DeviceClassObject,
  type ResourceClaimObject,
  type ResourceSliceObject,
} from './lib/dra.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, probePod, unschedulableReason, waitForPod } from './lib/probe-pod.js';
import { unschedulableFails } from './lib/verdicts.js';

const DRA_KINDS = ['deviceclasses', 'resourceclaims', 'resourceclaimtemplates', 'resourceslices'];
const CLAIM_TIMEOUT_MS = 120_000;
const POD_TIMEOUT_MS = 180_000;
const TEMPLATE = 'dra-support-accelerator';
const POD = 'dra-support-consumer';
/** Enough slices to show the driver publishes; more are not needed and would cost per node. */
const SLICE_PAGE = 50;

export const draSupportProbe = defineProbe({
  id: 'dra_support',
  versions: ['1.33', '1.34', '1.35'],
  shares: ['accelerators'],
  // Above its own waits (claim allocated 120 s, pod running 180 s), so they report, not the timeout.
  timeoutMs: 6 * 60_000,
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const { kube } = ctx;
    const version = ctx.options.kubernetesVersion;

    const apiVersion = await ctx.step('resource.k8s.io is served in the required version', async () => {
      const dra = await servedDra(kube);
      const list = dra.served.join(', ') || 'none';
      if (version !== '1.33' && !dra.served.includes('v1')) {
        throw new CheckFailure(`Kubernetes ${version} must serve resource.k8s.io/v1; the server serves: ${list}`);
      }
      if (!dra.apiVersion) throw new CheckFailure(`resource.k8s.io is not served (versions served: ${list})`);
      const resources = (await kube.resources(dra.apiVersion)) ?? [];
      const names = new Set(resources.map((resource) => resource.name));
      const missing = DRA_KINDS.filter((kind) => !names.has(kind));
      if (missing.length > 0) throw new CheckFailure(`${dra.apiVersion} does not serve ${missing.join(', ')}`);
      return { seen: `serves ${list}; using ${dra.apiVersion} (${DRA_KINDS.join(', ')})`, value: dra.apiVersion };
    });

    if (
      !ctx.profile.deviceClassName &&
      (await kube.listPage<DeviceClassObject>({ apiVersion, kind: 'DeviceClass' }, { limit: 1 })).items.length === 0
    ) {
      ctx.observe(
        `no DRA driver is installed (no DeviceClass; accelerators here use the device plugin ${ctx.profile.resourceName ?? '?'}): allocation through DRA was not tested. The requirement asks that the resource.k8s.io APIs are served, which they are`,
      );
      return;
    }
    const deviceClass = await ctx.step('the accelerator DeviceClass exists', () => chooseDeviceClass(ctx, apiVersion));

    await ctx.step('ResourceSlices are published', async () => {
      // One page, filtered by driver on the server: the cost does not grow with the cluster.
      const ours = await slicePage(ctx, apiVersion, deviceClass.driver);
      const devices = ours.items.reduce((sum, slice) => sum + (slice.spec?.devices?.length ?? 0), 0);
      const who = deviceClass.driver
        ? `driver ${deviceClass.driver}`
        : `any driver (DeviceClass ${deviceClass.name} names none, so slices of every driver were counted)`;
      if (ours.items.length === 0 || devices === 0) {
        const others = deviceClass.driver
          ? [...new Set((await slicePage(ctx, apiVersion, undefined)).items.map((slice) => slice.spec?.driver ?? '?'))]
          : [];
        throw new CheckFailure(
          `no ResourceSlice with devices published by ${who}` +
            (others.length > 0 ? ` (slices seen from: ${others.join(', ')})` : deviceClass.driver ? ' (no ResourceSlice at all)' : ''),
        );
      }
      const nodes = new Set(ours.items.map((slice) => slice.spec?.nodeName ?? slice.spec?.pool?.name ?? '?'));
      const atLeast = ours.more ? 'at least ' : '';
      return `${atLeast}${ours.items.length} ResourceSlice(s) from ${who} list ${atLeast}${devices} device(s) on ${nodes.size} node(s)/pool(s)`;
    });

    await ctx.step('a claim from a ResourceClaimTemplate is allocated', async () => {
      await kube.create(claimTemplate(apiVersion, TEMPLATE, deviceClass.name, kube.runId));
      const pod = await kube.create<V1Pod>(
        // The pod holds its device until deleted: a pod that finished would release the claim
        // before the allocation could be seen.
        probePod(ctx, {
          name: POD,
          claimTemplateName: TEMPLATE,
          holdDevice: true,
          containers: [{ name: 'consumer', withAccelerator: true }],
        }),
      );
      const started = ctx.clock.now();
      const claim = await kube
        .waitFor<ResourceClaimObject>(
          { apiVersion, kind: 'ResourceClaim', namespace: ctx.namespace },
          (candidate) => ownedByPod(candidate, pod) && candidate.status?.allocation !== undefined,
          { description: `the claim of pod ${POD} allocated`, timeoutMs: CLAIM_TIMEOUT_MS },
        )
        .catch(async (error: unknown) => {
          if (error instanceof WaitTimeout) {
            const reason = unschedulableReason(
              await kube.get<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: POD }),
            );
            if (reason !== undefined) throw new CheckFailure(`the claim was not allocated; pod ${POD} is unschedulable: ${reason}`);
          }
          throw error;
        });
      const seconds = ((ctx.clock.now() - started) / 1000).toFixed(1);
      return `claim ${claim.metadata?.name ?? '?'} from template ${TEMPLATE} (DeviceClass ${deviceClass.name}) allocated ${allocatedDevices(claim).join(', ') || 'no device'} in ${seconds}s`;
    });

    await ctx.step('a pod using the claim runs', async () => {
      const pod = await waitForPod(ctx, POD, 'running', POD_TIMEOUT_MS).catch(unschedulableFails);
      await kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: POD }); // frees the device for other probes at once
      return `pod ${POD} ${pod.status?.phase ?? '?'} on node ${pod.spec?.nodeName ?? '?'} with the claimed device`;
    });
  },
});

interface ChosenClass {
  name: string;
  driver?: string;
}

/** The DeviceClass to claim from: the profile's, or (extended-resource profiles) any one present. */
async function chooseDeviceClass(ctx: ProbeContext, apiVersion: string): Promise<Saw<ChosenClass>> {
  const { profile, kube } = ctx;
  if (profile.deviceClassName) {
    const found = await kube.get<DeviceClassObject>({ apiVersion, kind: 'DeviceClass', name: profile.deviceClassName });
    if (!found) {
      const present = (await kube.list<DeviceClassObject>({ apiVersion, kind: 'DeviceClass' })).map((c) => c.metadata?.name);
      throw new CheckFailure(
        `DeviceClass ${profile.deviceClassName} (accelerator profile ${profile.name}) does not exist; DeviceClasses present: ${present.join(', ') || 'none'}`,
      );
    }
    const driver = profile.driver ?? driverOfDeviceClass(found);
    return {
      value: { name: profile.deviceClassName, driver },
      seen: `DeviceClass ${profile.deviceClassName} exists${driver ? ` (driver ${driver})` : ''}`,
    };
  }
  const classes = await kube.list<DeviceClassObject>({ apiVersion, kind: 'DeviceClass' });
  // A DRA mechanism detection found beside the device plugin comes first.
  const detected = (profile.alternatives ?? []).map((p) => p.deviceClassName).find((name) => name !== undefined);
  const first =
    classes.find((deviceClass) => deviceClass.metadata?.name === detected) ?? classes.find((deviceClass) => deviceClass.metadata?.name);
  if (!first?.metadata?.name) {
    throw new CheckFailure(
      `accelerator profile ${profile.name} uses the extended resource ${profile.resourceName ?? '?'} and the cluster has no DeviceClass, so no device can be claimed through DRA`,
    );
  }
  const driver = driverOfDeviceClass(first);
  return {
    value: { name: first.metadata.name, driver },
    seen: `profile ${profile.name} names no DeviceClass; using DeviceClass ${first.metadata.name}${driver ? ` (driver ${driver})` : ''} of ${classes.length}`,
  };
}

/** One page of ResourceSlices (of `driver` when known), and whether the server holds more. */
function slicePage(ctx: ProbeContext, apiVersion: string, driver: string | undefined): Promise<Page<ResourceSliceObject>> {
  return ctx.kube.listPage<ResourceSliceObject>(
    { apiVersion, kind: 'ResourceSlice' },
    { limit: SLICE_PAGE, ...(driver ? { fieldSelector: `spec.driver=${driver}` } : {}) },
  );
}

function ownedByPod(claim: ResourceClaimObject, pod: V1Pod): boolean {
  return (claim.metadata?.ownerReferences ?? []).some(
    (owner) => owner.kind === 'Pod' && (owner.uid === pod.metadata?.uid || owner.name === pod.metadata?.name),
  );
}
