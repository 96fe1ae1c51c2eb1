// accelerator_metrics end to end: the DCGM exporter Service (through the service proxy), the
// DCGM series in Prometheus, and --accelerator-metrics-url; a missing utilisation field fails;
// no endpoint fails; API faults are errors.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { acceleratorMetricsProbe } from '../../src/probes/accelerator_metrics.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

describe('accelerator_metrics', () => {
  it('passes on gpu-nvidia-1.35 with the DCGM exporter Service', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-nvidia-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('DCGM exporter Service gpu-operator/nvidia-dcgm-exporter:gpu-metrics');
    expect(run.result.checks[1].reason).toContain('GPU-c2f76b33-7953-256e-8f33-1343419b1a1c=0%');
    const observed = run.result.observations.map((o) => o.message).join('\n');
    expect(observed).toMatch(/temperature: .*DCGM_FI_DEV_GPU_TEMP/);
    expect(observed).toMatch(/power: .*DCGM_FI_DEV_POWER_USAGE/);
    expect(observed).toMatch(/interconnect: .*DCGM_FI_PROF_PCIE_TX_BYTES/);
    expectClean(run);
  });

  it('passes on kind-example-dra-1.35 with the DCGM exporter Service', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expectClean(run);
  });

  it('passes through Prometheus holding DCGM series when no exporter Service is found (bare-1.35 plus Prometheus)', async () => {
    const run = await runProbeOnScenario(
      acceleratorMetricsProbe,
      withAddons('bare-1.35', ['prometheus.yaml'], {
        behaviours: {
          prometheus: {
            staticScrapes: [
              { file: 'fixtures/metrics/dcgm-exporter.scrape.vks-v1.36.vgpu-grid-a100.prom', labels: { job: 'nvidia-dcgm-exporter' } },
            ],
          },
        },
      }),
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('accelerator series in Service monitoring/prometheus-operated:web');
    expect(run.result.checks[1].reason).toContain('GPU-44d2411e-1604-478f-aa96-5a3c00000000');
    expectClean(run);
  });

  it('passes with --accelerator-metrics-url', async () => {
    const text = readFileSync(resolve(__dirname, '../../fixtures/metrics/dcgm-exporter.scrape.vks-v1.36.vgpu-grid-a100.prom'), 'utf8');
    const server = createServer((_req, res) => res.end(text));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-nvidia-1.35'), {
        probeOptions: { acceleratorMetricsUrl: url, extra: {} },
      });
      expect(run.result.verdict, explain(run)).toBe('passed');
      expect(run.result.checks[0].reason).toContain(`--accelerator-metrics-url ${url}`);
      expectClean(run);
    } finally {
      server.close();
    }
  });

  it('fails when utilisation is missing (fail-accelerator-metrics-no-util-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('fail-accelerator-metrics-no-util-1.35'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toBe('GPU-c2f76b33-7953-256e-8f33-1343419b1a1c lacks utilisation (DCGM_FI_DEV_GPU_UTIL)');
    expectClean(run);
  });

  it('fails on bare-1.35: no metrics endpoint', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('bare-1.35'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('no accelerator metrics endpoint found');
    expectClean(run);
  });

  it('is an error when the service proxy fails', async () => {
    const run = await runProbeOnScenario(
      acceleratorMetricsProbe,
      withAddons('gpu-nvidia-1.35', [], {
        faults: [{ verb: 'proxy', resource: 'services/proxy', errorRate: 1, status: 503, message: 'proxy unavailable' }],
      }),
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(run.result.checks[0].reason).toContain('proxy unavailable');
    expectClean(run);
  });

  it('asks for a manual check naming --accelerator-metrics-url when no endpoint is found for accelerators whose exporter is unknown (Intel Gaudi)', async () => {
    const gaudi = derivedScenario('gaudi-nodes', '1.35', ['bare-1.35'], {
      nodes: [{ name: 'gaudi-node', allocatable: { 'habana.ai/gaudi': '8' } }],
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, gaudi, { accelerator: 'habana.ai/gaudi' });
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain('no accelerator metrics endpoint found');
    expect(run.result.reason).toContain('habanalabs_utilization');
    expect(run.result.reason).toContain('no public repository holds its Kubernetes manifest');
    expect(run.result.reason).toContain('--accelerator-metrics-url');
    expectClean(run);
  });
});

// DCGM refuses a non-root user on GPUs in MIG mode, so MIG runs load with the privileged option.
const privilegedLoad = { probeOptions: { extra: { 'accelerator-metrics.load-privileged': 'true' } } };

describe('accelerator_metrics on real exporter shapes', () => {
  it('passes on MIG instances by their profiling field, reading every exporter pod (gpu-mig-mixed-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-mig-mixed-1.35'), privilegedLoad);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toMatch(/2 exporter pod\(s\) on 2 node\(s\), each read through the pod proxy/);
    // 2 nodes x 8 GPUs x (2 + 1 + 1) instances, each its own accelerator.
    expect(run.result.checks[1].reason).toMatch(
      /^64 accelerator\(s\) report utilisation and memory \(NVIDIA DCGM\): a100-mig-1\/gpu0\/mig-1g\.5gb-1=0% \(DCGM_FI_PROF_GR_ENGINE_ACTIVE\)/,
    );
    expectClean(run);
  });

  it('fails on MIG instances when the exporter drops the profiling field (no utilisation for them at all)', async () => {
    const file = derivedScenario('mig-no-prof', '1.35', ['gpu-mig-mixed-1.35'], {
      behaviours: { 'dcgm-exporter': { dropMetrics: ['DCGM_FI_PROF_GR_ENGINE_ACTIVE'] } },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /^a100-mig-1\/gpu0\/mig-1g\.5gb-1 lacks utilisation \(DCGM_FI_PROF_GR_ENGINE_ACTIVE or DCGM_FI_DEV_GPU_UTIL\)/,
    );
  });

  it('falls back to Prometheus when the API server cannot reach the exporter pods', async () => {
    const file = derivedScenario('dcgm-unreachable', '1.35', ['gpu-mig-mixed-1.35', 'addons/prometheus.yaml'], {
      behaviours: {
        // Prometheus scrapes the exporter pods from inside the cluster (the GPU Operator's ServiceMonitor).
        'dcgm-exporter': { unreachable: true, serviceMonitor: true },
        prometheus: {
          staticScrapes: [{ file: 'fixtures/metrics/dcgm-exporter.scrape.kops-v1.35.nvidia-L4.prom', labels: { job: 'gpu-metrics' } }],
        },
      },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file, privilegedLoad);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toMatch(
      /^accelerator series in Service monitoring\/prometheus-operated:web .*\(the API server could not reach DCGM exporter Service gpu-operator\/nvidia-dcgm-exporter:gpu-metrics: .*i\/o timeout/,
    );
  });

  it('is an error, not a pass, when the exporter is unreachable and no Prometheus holds its series', async () => {
    const file = derivedScenario('dcgm-unreachable-alone', '1.35', ['gpu-mig-mixed-1.35'], {
      behaviours: { 'dcgm-exporter': { unreachable: true } },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file);
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(run.result.checks[0].reason).toContain('i/o timeout');
  });
});

// The load check: dcgmproftester in a pod that asks for one accelerator, and that device's
// utilisation must rise in the metrics (the fake's exporters model it from the kubelet's
// pod-resources, ../harness/podresources.ts, and the generator from ../harness/dcgmproftester.ts).
const LOAD = 'an accelerator under load shows its utilisation rising in the metrics';
const loadCheck = (run: Awaited<ReturnType<typeof runProbeOnScenario>>) => run.result.checks.find((c) => c.name === LOAD);
const quickWait = { probeOptions: { extra: { 'accelerator-metrics.load-wait-ms': '400' } } };
const quickPrivileged = {
  probeOptions: { extra: { 'accelerator-metrics.load-wait-ms': '400', 'accelerator-metrics.load-privileged': 'true' } },
};
/** The generator's tick line the pass and fail reasons quote. */
const LOADING = String.raw`the generator was loading \("Worker 0:0 \[1004\]: TensorEngineActive: +generated \?\?\?, dcgm (M:)?0 \([\d.]+e\+05 gflops\)\."\)`;
const PRIVILEGED_NOTE = 'as root with CAP_SYS_ADMIN by accelerator-metrics.load-privileged=true';

describe('accelerator_metrics under load', () => {
  it('sees the GPU a DRA claim loads busy by its pod labels (gpu-nvidia-1.35, DeviceClass gpu.nvidia.com)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-nvidia-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(loadCheck(run)).toMatchObject({ verdict: 'passed' });
    expect(loadCheck(run)?.reason).toMatch(
      new RegExp(
        String.raw`^pod \S+/accelerator-load \(a claim on DeviceClass gpu\.nvidia\.com, dcgmproftester for 120s on node gpu-dra-node-1\): GPU-[0-9a-f-]+=98% \(DCGM_FI_DEV_GPU_UTIL\), GPU-[0-9a-f-]+=97% \(DCGM_FI_PROF_GR_ENGINE_ACTIVE\), found by its pod labels; ${LOADING}$`,
      ),
    );
    expect((run.result.created ?? []).some((o) => o.kind === 'Pod' && o.name === 'accelerator-load')).toBe(true);
    expectClean(run);
  });

  it('sees the GPU a device-plugin limit loads busy (gpu-nvidia-1.35, --accelerator nvidia)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(loadCheck(run)?.reason).toMatch(
      /^pod \S+\/accelerator-load \(a nvidia\.com\/gpu limit, dcgmproftester for 120s on node gpu-node-\d\): GPU-[0-9a-f-]+=98% \(DCGM_FI_DEV_GPU_UTIL\).*, found by its pod labels; the generator was loading/,
    );
  });

  it('passes restricted where dcgmproftester13 refuses a CUDA 12 driver and dcgmproftester12 loads (accelerator-load-cuda12-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('accelerator-load-cuda12-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(loadCheck(run)?.reason).toMatch(
      new RegExp(String.raw`on node h100-node-\d\): GPU-[0-9a-f-]+=98% .*found by its pod labels; ${LOADING}$`),
    );
    expect(loadCheck(run)?.reason).not.toContain('CAP_SYS_ADMIN');
  });

  it('is an error, never failed, when every dcgmproftester refuses the driver (error-accelerator-load-cuda11-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('error-accelerator-load-cuda11-1.35'));
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(loadCheck(run)?.verdict).toBe('error');
    const reason = loadCheck(run)?.reason ?? '';
    expect(reason).toContain("no dcgmproftester of the load image runs with the CUDA version of the node's driver");
    expect(reason).toContain('Wrong version of dcgmproftester is used. Expected Cuda version is 13. Installed Cuda version is 11.');
    expect(reason).toContain('Expected Cuda version is 12. Installed Cuda version is 11.');
    expect(reason).toContain('--image nvidia-dcgm-load=REF');
  });

  it('is an error naming the privileged option when DCGM refuses the restricted (non-root) pod on MIG (error-accelerator-load-mig-restricted-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('error-accelerator-load-mig-restricted-1.35'));
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(run.result.checks[1].verdict).toBe('passed');
    const reason = loadCheck(run)?.reason ?? '';
    expect(reason).toMatch(/^the load generator could not load the accelerator: DCGM refused to start as a non-root user/);
    expect(reason).toContain('load exited 249');
    expect(reason).toContain('last lines of its log: CacheManager Init Failed. Error: -29');
    expect(reason).toContain('--probe-option accelerator-metrics.load-privileged=true');
    expectClean(run);
  });

  it('passes on MIG with the privileged option, in a namespace labelled for it under restricted Pod Security (accelerator-load-mig-privileged-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('accelerator-load-mig-privileged-1.35'), privilegedLoad);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(loadCheck(run)?.reason).toContain(PRIVILEGED_NOTE);
    expect(loadCheck(run)?.reason).toMatch(
      new RegExp(String.raw`a100-mig-\d/gpu\d/mig-1g\.5gb-\d=97% \(DCGM_FI_PROF_GR_ENGINE_ACTIVE\), found by its pod labels; ${LOADING}$`),
    );
    expectClean(run);
  });

  it('says the privileged load ran so also when the check does not pass', async () => {
    const run = await runProbeOnScenario(
      acceleratorMetricsProbe,
      scenarioPath('fail-accelerator-metrics-idle-under-load-1.35'),
      quickPrivileged,
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain(
      '[privileged load: the load container is run as root with CAP_SYS_ADMIN (accelerator-metrics.load-privileged=true)]',
    );
  });

  it('is an error when the privileged load container sees more than the one accelerator it asked for (load not confined)', async () => {
    // CAP_SYS_ADMIN makes NVIDIA's toolkit treat the container as privileged; modelled here by a runtime that shows every device.
    const file = derivedScenario('privileged-sees-all', '1.35', ['gpu-nvidia-1.35'], { behaviours: { kubelet: { breakIsolation: true } } });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file, { ...quickPrivileged, accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(loadCheck(run)?.reason).toMatch(/^the privileged load container saw \d+ accelerators \(GPU-/);
    expect(loadCheck(run)?.reason).toContain('run without accelerator-metrics.load-privileged');
  });

  it('finds a loaded MIG instance by its parent GPU UUID and profile where that names one instance (accelerator-load-mig-parent-uuid-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('accelerator-load-mig-parent-uuid-1.35'), privilegedLoad);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(loadCheck(run)?.reason).toMatch(
      /a100-mig7-1\/gpu\d\/mig-7g\.40gb-1=97% \(DCGM_FI_PROF_GR_ENGINE_ACTIVE\), found by its parent GPU UUID and MIG profile; the generator was loading/,
    );
  });

  it('is an error, never a pick, when the parent GPU has several instances of the profile and no pod labels (error-accelerator-load-mig-ambiguous-1.35)', async () => {
    const run = await runProbeOnScenario(
      acceleratorMetricsProbe,
      scenarioPath('error-accelerator-load-mig-ambiguous-1.35'),
      quickPrivileged,
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    const reason = loadCheck(run)?.reason ?? '';
    expect(reason).toMatch(
      /^the loaded accelerator cannot be told apart in .*: MIG instance MIG-[0-9a-f-]+ \(profile 1g\.5gb\) is one of \d+ 1g\.5gb instances of GPU GPU-[0-9a-f-]+/,
    );
    expect(reason).toContain('DCGM_EXPORTER_KUBERNETES=true');
  });

  it('sees a loaded MIG instance by the profiling field, through every exporter pod (gpu-mig-mixed-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-mig-mixed-1.35'), privilegedLoad);
    expect(loadCheck(run), explain(run)).toMatchObject({ verdict: 'passed' });
    expect(loadCheck(run)?.reason).toMatch(
      /a100-mig-\d\/gpu\d\/mig-1g\.5gb-\d=97% \(DCGM_FI_PROF_GR_ENGINE_ACTIVE\), found by its pod labels; the generator was loading/,
    );
  });

  it('finds the loaded GPU by its UUID where the exporter has no pod mapping', async () => {
    const file = derivedScenario('dcgm-no-pod-labels', '1.35', ['gpu-nvidia-1.35'], {
      behaviours: { 'dcgm-exporter': { podLabels: false } },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(loadCheck(run)?.reason).toMatch(
      /GPU-[0-9a-f-]+=98% \(DCGM_FI_DEV_GPU_UTIL\), .*, found by its device UUID; the generator was loading/,
    );
  });

  it('reads the loaded GPU from Prometheus when the API server cannot reach the exporters (exported_pod labels)', async () => {
    const file = derivedScenario('dcgm-unreachable-load', '1.35', ['gpu-mig-mixed-1.35', 'addons/prometheus.yaml'], {
      behaviours: { 'dcgm-exporter': { unreachable: true, serviceMonitor: true } },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file, privilegedLoad);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(loadCheck(run)?.reason).toMatch(/=97% \(DCGM_FI_PROF_GR_ENGINE_ACTIVE\), found by its pod labels; the generator was loading/);
  });

  it('fails when the loaded GPU stays idle in the metrics while the generator demonstrably loads (fail-accelerator-metrics-idle-under-load-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('fail-accelerator-metrics-idle-under-load-1.35'), quickWait);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.checks[1].verdict).toBe('passed');
    expect(failedCheck(run)?.name).toBe(LOAD);
    expect(failedCheck(run)?.reason).toMatch(
      new RegExp(
        String.raw`^the loaded accelerator's utilisation stayed 0 for 400ms in DCGM exporter Service gpu-operator/nvidia-dcgm-exporter:gpu-metrics while ${LOADING}: GPU-[0-9a-f-]+=0% \(DCGM_FI_DEV_GPU_UTIL\).* \(found by its pod labels\)$`,
      ),
    );
    expectClean(run);
  });

  it('is an error, not failed, when the generator never starts loading (a hung CUDA start)', async () => {
    const file = derivedScenario('load-hangs', '1.35', ['fail-accelerator-metrics-idle-under-load-1.35'], {
      behaviours: { kubelet: { containers: [{ match: { container: 'load' }, running: true, log: 'CUDA context starting' }] } },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file, quickWait);
    expect(run.result.verdict, explain(run)).toBe('error');
    const reason = loadCheck(run)?.reason ?? '';
    expect(reason).toMatch(
      /^the load generator could not load the accelerator \(it showed no load in 400ms\); last lines of its log: CUDA context starting; to do: check that the load image /,
    );
  });

  it('is an error with the log when the load pod crashes before loading', async () => {
    const file = derivedScenario('load-crashes', '1.35', ['gpu-nvidia-1.35'], {
      behaviours: { kubelet: { containers: [{ match: { container: 'load' }, exitCode: 139, log: 'Segmentation fault (core dumped)' }] } },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file, quickWait);
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(loadCheck(run)?.reason).toMatch(/load exited 139 .*last lines of its log: Segmentation fault \(core dumped\)/);
  });

  it('is not checked, never passed, with accelerator-metrics.skip-load, and runs no pod', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-nvidia-1.35'), {
      probeOptions: { extra: { 'accelerator-metrics.skip-load': 'true' } },
    });
    expect(loadCheck(run)).toMatchObject({ verdict: 'skipped' });
    expect(loadCheck(run)?.reason).toBe('not checked: left out with --probe-option accelerator-metrics.skip-load=true');
    expect(run.result.reason).toContain(`1 not checked (${LOAD})`);
    expect((run.result.created ?? []).some((o) => o.kind === 'Pod')).toBe(false);
  });

  it('says "not checked", never passed, on the simulated accelerators of dra-example-driver', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('kind-example-dra-1.35'));
    expect(loadCheck(run)).toMatchObject({ verdict: 'skipped' });
    expect(loadCheck(run)?.reason).toMatch(/^not checked: the accelerators are simulated/);
    expect(run.result.reason).toContain(`1 not checked (${LOAD})`);
    expect((run.result.created ?? []).some((o) => o.kind === 'Pod')).toBe(false);
  });
});

describe('accelerator_metrics on AMD', () => {
  it("passes on AMD's Device Metrics Exporter and says the load is not checked (gpu-amd-metrics-1.35)", async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-amd-metrics-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('AMD device-metrics-exporter Service kube-amd-gpu/gpu-operator-metrics-exporter:metrics');
    expect(run.result.checks[1].reason).toMatch(/^16 accelerator\(s\) report utilisation and memory \(AMD device-metrics-exporter\)/);
    expect(loadCheck(run)?.reason).toBe(
      "not checked: no load generator is known for AMD accelerators (amd.com/gpu); only NVIDIA's dcgmproftester is",
    );
    expectClean(run);
  });

  it('fails when the AMD exporter lacks gpu_gfx_activity (fail-accelerator-metrics-amd-no-activity-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('fail-accelerator-metrics-amd-no-activity-1.35'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(/^[0-9a-f-]+ lacks utilisation \(gpu_gfx_activity\)/);
  });

  it('fails, no longer manual, when AMD GPUs have no exporter at all', async () => {
    const amd = derivedScenario('amd-gpus', '1.35', ['bare-1.35'], { nodes: [{ name: 'amd-node', allocatable: { 'amd.com/gpu': '8' } }] });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, amd, { accelerator: 'amd.com/gpu' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('app.kubernetes.io/name=metrics-exporter');
  });
});

describe('accelerator_metrics on Intel XPU Manager, AWS Neuron Monitor and the GKE TPU device plugin', () => {
  it('passes on Intel XPU Manager, one accelerator per PCI device of every exporter pod (gpu-intel-xpum-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-intel-xpum-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toMatch(
      /^Intel XPU Manager exporter Service default\/intel-xpumanager:metrics: 2 exporter pod\(s\) on 2 node\(s\), each read through the pod proxy: \d+ samples, Intel XPU Manager series for 8 accelerator\(s\)$/,
    );
    // Two tiles per Max 1550, each with its own series, count as the one device the plugin hands out.
    expect(run.result.checks[1].reason).toMatch(
      /^8 accelerator\(s\) report utilisation and memory \(Intel XPU Manager\): xpu-max-\d\/0000:29:00\.0=0% \(xpum_engine_ratio\), xpu-max-\d\/0000:39:00\.0=0%/,
    );
    expect(loadCheck(run)?.reason).toBe(
      "not checked: no load generator is known for Intel accelerators (gpu.intel.com/i915); only NVIDIA's dcgmproftester is",
    );
    expectClean(run);
  });

  it('fails when XPU Manager exports no memory (fail-accelerator-metrics-intel-no-memory-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('fail-accelerator-metrics-intel-no-memory-1.35'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(/^xpu-max-\d\/0000:29:00\.0 lacks memory \(xpum_memory_used_bytes\/xpum_memory_ratio\); /);
    expectClean(run);
  });

  it('passes on AWS Neuron Monitor found by its pods, one accelerator per NeuronCore (gpu-neuron-trn1-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-neuron-trn1-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toMatch(
      /^AWS Neuron Monitor pods app\.kubernetes\.io\/name=neuron-helm-chart-exporter \(no Service\): 2 exporter pod\(s\) on 2 node\(s\)/,
    );
    expect(run.result.checks[1].reason).toMatch(
      /^64 accelerator\(s\) report utilisation and memory \(AWS Neuron Monitor\): i-0[0-9a-f]{16}\/nc0=10% \(neuroncore_utilization_ratio\)/,
    );
    expect(loadCheck(run)?.reason).toMatch(/^not checked: no load generator is known for AWS Neuron accelerators/);
    expectClean(run);
  });

  it('fails when neuron-monitor exports no NeuronCore memory (fail-accelerator-metrics-neuron-no-memory-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('fail-accelerator-metrics-neuron-no-memory-1.35'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(/^i-0[0-9a-f]{16}\/nc0 lacks memory \(neuroncore_memory_usage_tensors\/.*\); /);
    expectClean(run);
  });

  it('asks for a manual check, not a failure, while no Neuron runtime is active (only neuron_hardware_info)', async () => {
    const file = derivedScenario('neuron-idle', '1.35', ['gpu-neuron-trn1-1.35'], { behaviours: { 'neuron-monitor': { idle: true } } });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file);
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toMatch(
      /^AWS Neuron Monitor: neuron-monitor exports per-NeuronCore utilisation and memory only while a Neuron runtime is active/,
    );
    expect(run.result.reason).toContain('serves neuron_hardware_info');
    expectClean(run);
  });

  it('passes on the GKE TPU device plugin, each chip held by a serving pod (gpu-tpu-gke-metrics-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-tpu-gke-metrics-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toMatch(
      /^GKE TPU device plugin pods k8s-app=tpu-device-plugin in kube-system \(no Service\): 2 exporter pod\(s\) on 2 node\(s\)/,
    );
    expect(run.result.checks[1].reason).toMatch(/^8 accelerator\(s\) report utilisation and memory \(GKE TPU device plugin\): \d+-0=0%/);
    expect(loadCheck(run)?.reason).toMatch(/^not checked: no load generator is known for Google TPU accelerators/);
    expectClean(run);
  });

  it('fails when the TPU chips report no utilisation (fail-accelerator-metrics-tpu-no-utilisation-1.35)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('fail-accelerator-metrics-tpu-no-utilisation-1.35'));
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(/^\d+-0 lacks utilisation \(tensorcore_utilization or duty_cycle\); /);
    expectClean(run);
  });

  it('asks for a manual check pointing at Cloud Monitoring when TPU chips report utilisation but no memory in-cluster', async () => {
    const file = derivedScenario('tpu-no-memory', '1.35', ['gpu-tpu-gke-metrics-1.35'], {
      behaviours: { 'tpu-device-plugin-metrics': { dropMetrics: ['memory_used', 'memory_total'] } },
    });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file);
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toMatch(/^GKE TPU device plugin: 8 accelerator\(s\) report utilisation but no memory/);
    expect(run.result.reason).toContain('kubernetes.io/container/accelerator/memory_used');
    expectClean(run);
  });

  it('asks for a manual check while no workload holds a TPU chip (only the node-level series)', async () => {
    const run = await runProbeOnScenario(acceleratorMetricsProbe, scenarioPath('gpu-tpu-gke-1.35'));
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toMatch(/^GKE TPU device plugin: .*only node-level \*_node series while no TPU workload runs/);
    expect(run.result.reason).toContain('tensorcore_utilization_node');
  });

  it('fails, no longer manual, when TPU nodes have no device plugin metrics endpoint at all', async () => {
    const file = derivedScenario('tpu-no-metrics', '1.35', ['gpu-tpu-gke-1.35'], { behaviours: { 'tpu-device-plugin-metrics': false } });
    const run = await runProbeOnScenario(acceleratorMetricsProbe, file);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('k8s-app=tpu-device-plugin');
  });
});
