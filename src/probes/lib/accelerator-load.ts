// A short accelerator workload whose utilisation must then show in the metrics: the vendor's own
// load generator, in a pod that asks for one accelerator the way the run's profile does.
//
// NVIDIA: dcgmproftester from NVIDIA's DCGM image (nvcr.io/nvidia/cloud-native/dcgm, the image the
// GPU Operator deploys as nvidia-dcgm), the CUDA test generator of NVIDIA's DCGM user guide, in
// load-only mode: `dcgmproftesterNN --no-dcgm-validation -t 1004 -d SECONDS` keeps the tensor
// cores busy (field 1004, DCGM_FI_PROF_PIPE_TENSOR_ACTIVE) for SECONDS without asking DCGM to
// validate it. What the probe relies on, as NVIDIA/DCGM v4.5.2 has it (commit
// 0869351a7d89ff24e68c93b92a50d981cea15580):
//   - the image (docker/Dockerfile.ubuntu22.04) installs datacenter-gpu-manager-4-cuda12 and -cuda13,
//     which hold /usr/bin/dcgmproftester12 and /usr/bin/dcgmproftester13
//     (scripts/verify_package_contents/datacenter-gpu-manager-cuda1{2,3}_amd64.deb.txt); older
//     images also had dcgmproftester11. The pod tries them newest first;
//   - each binary refuses a driver of another CUDA major (dcgmproftester/DcgmProfTester.cpp main():
//     "Wrong version of dcgmproftester is used. Expected Cuda version is N. Installed Cuda version
//     is M.", status DCGM_ST_VER_MISMATCH -12, exit 244), except the newest build on a newer
//     driver ("Running version 13 binary with CUDA driver version M."); only 244 moves on to the
//     next binary, any other status is the run's own;
//   - it starts DCGM embedded even with --no-dcgm-validation (DcgmProfTester::Init), and DCGM
//     refuses a non-root user when a GPU is in MIG mode (dcgmlib/src/DcgmCacheManager.cpp,
//     DCGM_ST_REQUIRES_ROOT -29, printed "CacheManager Init Failed. Error: -29" by
//     DcgmHostEngineHandler.cpp; NVIDIA/DCGM issues #79 and #102 show it for non-root runs on MIG
//     A100s and a root run working). Nothing in dcgmproftester itself asks for a capability with
//     --no-dcgm-validation (no geteuid or capability check in dcgmproftester/);
//   - while it loads it prints one line per second from its tick handler
//     (dcgmproftester/PhysicalGpu.cpp): "Worker G:W [1004]: TensorEngineActive:  generated ???,
//     dcgm V (X gflops)."; the "Skipping CreateDcgmGroups() since DCGM validation is disabled"
//     line older releases printed is an info log line in 4.5 (console severity is warning), so it
//     is no sign of load.
// The restricted container runs as a non-root user: it loads whole GPUs, and is refused on MIG.
// With accelerator-metrics.load-privileged the container runs as root with CAP_SYS_ADMIN, as
// NVIDIA's GPU-sharing example runs dcgmproftester (NVIDIA/cloud-native-docs
// gpu-operator/gpu-sharing.rst, commit 04d43c1f2829c8dff471f80876260d456a2dc1e9: capabilities add
// SYS_ADMIN, the image's root user), never `privileged: true`, which hands the container every
// device of the node. NVIDIA's container toolkit counts CAP_SYS_ADMIN in the
// bounding set as privileged (NVIDIA/nvidia-container-toolkit internal/config/image/privileged.go,
// commit b5bea4839aba471ddd0f9c430e55739cb24c8eea), so it then honours the image's
// NVIDIA_VISIBLE_DEVICES=all where the device plugin does not set the variable itself: the probe
// checks that the container still saw exactly one accelerator.
// Before the load the pod prints the UUIDs it was given (the profile's device-list script) and
// `nvidia-smi -L` (a MIG instance's parent GPU and profile), so the device can be found in the
// metrics where the exporter names no pod.
// Other vendors: no load generator with a published image and a duration flag is known to the
// probe, so the check says so instead of passing.

import type { V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { escapeLogLine } from '../../report/escape.js';
import type { AcceleratorProfile, ProbeContext } from '../types.js';
import { NVIDIA_DEVICE_SCRIPT } from '../profiles.js';
import type { AcceleratorRequest } from './accelerator.js';
import { ACCELERATOR_REQUEST } from './dra.js';
import { RESTRICTED_CONTAINER, restrictedContainer, restrictedPod } from './probe-pod.js';

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

/** Prefix of the line the load pod prints with `nvidia-smi -L` (lines joined by ";"). */
export const SMI_PREFIX = 'AI_CONFORMANCE_SMI ';
/** The line the load pod prints when every dcgmproftester of the image refused the driver. */
export const NO_GENERATOR = 'AI_CONFORMANCE_LOAD no dcgmproftester of this image runs with this CUDA driver';
/** dcgmproftester's exit status for DCGM_ST_VER_MISMATCH (-12): built for another CUDA major. */
const VERSION_MISMATCH_EXIT = 244;

/**
 * The load container's security context: the restricted one, or (load-privileged) root with
 * CAP_SYS_ADMIN only. Kubernetes rejects allowPrivilegeEscalation: false beside CAP_SYS_ADMIN.
 */
function loadSecurity(privileged: boolean): V1SecurityContext {
  if (!privileged) return RESTRICTED_CONTAINER;
  return {
    runAsNonRoot: false,
    runAsUser: 0,
    capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The pod that loads one accelerator for `seconds`, asking for it as `asked` says. */
export function nvidiaLoadPod(ctx: ProbeContext, name: string, asked: AcceleratorRequest, seconds: number, privileged = false): V1Pod {
  const byClaim = asked.claimTemplateName !== undefined;
  const resource = ctx.profile.resourceName;
  if (!byClaim && !resource) throw new Error(`accelerator profile ${ctx.profile.name} names no extended resource`);
  const load = [
    NVIDIA_DEVICE_SCRIPT,
    `echo "${SMI_PREFIX}$(nvidia-smi -L 2>/dev/null | tr '\\n' ';')"`,
    // dcgmproftester writes its log to the working directory; only /tmp is writable to a non-root user.
    'cd /tmp',
    'for t in dcgmproftester13 dcgmproftester12 dcgmproftester11; do',
    '  command -v "$t" >/dev/null 2>&1 || continue',
    `  "$t" --no-dcgm-validation -t 1004 -d ${seconds}`,
    '  rc=$?',
    `  [ "$rc" -eq ${VERSION_MISMATCH_EXIT} ] || exit "$rc"`,
    'done',
    `echo "${NO_GENERATOR}"`,
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
  container.securityContext = loadSecurity(privileged);
  return restrictedPod(ctx, name, {
    tolerations: ctx.profile.tolerations,
    containers: [container],
    ...(byClaim ? { resourceClaims: [{ name: ACCELERATOR_REQUEST, resourceClaimTemplateName: asked.claimTemplateName }] } : {}),
  });
}

/** How far the load generator got, from its log. */
export type LoadProgress = { state: 'generating'; line: string } | { state: 'refused'; why: string; hint: string } | { state: 'starting' };

/** A tick line of the tensor test: dcgmproftester is loading the device. */
const GENERATING = /^Worker \d+:\d+ ?\[1004\]: TensorEngineActive:\s+generated\b.*$/m;

/** Refusals dcgmproftester and DCGM print, each with what the user can do. */
const REFUSALS: { pattern: RegExp; why: string; hint: string }[] = [
  {
    pattern: /CacheManager Init Failed\. Error: -29\b|DCGM must be run as root|Profiling requires running as root/,
    why: 'DCGM refused to start as a non-root user (DCGM_ST_REQUIRES_ROOT; it requires root on GPUs in MIG mode)',
    hint: 'run again with --probe-option accelerator-metrics.load-privileged=true (the load container then runs as root with CAP_SYS_ADMIN; the probe namespace is labelled for the privileged Pod Security level)',
  },
  {
    pattern:
      /DCGM found 0 GPUs|no CUDA-capable device|cuInit returned|libcuda\.so[.\d]*: cannot open shared object file|Unable to validate Cuda version/,
    why: 'the load generator found no CUDA device in its container',
    hint: "check that the accelerator given to the pod reaches the container (the NVIDIA container runtime is the node's runtime, or CDI is enabled)",
  },
  {
    pattern: /^AI_CONFORMANCE_LOAD no dcgmproftester/m,
    why: "no dcgmproftester of the load image runs with the CUDA version of the node's driver",
    hint: "give a DCGM image built for the driver's CUDA major with --image nvidia-dcgm-load=REF (DCGM 4.x images carry CUDA 12 and 13 builds)",
  },
];

/**
 * How far the generator in the load container got, from its log: generating (a tick line of the
 * tensor test), refused (a refusal DCGM or the pod's script prints), or still starting.
 */
export function loadProgress(log: string): LoadProgress {
  const line = GENERATING.exec(log)?.[0];
  if (line !== undefined) return { state: 'generating', line: line.trim() };
  for (const refusal of REFUSALS) if (refusal.pattern.test(log)) return { state: 'refused', why: refusal.why, hint: refusal.hint };
  return { state: 'starting' };
}

/** A MIG instance as `nvidia-smi -L` shows it in the load container: its parent GPU and profile. */
export interface MigSeen {
  uuid: string;
  parent: string;
  profile: string;
}

/** The MIG instances the load pod's `nvidia-smi -L` line shows, each under its parent GPU. */
export function migSeen(log: string): MigSeen[] {
  const line = log
    .split('\n')
    .map((text) => text.trim())
    .filter((text) => text.startsWith(SMI_PREFIX.trim()))
    .pop();
  if (line === undefined) return [];
  const out: MigSeen[] = [];
  let parent: string | undefined;
  for (const entry of line.slice(SMI_PREFIX.trim().length).split(';')) {
    const gpu = /^\s*GPU \d+:.*\(UUID:\s*(GPU-[0-9a-fA-F-]+)\)/.exec(entry);
    if (gpu) {
      parent = gpu[1];
      continue;
    }
    const mig = /^\s*MIG\s+(\S+)\s+Device\s+\d+:\s*\(UUID:\s*(MIG-[0-9a-fA-F-]+)\)/.exec(entry);
    if (mig && parent) out.push({ uuid: mig[2], parent, profile: mig[1] });
  }
  return out;
}

/** The last `count` lines of a log, for a reason: secrets redacted, control characters shown, one line. */
export function logTail(log: string, count = 6): string {
  const lines = log
    .split('\n')
    .map((text) => text.trimEnd())
    .filter((text) => text !== '' && !text.startsWith('AI_CONFORMANCE_'));
  return escapeLogLine(lines.slice(-count).join('\n'));
}
