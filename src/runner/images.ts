// The images probes run, by logical name. Defaults come from the probes' own declarations;
// --image-registry moves them all to a mirror and --image NAME=REF replaces one (air-gapped clusters).

import { UsageError } from '../errors.js';
import type { ImageCatalog, Probe } from '../probes/types.js';

export interface ImageOverrides {
  registry?: string;
  /** Logical name -> full image reference. */
  images?: Record<string, string>;
}

/** registry.k8s.io/e2e-test-images/busybox:1 with mirror my.reg/mirror -> my.reg/mirror/e2e-test-images/busybox:1. */
export function rehost(reference: string, registry: string): string {
  const parts = reference.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repository = hasRegistry ? parts.slice(1) : parts.length === 1 ? ['library', ...parts] : parts;
  return `${registry.replace(/\/+$/, '')}/${repository.join('/')}`;
}

export function imageDefaults(probes: readonly Probe[]): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const probe of probes) {
    for (const [name, reference] of Object.entries(probe.images ?? {})) {
      if (!defaults.has(name)) defaults.set(name, reference);
    }
  }
  return defaults;
}

/** Parses repeated --image NAME=REF flags. */
export function parseImageFlags(values: readonly string[]): Record<string, string> {
  const images: Record<string, string> = {};
  for (const value of values) {
    const split = value.indexOf('=');
    if (split <= 0 || split === value.length - 1) throw new UsageError(`--image '${value}' is not NAME=IMAGE`);
    images[value.slice(0, split).trim()] = value.slice(split + 1).trim();
  }
  return images;
}

export interface ResolvedImages extends ImageCatalog {
  /** Every logical name with the reference actually used, sorted by name. */
  entries(): [string, string][];
}

export function createImageCatalog(probes: readonly Probe[], overrides: ImageOverrides = {}): ResolvedImages {
  const defaults = imageDefaults(probes);
  for (const name of Object.keys(overrides.images ?? {})) {
    if (!defaults.has(name)) {
      throw new UsageError(
        `--image ${name}: no probe uses an image called '${name}' (known: ${[...defaults.keys()].sort().join(', ') || 'none'})`,
      );
    }
  }
  const resolved = new Map<string, string>();
  for (const [name, reference] of defaults) {
    const override = overrides.images?.[name];
    resolved.set(name, override ?? (overrides.registry ? rehost(reference, overrides.registry) : reference));
  }
  return {
    resolve(name: string): string {
      const reference = resolved.get(name);
      // A probe must declare every image it runs, so `list --images` is complete.
      if (!reference) throw new Error(`image '${name}' is not declared by any probe (declare it in the probe's images)`);
      return reference;
    },
    entries() {
      return [...resolved.entries()].sort(([a], [b]) => a.localeCompare(b));
    },
  };
}
