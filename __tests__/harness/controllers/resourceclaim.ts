// The resourceclaim controller: a pod naming a ResourceClaimTemplate gets its own ResourceClaim
// (owned by the pod, recorded in pod.status.resourceClaimStatuses); reservations of pods that
// are done or gone are removed and a claim nobody reserves is deallocated.
import { CLAIMS, TEMPLATES } from '../dra.js';
import type { KObj } from '../types.js';
import type { ControllerFactory } from './types.js';
import { arr, ownerRef, podTerminal, rec } from './util.js';

export const resourceClaimController: ControllerFactory = (ctx) => {
  const { store } = ctx;

  const ensureClaims = (pod: KObj): void => {
    if (pod.metadata.deletionTimestamp || podTerminal(pod)) return;
    const statuses = arr(rec(pod.status).resourceClaimStatuses);
    const created: { name: string; resourceClaimName: string }[] = [];
    for (const rc of arr(rec(pod.spec).resourceClaims)) {
      const name = String(rc.name);
      if (typeof rc.resourceClaimTemplateName !== 'string' || statuses.some((s) => s.name === name)) continue;
      const template = store.get(TEMPLATES, pod.metadata.namespace, rc.resourceClaimTemplateName);
      if (!template) continue; // retried when the template appears
      const tspec = rec(template.spec);
      const tmeta = rec(tspec.metadata);
      const claim = store.create(CLAIMS, {
        apiVersion: 'resource.k8s.io/v1',
        kind: 'ResourceClaim',
        metadata: {
          generateName: `${pod.metadata.name ?? ''}-${name}-`,
          namespace: pod.metadata.namespace,
          labels: rec(tmeta.labels) as Record<string, string>,
          annotations: { ...(rec(tmeta.annotations) as Record<string, string>), 'resource.kubernetes.io/pod-claim-name': name },
          ownerReferences: [ownerRef(pod)],
        },
        spec: structuredClone(rec(tspec.spec)),
      });
      created.push({ name, resourceClaimName: claim.metadata.name ?? '' });
    }
    if (created.length === 0) return;
    store.mutate(
      'pods',
      pod.metadata.namespace,
      pod.metadata.name ?? '',
      (p) => {
        const status = rec(p.status);
        status.resourceClaimStatuses = [...arr(status.resourceClaimStatuses), ...created];
        p.status = status;
        return p;
      },
      'status',
    );
  };

  const release = (claim: KObj): void => {
    const reserved = arr(rec(claim.status).reservedFor);
    const keep = reserved.filter((r) => {
      if (r.resource !== 'pods') return true;
      const pod = store.get('pods', claim.metadata.namespace, String(r.name));
      return pod !== undefined && pod.metadata.uid === r.uid && !podTerminal(pod);
    });
    if (keep.length === reserved.length && !(keep.length === 0 && rec(claim.status).allocation !== undefined)) return;
    store.mutate(
      CLAIMS,
      claim.metadata.namespace,
      claim.metadata.name ?? '',
      (c) => {
        const status = rec(c.status);
        if (keep.length === 0) {
          delete status.reservedFor;
          delete status.allocation;
        } else status.reservedFor = keep;
        c.status = status;
        return c;
      },
      'status',
    );
  };

  const claimsOfPod = (pod: KObj): KObj[] =>
    store
      .list(CLAIMS, { namespace: pod.metadata.namespace })
      .filter((c) => arr(rec(c.status).reservedFor).some((r) => r.uid === pod.metadata.uid));

  return {
    start() {
      if (!store.registry.byKey(CLAIMS)) return;
      ctx.watch('pods', (ev) => {
        if (ev.type === 'DELETED' || podTerminal(ev.object)) {
          for (const c of claimsOfPod(ev.object)) release(c);
          return;
        }
        if (arr(rec(ev.object.spec).resourceClaims).length > 0) ensureClaims(ev.object);
      });
      ctx.watch(
        TEMPLATES,
        (ev) => {
          if (ev.type !== 'ADDED') return;
          for (const pod of store.list('pods', { namespace: ev.object.metadata.namespace })) ensureClaims(pod);
        },
        { replay: false },
      );
    },
  };
};
