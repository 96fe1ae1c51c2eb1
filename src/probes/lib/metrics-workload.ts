// A small workload that serves Prometheus metrics (metrics-registration.ts registers it with the
// monitoring system). The pod serves, on :8080/metrics.txt, the text of its own annotation METRICS_ANNOTATION
// (projected into a file by the downward API, served by busybox httpd). Changing what it reports
// is then a patch of the pod's annotation: no exec, no image of our own, and the kubelet refreshes
// the projected file by itself. The `.txt` name makes httpd answer `Content-Type: text/plain`,
// which Prometheus 3 requires (it refuses application/octet-stream scrapes by default).

import type { V1Container, V1Deployment, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { ProbeContext } from '../types.js';
import { PROBE_SHELL_IMAGE, RESTRICTED_CONTAINER } from './probe-pod.js';
import { ACCELERATOR_REQUEST } from './dra.js';

export const METRICS_ANNOTATION = 'ai-conformance.cncf.io/metrics';
export const METRICS_PORT = 8080;
export const METRICS_PORT_NAME = 'metrics';
export const METRICS_PATH = '/metrics.txt';
const PODINFO = '/etc/podinfo';

/** One gauge/counter in exposition format. */
export function exposition(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  value: number,
  labels: Record<string, string> = {},
): string {
  const rendered = Object.entries(labels)
    .map(([key, val]) => `${key}="${val.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',');
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${rendered ? `{${rendered}}` : ''} ${value}\n`;
}

function serverContainer(ctx: ProbeContext, accelerator: 'claim' | 'extended-resource' | 'none'): V1Container {
  const limits: Record<string, string> = { cpu: '100m', memory: '32Mi' };
  if (accelerator === 'extended-resource') {
    if (!ctx.profile.resourceName) throw new Error(`accelerator profile ${ctx.profile.name} names no extended resource`);
    limits[ctx.profile.resourceName] = '1';
  }
  const script = [
    'mkdir -p /tmp/www',
    `ln -sf ${PODINFO}/metrics /tmp/www${METRICS_PATH}`,
    `exec httpd -f -p ${METRICS_PORT} -h /tmp/www`,
  ].join(' && ');
  return {
    name: 'metrics',
    image: ctx.images.resolve(PROBE_SHELL_IMAGE),
    command: ['sh', '-c', script],
    ports: [{ name: METRICS_PORT_NAME, containerPort: METRICS_PORT }],
    readinessProbe: { httpGet: { path: METRICS_PATH, port: METRICS_PORT }, periodSeconds: 2 },
    volumeMounts: [{ name: 'podinfo', mountPath: PODINFO, readOnly: true }],
    resources: {
      limits,
      requests: { cpu: '10m', memory: '16Mi' },
      ...(accelerator === 'claim' ? { claims: [{ name: ACCELERATOR_REQUEST }] } : {}),
    },
    securityContext: RESTRICTED_CONTAINER,
  };
}

export interface MetricsWorkloadSpec {
  name: string;
  replicas: number;
  /** The exposition text each new pod starts with. */
  initialMetrics: string;
  /** Take one accelerator per pod from the profile: by claim template (DRA) or extended resource. */
  accelerator?: { claimTemplateName?: string };
  /** Extra pod annotations (e.g. prometheus.io/scrape). */
  annotations?: Record<string, string>;
}

export function metricsDeployment(ctx: ProbeContext, spec: MetricsWorkloadSpec): V1Deployment {
  const labels = { app: spec.name };
  const accelerator = !spec.accelerator ? 'none' : spec.accelerator.claimTemplateName ? 'claim' : 'extended-resource';
  const podSpec: V1PodSpec = {
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    ...(spec.accelerator ? { tolerations: ctx.profile.tolerations } : {}),
    containers: [serverContainer(ctx, accelerator)],
    volumes: [
      {
        name: 'podinfo',
        downwardAPI: { items: [{ path: 'metrics', fieldRef: { fieldPath: `metadata.annotations['${METRICS_ANNOTATION}']` } }] },
      },
    ],
    ...(spec.accelerator?.claimTemplateName
      ? { resourceClaims: [{ name: ACCELERATOR_REQUEST, resourceClaimTemplateName: spec.accelerator.claimTemplateName }] }
      : {}),
  };
  const template: V1PodTemplateSpec = {
    metadata: { labels, annotations: { [METRICS_ANNOTATION]: spec.initialMetrics, ...spec.annotations } },
    spec: podSpec,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, namespace: ctx.namespace, labels },
    spec: { replicas: spec.replicas, selector: { matchLabels: labels }, template },
  };
}
