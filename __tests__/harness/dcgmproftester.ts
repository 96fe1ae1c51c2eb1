// NVIDIA's CUDA load generator as the fake kubelet runs it: what `dcgmproftesterNN
// --no-dcgm-validation -t 1004 -d SECONDS` prints and exits with inside a container of NVIDIA's
// DCGM image (nvcr.io/nvidia/cloud-native/dcgm:4.5.2-1-ubuntu22.04). Modelled on NVIDIA/DCGM at
// v4.5.2 (commit 0869351a7d89ff24e68c93b92a50d981cea15580):
//   - docker/Dockerfile.ubuntu22.04 installs datacenter-gpu-manager-4-cuda12 and -cuda13 only, whose
//     packages hold /usr/bin/dcgmproftester12 and /usr/bin/dcgmproftester13
//     (scripts/verify_package_contents/datacenter-gpu-manager-cuda1{2,3}_amd64.deb.txt): no 11;
//   - dcgmproftester/DcgmProfTester.cpp main(): the embedded DCGM starts first (Init ->
//     dcgmStartEmbedded), then the CUDA driver's major version must equal the binary's
//     (CUDA_VERSION_USED) unless the driver is newer than the newest build (13,
//     common/DcgmBuildInfo.hpp MAX_CUDA_MAJOR_VERSION), else it prints "Wrong version of
//     dcgmproftester is used. Expected Cuda version is N. Installed Cuda version is M." and returns
//     DCGM_ST_VER_MISMATCH (-12: exit status 244);
//   - dcgmlib/src/DcgmCacheManager.cpp: on a GPU in MIG mode the engine refuses a non-root euid
//     (DCGM_ST_REQUIRES_ROOT, -29); DcgmHostEngineHandler.cpp prints "CacheManager Init Failed.
//     Error: -29", dcgmStartEmbedded returns DCGM_ST_INIT_ERROR (-7) and main returns it (exit 249).
//     NVIDIA/DCGM issues #79 and #102 show exactly this for non-root runs on MIG A100s;
//   - dcgmproftester/PhysicalGpu.cpp (the tensor test's tick handler): once loading, one line per
//     reporting interval (1 s) "Worker G:W [1004]: TensorEngineActive:  generated ???, dcgm V
//     (X gflops)." where V is prefixed "M:" on a MIG GPU (ValuesDump).
// The fake writes the whole log when the container starts (as every fake container does).
import { rec } from './controllers/util.js';
import type { KObj } from './types.js';
import type { SeenDevice } from './devices.js';

/** The binaries NVIDIA's DCGM 4.x image ships (Dockerfile.ubuntu22.04: the cuda12 and cuda13 packages). */
const SHIPPED = new Set(['dcgmproftester12', 'dcgmproftester13']);
/** common/DcgmBuildInfo.hpp MAX_CUDA_MAJOR_VERSION at v4.5.2. */
const NEWEST_BUILD = 13;
const EXIT_VER_MISMATCH = 244; // DCGM_ST_VER_MISMATCH (-12) as an exit status
const EXIT_INIT_ERROR = 249; // DCGM_ST_INIT_ERROR (-7)

export interface GeneratorRun {
  log: string;
  /** Undefined: every binary refused the driver's CUDA version and the script went on past its loop. */
  exitCode?: number;
  /** Whether a binary got as far as loading the device (the exporter then sees it busy). */
  loads: boolean;
}

/** Whether the container runs NVIDIA's load generator (the fake models it instead of echoing the script). */
export function runsLoadGenerator(script: string): boolean {
  return /\bdcgmproftester\d*\b/.test(script);
}

/** The container's effective uid: its own runAsUser, the pod's, else the image's user (root: the DCGM image sets none). */
function uidOf(pod: KObj, container: Record<string, unknown>): number {
  const own = rec(container.securityContext).runAsUser;
  const podLevel = rec(rec(pod.spec).securityContext).runAsUser;
  const uid = typeof own === 'number' ? own : podLevel;
  return typeof uid === 'number' ? uid : 0;
}

/** The CUDA major version the node's driver supports (GPU Feature Discovery's label), default 13 (R580 drivers). */
export function driverCudaMajor(node: KObj, fallback = 13): number {
  const labels: Partial<Record<string, string>> = node.metadata.labels ?? {};
  const raw =
    labels['nvidia.com/cuda.runtime-version.major'] ??
    labels['nvidia.com/cuda.runtime-version.full'] ??
    labels['nvidia.com/cuda.runtime.major'];
  const major = Number(/^(\d+)/.exec(raw ?? '')?.[1]);
  return Number.isFinite(major) && major > 0 ? major : fallback;
}

/** The binaries the script tries, in its order (`for t in dcgmproftester13 ...; do`), else the one it names. */
function triedBinaries(script: string): string[] {
  const loop = /for\s+\w+\s+in\s+((?:dcgmproftester\d+\s*)+);/.exec(script);
  if (loop) return loop[1].trim().split(/\s+/);
  return [...new Set([...script.matchAll(/\b(dcgmproftester\d+)\b/g)].map((m) => m[1]))];
}

/**
 * What the generator part of the script prints and exits with. `seen` are the devices the
 * container was given; `script` decides whether a version refusal (244) moves on to the next binary.
 */
export function runLoadGenerator(
  pod: KObj,
  container: Record<string, unknown>,
  node: KObj,
  seen: SeenDevice[],
  script: string,
): GeneratorRun {
  const seconds = Number(/\s-d\s+(\d+)\b/.exec(script)?.[1] ?? '30');
  const field = /\s-t\s+(\d+)\b/.exec(script)?.[1] ?? '1004';
  const cuda = driverCudaMajor(node);
  const gpus = seen.filter((d) => d.smi);
  const mig = gpus.some((d) => d.id.startsWith('MIG-'));
  const nextOnMismatch = /\b244\b/.test(script);
  const lines: string[] = [];
  for (const binary of triedBinaries(script)) {
    if (!SHIPPED.has(binary)) continue; // `command -v` finds no dcgmproftester11 in this image
    const built = Number(/(\d+)$/.exec(binary)?.[1]);
    if (gpus.length === 0) {
      // No NVIDIA device: DCGM's embedded engine finds none to test (InitializeGpus).
      lines.push("DCGM found 0 GPUs. There's nothing to test on.", 'Error -3 from InitializeGpus(). Exiting.');
      return { log: lines.join('\n'), exitCode: 253, loads: false };
    }
    if (mig && uidOf(pod, container) !== 0) {
      lines.push('CacheManager Init Failed. Error: -29', 'dcgmStartEmbedded() returned -7.', 'Error -7 from Init(). Exiting.');
      return { log: lines.join('\n'), exitCode: EXIT_INIT_ERROR, loads: false };
    }
    if (cuda > NEWEST_BUILD && built === NEWEST_BUILD) {
      lines.push(`Running version ${built} binary with CUDA driver version ${cuda}.`);
    } else if (cuda !== built) {
      lines.push(`Wrong version of dcgmproftester is used. Expected Cuda version is ${built}. Installed Cuda version is ${cuda}.`);
      if (nextOnMismatch) continue;
      return { log: lines.join('\n'), exitCode: EXIT_VER_MISMATCH, loads: false };
    }
    const value = mig ? 'M:0' : '0';
    for (let s = 0; s < Math.min(seconds, 5); s++) {
      lines.push(`Worker 0:0 [${field}]: TensorEngineActive:  generated ???, dcgm ${value} (${(1.89 + s / 100).toFixed(2)}e+05 gflops).`);
    }
    return { log: lines.join('\n'), exitCode: 0, loads: true };
  }
  return { log: lines.join('\n'), loads: false };
}
