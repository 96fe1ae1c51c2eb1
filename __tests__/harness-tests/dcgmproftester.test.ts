// The fake's model of NVIDIA's load generator (../harness/dcgmproftester.ts) against what
// NVIDIA/DCGM v4.5.2 prints: version refusals in the script's order (exit 244, the next binary
// tried only where the script tests for 244), the newest build on a newer driver, DCGM's root
// refusal on MIG (249) unless the container runs as root, and the tensor test's tick lines.
import { describe, expect, it } from 'vitest';
import { runLoadGenerator } from '../harness/dcgmproftester.js';
import type { SeenDevice } from '../harness/devices.js';
import type { KObj } from '../harness/types.js';

const node = (cuda: string): KObj => ({ metadata: { name: 'n', labels: { 'nvidia.com/cuda.runtime-version.full': cuda } } });
const pod = { metadata: { name: 'p' }, spec: {} } as KObj;
const gpu: SeenDevice = { id: 'GPU-1', nodes: ['nvidia0'], smi: ['GPU 0: NVIDIA H100 (UUID: GPU-1)'] };
const mig: SeenDevice = {
  id: 'MIG-1',
  nodes: ['nvidia0'],
  smi: ['GPU 0: NVIDIA A100 (UUID: GPU-1)', '  MIG 1g.5gb Device 0: (UUID: MIG-1)'],
};
const LOOP =
  'for t in dcgmproftester13 dcgmproftester12 dcgmproftester11; do "$t" --no-dcgm-validation -t 1004 -d 30; rc=$?; [ "$rc" -eq 244 ] || exit "$rc"; done';
const nonRoot = { name: 'load', securityContext: { runAsUser: 65534 } };

describe('the dcgmproftester model', () => {
  it('loads with dcgmproftester13 on a CUDA 13 driver', () => {
    const run = runLoadGenerator(pod, nonRoot, node('13.0'), [gpu], LOOP);
    expect(run).toMatchObject({ exitCode: 0, loads: true });
    expect(run.log).toMatch(/^Worker 0:0 \[1004\]: TensorEngineActive: {2}generated \?\?\?, dcgm 0 \(/);
  });

  it('moves from 13 to 12 on a CUDA 12 driver only where the script tests for 244', () => {
    const run = runLoadGenerator(pod, nonRoot, node('12.4'), [gpu], LOOP);
    expect(run.log.split('\n')[0]).toBe(
      'Wrong version of dcgmproftester is used. Expected Cuda version is 13. Installed Cuda version is 12.',
    );
    expect(run).toMatchObject({ exitCode: 0, loads: true });
    expect(runLoadGenerator(pod, nonRoot, node('12.4'), [gpu], 'dcgmproftester13 --no-dcgm-validation -t 1004 -d 30')).toMatchObject({
      exitCode: 244,
      loads: false,
    });
  });

  it('runs the newest build on a newer driver, and leaves the exit to the script when every build refuses', () => {
    expect(runLoadGenerator(pod, nonRoot, node('14.0'), [gpu], LOOP).log).toMatch(
      /^Running version 13 binary with CUDA driver version 14\./,
    );
    const old = runLoadGenerator(pod, nonRoot, node('11.4'), [gpu], LOOP);
    expect(old.exitCode).toBeUndefined();
    expect(old.loads).toBe(false);
    expect(old.log.split('\n')).toHaveLength(2);
  });

  it('refuses a non-root user on a MIG device, and loads it as root', () => {
    expect(runLoadGenerator(pod, nonRoot, node('13.0'), [mig], LOOP)).toMatchObject({ exitCode: 249, loads: false });
    const root = runLoadGenerator(pod, { name: 'load', securityContext: { runAsUser: 0 } }, node('13.0'), [mig], LOOP);
    expect(root).toMatchObject({ exitCode: 0, loads: true });
    expect(root.log).toContain('dcgm M:0');
  });
});
