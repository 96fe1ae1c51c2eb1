// Defaulting the apiserver does on create, for the kinds probes and controllers rely on.
import type { KObj } from './types.js';
import { isRecord } from './types.js';

function rec(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const cur = obj[key];
  if (isRecord(cur)) return cur;
  const fresh: Record<string, unknown> = {};
  obj[key] = fresh;
  return fresh;
}

function defaultPodSpec(spec: Record<string, unknown>): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= 'default';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  // DefaultTolerationSeconds admission.
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => isRecord(t) && t.key === key))
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
  for (const list of ['containers', 'initContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      if (!isRecord(c)) continue;
      c.imagePullPolicy ??=
        typeof c.image === 'string' && (c.image.endsWith(':latest') || !c.image.includes(':')) ? 'Always' : 'IfNotPresent';
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.resources ??= {};
      // Limits without requests default the requests to the limits.
      const res = c.resources;
      if (isRecord(res) && isRecord(res.limits)) {
        const requests = isRecord(res.requests) ? res.requests : {};
        for (const [k, v] of Object.entries(res.limits)) requests[k] ??= v;
        res.requests = requests;
      }
    }
  }
}

export function applyDefaults(kind: string, obj: KObj): void {
  const o = obj as Record<string, unknown>;
  switch (kind) {
    case 'Pod': {
      defaultPodSpec(rec(o, 'spec'));
      const status = rec(o, 'status');
      status.phase ??= 'Pending';
      status.qosClass ??= 'BestEffort';
      break;
    }
    case 'Namespace': {
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
      const spec = rec(o, 'spec');
      spec.finalizers ??= ['kubernetes'];
      rec(o, 'status').phase ??= 'Active';
      break;
    }
    case 'Job': {
      const spec = rec(o, 'spec');
      spec.parallelism ??= 1;
      spec.completions ??= 1;
      spec.backoffLimit ??= 6;
      spec.completionMode ??= 'NonIndexed';
      spec.suspend ??= false;
      spec.manualSelector ??= false;
      const template = rec(spec, 'template');
      const uid = obj.metadata.uid ?? '';
      const labels = {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': obj.metadata.name ?? '',
        'controller-uid': uid,
        'job-name': obj.metadata.name ?? '',
      };
      const tmeta = rec(template, 'metadata');
      tmeta.labels = { ...(isRecord(tmeta.labels) ? tmeta.labels : {}), ...labels };
      spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      defaultPodSpec(rec(template, 'spec'));
      break;
    }
    case 'Deployment': {
      const spec = rec(o, 'spec');
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      defaultPodSpec(rec(rec(spec, 'template'), 'spec'));
      break;
    }
    case 'ReplicaSet':
      rec(o, 'spec').replicas ??= 1;
      break;
    case 'Service': {
      const spec = rec(o, 'spec');
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.clusterIP === undefined && spec.type !== 'ExternalName') {
        const n = Math.floor(Math.random() * 250) + 2;
        spec.clusterIP = `10.96.${Math.floor(Math.random() * 250)}.${n}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      break;
    }
    case 'Secret':
      // SetDefaults_Secret (k8s.io/kubernetes pkg/apis/core/v1/defaults.go): no type is Opaque.
      o.type ??= 'Opaque';
      break;
    default:
      break;
  }
}
