// The built-in probes, one per requirement id. Each lives in its own file named after the id.

import { acceleratorMetricsProbe } from './accelerator_metrics.js';
import { aiInference } from './ai_inference.js';
import { aiServiceMetricsProbe } from './ai_service_metrics.js';
import { clusterAutoscalingProbe } from './cluster_autoscaling.js';
import { draSupport } from './dra_support.js';
import { driverRuntimeManagement } from './driver_runtime_management.js';
import { gangSchedulingProbe } from './gang_scheduling.js';
import { gpuSharing } from './gpu_sharing.js';
import { podAutoscalingProbe } from './pod_autoscaling.js';
import { robustController } from './robust_controller.js';
import { secureAcceleratorAccess } from './secure_accelerator_access.js';
import type { Probe } from './types.js';

export const BUILTIN_PROBES: readonly Probe[] = [
  draSupport,
  driverRuntimeManagement,
  gpuSharing,
  secureAcceleratorAccess,
  aiInference,
  robustController,
  gangSchedulingProbe,
  podAutoscalingProbe,
  clusterAutoscalingProbe,
  acceleratorMetricsProbe,
  aiServiceMetricsProbe,
];
