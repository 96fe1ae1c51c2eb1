// The load generator's log as NVIDIA/DCGM v4.5.2 prints it (dcgmproftester/DcgmProfTester.cpp,
// PhysicalGpu.cpp, dcgmlib/src/DcgmHostEngineHandler.cpp), read by the load check: loading, a
// refusal (with what to do), or not yet started; and the MIG instance `nvidia-smi -L` shows.
// The load pod's security context under each Pod Security level (the fake's admission model).
import { describe, expect, it } from 'vitest';
import { loadProgress, logTail, migSeen, nvidiaLoadPod, SMI_PREFIX } from '../../../src/probes/lib/accelerator-load.js';
import { podSecurityViolations } from '../../harness/controllers/pod-security.js';
import { nvidiaProfile } from '../../../src/probes/profiles.js';
import type { ProbeContext } from '../../../src/probes/types.js';
import type { KObj } from '../../harness/types.js';

describe('loadProgress', () => {
  it('sees load in the tensor test tick lines (one or two spaces after the test name, MIG values prefixed M:)', () => {
    expect(loadProgress('Worker 0:0 [1004]: TensorEngineActive: generated ???, dcgm 0 (1.78e+05 gflops).\n')).toMatchObject({
      state: 'generating',
    });
    expect(loadProgress('x\nWorker 1:0 [1004]: TensorEngineActive:  generated ???, dcgm M:0 (9.1e+04 gflops).\n')).toMatchObject({
      state: 'generating',
    });
  });

  it('does not take the info line of older releases, or a different test, for tensor load', () => {
    expect(loadProgress('Skipping CreateDcgmGroups() since DCGM validation is disabled\n')).toEqual({ state: 'starting' });
    expect(loadProgress('Worker 0:0[1001]: GrActivity: generated 0.000/0.000, dcgm 0\n')).toEqual({ state: 'starting' });
  });

  it('names the privileged option when DCGM refuses a non-root user', () => {
    const progress = loadProgress(
      'CacheManager Init Failed. Error: -29\ndcgmStartEmbedded() returned -7.\nError -7 from Init(). Exiting.\n',
    );
    expect(progress).toMatchObject({ state: 'refused' });
    expect(progress.state === 'refused' && progress.hint).toContain('accelerator-metrics.load-privileged=true');
  });

  it('waits past one binary refusing the CUDA version (the next may run), and reports when none did', () => {
    const one = 'Wrong version of dcgmproftester is used. Expected Cuda version is 13. Installed Cuda version is 12.\n';
    expect(loadProgress(one)).toEqual({ state: 'starting' });
    const none = `${one}Wrong version of dcgmproftester is used. Expected Cuda version is 12. Installed Cuda version is 11.\nAI_CONFORMANCE_LOAD no dcgmproftester of this image runs with this CUDA driver\n`;
    const progress = loadProgress(none);
    expect(progress).toMatchObject({ state: 'refused' });
    expect(progress.state === 'refused' && progress.hint).toContain('--image nvidia-dcgm-load=REF');
  });

  it('reports no CUDA device', () => {
    expect(loadProgress("DCGM found 0 GPUs. There's nothing to test on.\n")).toMatchObject({
      state: 'refused',
      why: 'the load generator found no CUDA device in its container',
    });
  });
});

describe('migSeen and logTail', () => {
  it('reads the MIG instance under its parent GPU from the nvidia-smi -L line, real spacing included', () => {
    const line = `${SMI_PREFIX}GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5a8e2c1d-0000-1111-2222-333344445555);  MIG 1g.5gb      Device  0: (UUID: MIG-aaaabbbb-cccc-dddd-eeee-ffff00001111);`;
    expect(migSeen(`AI_CONFORMANCE_RESULT {"devices":[]}\n${line}\n`)).toEqual([
      { uuid: 'MIG-aaaabbbb-cccc-dddd-eeee-ffff00001111', parent: 'GPU-5a8e2c1d-0000-1111-2222-333344445555', profile: '1g.5gb' },
    ]);
    expect(migSeen(`${SMI_PREFIX}GPU 0: NVIDIA H100 (UUID: GPU-12345678-0000-1111-2222-333344445555);`)).toEqual([]);
  });

  it('keeps the last lines, without the probe own lines, control characters shown and on one line', () => {
    const tail = logTail('AI_CONFORMANCE_RESULT {"devices":[]}\na\nb\u001b[31m\nc\n', 2);
    expect(tail).toBe('b\\u{1b}[31m ⏎ c');
  });
});

describe('the load pod under Pod Security', () => {
  const ctx = {
    namespace: 'ns',
    profile: nvidiaProfile({ detected: false, detail: 'test' }),
    images: { resolve: (name: string) => name },
  } as unknown as ProbeContext;
  const asked = { asking: 'a nvidia.com/gpu limit' };

  it('is restricted by default', () => {
    const pod = nvidiaLoadPod(ctx, 'accelerator-load', asked, 30) as unknown as KObj;
    expect(podSecurityViolations(pod, 'restricted')).toEqual([]);
  });

  it('runs as root with CAP_SYS_ADMIN only when privileged, which only the privileged level admits', () => {
    const pod = nvidiaLoadPod(ctx, 'accelerator-load', asked, 30, true);
    expect(pod.spec?.containers[0].securityContext).toMatchObject({ runAsUser: 0, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } });
    expect(pod.spec?.containers[0].securityContext?.privileged).toBeUndefined();
    const obj = pod as unknown as KObj;
    expect(podSecurityViolations(obj, 'baseline')).toEqual([
      'non-default capabilities (container "load" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
    ]);
    expect(podSecurityViolations(obj, 'restricted').join(', ')).toContain('runAsUser=0');
    expect(podSecurityViolations(obj, 'privileged')).toEqual([]);
  });
});
