// Provisioning failures. They mean "no usable cluster", so they exit 3 like an unreachable one.

import { ClusterUnreachableError } from '../errors.js';

export class ProvisionError extends ClusterUnreachableError {}
