// Behaviour name (as written under `behaviours:` in a scenario) -> controller factory.
// Add a controller: write controllers/NAME.ts exporting a ControllerFactory, then add ONE line
// below (keep one entry per line so that concurrent additions merge cleanly). See ../CONTROLLERS.md.
import { crdController } from './crd.js';
import { deploymentController } from './deployment.js';
import { garbageCollector } from './garbage-collector.js';
import { gatewayController } from './gateway.js';
import { jobController } from './job.js';
import { kubelet } from './kubelet.js';
import { namespaceController } from './namespace.js';
import { operatorController } from './operator.js';
import { resourceClaimController } from './resourceclaim.js';
import { scheduler } from './scheduler.js';
import { clusterAutoscalerController } from './cluster-autoscaler.js';
import { customMetricsController } from './custom-metrics.js';
import { dcgmExporterController } from './dcgm-exporter.js';
import { amdMetricsExporterController } from './amd-metrics-exporter.js';
import { intelXpumExporterController, neuronMonitorController, tpuDevicePluginMetricsController } from './vendor-exporters.js';
import { hpaController } from './hpa.js';
import { inferenceExtensionController } from './inference-extension.js';
import { kueueController } from './kueue.js';
import { kedaController } from './keda.js';
import { prometheusController } from './prometheus.js';
import { policyWebhookController } from './policy-webhook.js';
import { podSecurityController } from './pod-security.js';
import { volcanoController } from './volcano.js';
import type { ControllerFactory } from './types.js';

export const CONTROLLERS: Partial<Record<string, ControllerFactory>> = {
  // Core (on unless a scenario says `NAME: false`).
  crd: crdController,
  namespace: namespaceController,
  'garbage-collector': garbageCollector,
  scheduler: scheduler,
  kubelet: kubelet,
  resourceclaim: resourceClaimController,
  job: jobController,
  deployment: deploymentController,
  // Add-ons (on when a scenario lists them under `behaviours:`).
  gateway: gatewayController,
  operator: operatorController,
  kueue: kueueController,
  volcano: volcanoController,
  hpa: hpaController,
  'custom-metrics': customMetricsController,
  'cluster-autoscaler': clusterAutoscalerController,
  'dcgm-exporter': dcgmExporterController,
  'amd-metrics-exporter': amdMetricsExporterController,
  'intel-xpum-exporter': intelXpumExporterController,
  'neuron-monitor': neuronMonitorController,
  'tpu-device-plugin-metrics': tpuDevicePluginMetricsController,
  prometheus: prometheusController,
  'policy-webhook': policyWebhookController,
  'pod-security': podSecurityController,
  'inference-extension': inferenceExtensionController,
  keda: kedaController,
};
