import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { EXAMPLE_DEVICE_SCRIPT, GENERIC_DEVICE_SCRIPT, profileFromFlag } from '../../src/probes/profiles.js';
import { createImageCatalog, parseImageFlags, rehost } from '../../src/runner/images.js';
import { parseDuration, parseLevel, parsePositiveInt } from '../../src/runner/flags.js';
import { newRunId, probeNamespace } from '../../src/runner/runId.js';
import { TOOL } from '../../src/runner/tool.js';
import type { Probe } from '../../src/probes/types.js';

function runScript(script: string, env: Record<string, string>): string {
  return execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
}

describe('accelerator profiles', () => {
  it('parses --accelerator values', () => {
    expect(profileFromFlag('example')).toMatchObject({
      name: 'example',
      mechanism: 'dra',
      deviceClassName: 'gpu.example.com',
      detected: false,
    });
    expect(profileFromFlag('nvidia')).toMatchObject({
      mechanism: 'extended-resource',
      resourceName: 'nvidia.com/gpu',
      tolerations: [{ key: 'nvidia.com/gpu' }],
    });
    expect(profileFromFlag('nvidia-dra')).toMatchObject({ deviceClassName: 'gpu.nvidia.com' });
    expect(profileFromFlag('amd.com/gpu')).toMatchObject({ name: 'custom', resourceName: 'amd.com/gpu' });
    expect(profileFromFlag('deviceclass:tpu.example.org')).toMatchObject({ name: 'custom', deviceClassName: 'tpu.example.org' });
    expect(() => profileFromFlag('resource:gpu')).toThrow(UsageError);
    expect(() => profileFromFlag('bad name!')).toThrow(/not a profile/);
  });

  it('the example script prints exactly one result line with the GPU_DEVICE values', () => {
    const out = runScript(EXAMPLE_DEVICE_SCRIPT, { GPU_DEVICE_1: 'gpu-1', GPU_DEVICE_0: 'gpu-0', GPU_DEVICE_0_RESOURCE_CLAIM: 'uid' });
    expect(out).toBe('AI_CONFORMANCE_RESULT {"devices":["gpu-0","gpu-1"]}\n');
    expect(runScript(EXAMPLE_DEVICE_SCRIPT, {})).toBe('AI_CONFORMANCE_RESULT {"devices":[]}\n');
  });

  it('keeps the result line valid JSON whatever the environment holds', () => {
    const out = runScript(GENERIC_DEVICE_SCRIPT, { GPU_DEVICE_0: 'x"y\\z' });
    const json: unknown = JSON.parse(out.trim().replace(/^AI_CONFORMANCE_RESULT /, ''));
    expect(json).toEqual({ devices: ['xyz'] });
  });
});

describe('images', () => {
  const probe = (images: Record<string, string>): Probe => ({ id: 'x', timeoutMs: 1, images, run: async () => undefined });

  it('moves every image to a mirror registry', () => {
    expect(rehost('registry.k8s.io/e2e-test-images/busybox:1.36.1-1', 'mirror.local:5000/')).toBe(
      'mirror.local:5000/e2e-test-images/busybox:1.36.1-1',
    );
    expect(rehost('ubuntu:22.04', 'm.io')).toBe('m.io/library/ubuntu:22.04');
    expect(rehost('rayproject/ray:2.52.0', 'm.io')).toBe('m.io/rayproject/ray:2.52.0');
  });

  it('resolves overrides and refuses unknown names', () => {
    const catalog = createImageCatalog([probe({ shell: 'busybox:1' })], {
      registry: 'm.io',
      images: parseImageFlags(['shell=my/shell:2']),
    });
    expect(catalog.resolve('shell')).toBe('my/shell:2');
    expect(() => catalog.resolve('other')).toThrow(/not declared/);
    expect(() => createImageCatalog([probe({ shell: 'busybox:1' })], { images: { nope: 'x' } })).toThrow(UsageError);
    expect(() => parseImageFlags(['shell'])).toThrow(/NAME=IMAGE/);
  });
});

describe('run flags', () => {
  it('parses durations, counts and levels', () => {
    expect(parseDuration('--timeout', '90s')).toBe(90_000);
    expect(parseDuration('--timeout', '1h30m')).toBe(5_400_000);
    expect(parseDuration('--timeout', '300')).toBe(300_000);
    expect(() => parseDuration('--timeout', '10 minutes')).toThrow(UsageError);
    expect(() => parseDuration('--timeout', '0')).toThrow('--timeout must be longer than zero');
    expect(() => parseDuration('--timeout', '0s')).toThrow('--timeout must be longer than zero');
    expect(() => parseDuration('--timeout', '600h')).toThrow("--timeout '600h' is too long");
    expect(parsePositiveInt('--parallel', '4')).toBe(4);
    expect(() => parsePositiveInt('--parallel', '0')).toThrow(UsageError);
    expect(parseLevel('MUST')).toBe('must');
    expect(() => parseLevel('could')).toThrow(UsageError);
  });

  it('makes label-safe run ids and short namespaces', () => {
    const id = newRunId(new Date('2026-11-22T08:07:00Z'));
    expect(id).toMatch(/^r20261122t0807-[0-9a-f]{6}$/);
    const ns = probeNamespace('a_very_long_requirement_identifier_that_goes_on_and_on_forever', id);
    expect(ns.length).toBeLessThanOrEqual(63);
    expect(ns).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('records the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
    expect(TOOL).toEqual({ name: pkg.name, version: pkg.version });
  });
});
