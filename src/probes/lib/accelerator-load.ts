// A short accelerator workload whose utilisation must then show in the metrics: the vendor's own
// load generator, in a pod that asks for one accelerator the way the run's profile does.
//
// NVIDIA: dcgmproftester from NVIDIA's DCGM image (nvcr.io/nvidia/cloud-native/dcgm, the image the
// GPU Operator deploys as nvidia-dcgm), the CUDA test generator of NVIDIA's DCGM user guide, in
// load-only mode: `dcgmproftester12 --no-dcgm-validation -t 1004 -d SECONDS` keeps the tensor
// cores busy (field 1004, DCGM_FI_PROF_PIPE_TENSOR_ACTIVE) for SECONDS without asking DCGM to
// validate it. The image ships one binary per CUDA major (dcgmproftester11/12/13) and each refuses
// a driver of another CUDA major ("Wrong version of dcgmproftester is used"), so the pod tries
// them newest first. Before the load it prints the UUIDs it was given (the profile's device-list
// script), so the device can be found in the metrics by UUID where the exporter names no pod.
// Other vendors: no load generator with a published image and a duration flag is known to the
// probe, so the check says so instead of passing.

import type { V1Pod } from '@kubernetes/client-node';
import type { AcceleratorProfile, ProbeContext } from '../types.js';
import { NVIDIA_DEVICE_SCRIPT } from '../profiles.js';
import type { AcceleratorRequest } from './accelerator.js';
import { ACCELERATOR_REQUEST } from './dra.js';
import { restrictedContainer, restrictedPod } from './probe-pod.js';

export const NVIDIA_LOAD_IMAGE = 'nvidia-dcgm-load';
export const NVIDIA_LOAD_DEFAULT = 'nvcr.io/nvidia/cloud-native/dcgm:4.5.2-1-ubuntu22.04';
export const LOAD_CONTAINER = 'load';

/** The vendor of the profile's accelerators, by its resource, driver or DeviceClass name. */
export function vendorOf(profile: AcceleratorProfile): string {
  const name = profile.resourceName ?? profile.driver ?? profile.deviceClassName ?? profile.name;
  if (['nvidia', 'nvidia-dra'].includes(profile.name) || /nvidia\.com/.test(name)) return 'NVIDIA';
  if (/amd\.com/.test(name)) return 'AMD';
  if (/intel\.com/.test(name)) return 'Intel';
  if (/habana\.ai/.test(name)) return 'Intel Gaudi';
  if (/google\.com\/tpu|tpu\.google\.com/.test(name)) return 'Google TPU';
  if (/aws\.amazon\.com\/neuron/.test(name)) return 'AWS Neuron';
  return name;
}

/** Why no load can be run on the profile's accelerators, or undefined when it can. */
export function whyNoLoad(profile: AcceleratorProfile): string | undefined {
  if (profile.name === 'example' || profile.driver === 'gpu.example.com' || profile.deviceClassName === 'gpu.example.com') {
    return "the accelerators are simulated (dra-example-driver's gpu.example.com devices run no workload, so no utilisation can rise)";
  }
  const vendor = vendorOf(profile);
  if (vendor !== 'NVIDIA') {
    return `no load generator is known for ${vendor} accelerators (${profile.resourceName ?? profile.deviceClassName ?? profile.name}); only NVIDIA's dcgmproftester is`;
  }
  return undefined;
}

/** The pod that loads one accelerator for `seconds`, asking for it as `asked` says. */
export function nvidiaLoadPod(ctx: ProbeContext, name: string, asked: AcceleratorRequest, seconds: number): V1Pod {
  const byClaim = asked.claimTemplateName !== undefined;
  const resource = ctx.profile.resourceName;
  if (!byClaim && !resource) throw new Error(`accelerator profile ${ctx.profile.name} names no extended resource`);
  const load = [
    NVIDIA_DEVICE_SCRIPT,
    // dcgmproftester writes its log to the working directory; only /tmp is writable to a non-root user.
    'cd /tmp',
    'for t in dcgmproftester13 dcgmproftester12 dcgmproftester11; do',
    '  command -v "$t" >/dev/null 2>&1 || continue',
    `  "$t" --no-dcgm-validation -t 1004 -d ${seconds} && exit 0`,
    'done',
    'echo "no dcgmproftester of this image ran on this driver"',
    'exit 1',
  ].join('\n');
  const container = restrictedContainer({
    name: LOAD_CONTAINER,
    image: ctx.images.resolve(NVIDIA_LOAD_IMAGE),
    script: load,
    // A CUDA context and cuBLAS need far more host memory than a probe shell.
    limits: { cpu: '1', memory: '2Gi', ...(byClaim || !resource ? {} : { [resource]: '1' }) },
    claims: byClaim ? [ACCELERATOR_REQUEST] : [],
  });
  return restrictedPod(ctx, name, {
    tolerations: ctx.profile.tolerations,
    containers: [container],
    ...(byClaim ? { resourceClaims: [{ name: ACCELERATOR_REQUEST, resourceClaimTemplateName: asked.claimTemplateName }] } : {}),
  });
}
