// When accelerator detection fails the run must not guess a profile: on an NVIDIA cluster a
// guessed `example` profile made the MUST accelerator probes end `failed` (exit 1) although
// nothing was checked. Probes that need the profile end `error` with the detection error; a
// detection answered 401 (our credentials refused) stops the run as unreachable (exit 3); an
// explicit --accelerator needs no detection and still runs.

import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/errors.js';
import { secureAcceleratorAccessProbe } from '../../src/probes/secure_accelerator_access.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { derivedScenario } from '../probes/scenarioFile.js';

const denied = (status: number, message: string) =>
  derivedScenario(`detect-${status}`, '1.35', ['gpu-nvidia-1.35'], {
    faults: [{ verb: 'list', resource: 'deviceclasses.resource.k8s.io', errorRate: 1, status, message }],
  });

describe('accelerator detection failure', () => {
  it('ends the accelerator probe in error with the detection error, never failed on a guessed profile', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, denied(403, 'deviceclasses is forbidden: RBAC denied'));
    expect(run.result.verdict).toBe('error');
    expect(run.result.reason).toMatch(/accelerator detection failed/);
    expect(run.result.reason).toContain('403');
    expect(run.results.accelerator).toMatchObject({ detected: true });
    expect(run.results.accelerator?.detail).toMatch(/detection failed.*--accelerator/);
    expect(run.results.accelerator?.profile).not.toBe('example');
    expect(run.leftInStore).toEqual([]);
  });

  it('still runs with an explicit --accelerator, which needs no detection', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, denied(403, 'deviceclasses is forbidden'), {
      accelerator: 'nvidia',
    });
    expect(run.results.accelerator).toMatchObject({ profile: 'nvidia', detected: false });
    expect(run.result.reason).not.toMatch(/detection failed/);
    expect(run.result.checks.find((c) => c.name === 'probe pods can ask for an accelerator')?.verdict).toBe('passed');
  });

  it('stops the run with exit 3 when detection is answered 401', async () => {
    const error = await runProbeOnScenario(secureAcceleratorAccessProbe, denied(401, 'Unauthorized')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(exitCodeOf(error)).toBe(3);
    expect((error as Error).message).toMatch(/accelerator detection.*401/);
  });
});
