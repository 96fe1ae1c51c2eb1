// The built-in probes, one per requirement id. Each lives in its own file named after the id.

import type { Probe } from './types.js';

export const BUILTIN_PROBES: readonly Probe[] = [];
