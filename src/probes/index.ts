// The built-in probes, one per requirement id. Each lives in its own file named after the id
// (snake_case, as the requirement ids are) and exports `<camelCaseId>Probe`.

import { acceleratorMetricsProbe } from './accelerator_metrics.js';
import { advancedInferenceIngressProbe } from './advanced_inference_ingress.js';
import { aiInferenceProbe } from './ai_inference.js';
import { aiServiceMetricsProbe } from './ai_service_metrics.js';
import { clusterAutoscalingProbe } from './cluster_autoscaling.js';
import { disaggregatedInferenceProbe } from './disaggregated_inference.js';
import { draSupportProbe } from './dra_support.js';
import { driverRuntimeManagementProbe } from './driver_runtime_management.js';
import { gangSchedulingProbe } from './gang_scheduling.js';
import { gpuSharingProbe } from './gpu_sharing.js';
import { highPerformanceNetworkingProbe } from './high_performance_networking.js';
import { podAutoscalingProbe } from './pod_autoscaling.js';
import { robustControllerProbe } from './robust_controller.js';
import { secureAcceleratorAccessProbe } from './secure_accelerator_access.js';
import type { Probe } from './types.js';
import { virtualizedAcceleratorProbe } from './virtualized_accelerator.js';
import { workloadSandboxingProbe } from './workload_sandboxing.js';

export const BUILTIN_PROBES: readonly Probe[] = [
  draSupportProbe,
  driverRuntimeManagementProbe,
  gpuSharingProbe,
  virtualizedAcceleratorProbe,
  secureAcceleratorAccessProbe,
  workloadSandboxingProbe,
  aiInferenceProbe,
  advancedInferenceIngressProbe,
  highPerformanceNetworkingProbe,
  disaggregatedInferenceProbe,
  robustControllerProbe,
  gangSchedulingProbe,
  podAutoscalingProbe,
  clusterAutoscalingProbe,
  acceleratorMetricsProbe,
  aiServiceMetricsProbe,
];
