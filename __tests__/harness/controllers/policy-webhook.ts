// Simulated policy engine (behaviour `policy-webhook`): the catch-all validating webhook of
// Gatekeeper or Kyverno, whose rules cover every group and resource. It denies creates and
// updates of the listed resources while a ValidatingWebhookConfiguration lists the webhook, with
// the API server's "admission webhook NAME denied the request" message. Parameters: webhookName
// (default validation.gatekeeper.sh), resources (resource keys it denies, e.g.
// [rayclusters.ray.io]; default none), message (the policy's reason).
import { ApiError } from '../errors.js';
import { isRecord } from '../types.js';
import type { Controller, ControllerContext, ControllerFactory } from './types.js';

const WEBHOOK_CONFIGURATIONS = 'validatingwebhookconfigurations.admissionregistration.k8s.io';

export const policyWebhookController: ControllerFactory = (ctx: ControllerContext): Controller => {
  const webhookName = typeof ctx.params.webhookName === 'string' ? ctx.params.webhookName : 'validation.gatekeeper.sh';
  const resources = new Set(
    Array.isArray(ctx.params.resources) ? ctx.params.resources.filter((r): r is string => typeof r === 'string') : [],
  );
  const reason = typeof ctx.params.message === 'string' ? ctx.params.message : '[required-labels] you must provide labels: {"owner"}';
  const registered = (): boolean =>
    ctx.store
      .list(WEBHOOK_CONFIGURATIONS)
      .some((configuration) =>
        (Array.isArray(configuration.webhooks) ? configuration.webhooks : []).some((w) => isRecord(w) && w.name === webhookName),
      );
  return {
    start(): void {
      ctx.registerAdmission((req) => {
        if (!resources.has(req.resource) || req.subresource || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
        if (!registered()) return;
        throw new ApiError(403, 'Forbidden', `admission webhook "${webhookName}" denied the request: ${reason}`);
      });
    },
  };
};
