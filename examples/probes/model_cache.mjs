// An example probe module for `run --probe-dir examples/probes` (WG mode): a requirement that is
// only proposed, checked beside the built-in ones and reported as "proposed" in every report.
// A module default-exports a Probe (src/probes/types.ts): an id, a timeout and run(ctx), which is
// a sequence of ctx.check() steps. A step returns what it saw, or throws to fail; the runner turns
// the steps into the verdict, labels what ctx.kube creates, and deletes it afterwards.
// Plain JavaScript so that it loads under any Node version; Node 24 also loads .ts modules.

/** @type {import('../../src/probes/types.js').Probe} */
const probe = {
  id: 'model_cache',
  timeoutMs: 60_000,
  proposal: { category: 'accelerators', level: 'SHOULD', summary: 'Model weights can be cached on nodes.' },
  async run(ctx) {
    await ctx.check('a cache entry can be recorded', async () => {
      const created = await ctx.kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cache' }, data: { model: 'm' } });
      const seen = await ctx.kube.waitFor(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: ctx.namespace, name: 'cache' },
        (cm) => cm.data?.model === 'm',
        { description: 'configmap cache', timeoutMs: 30_000 },
      );
      return `configmap ${created.metadata?.name} seen in ${seen.metadata?.namespace}`;
    });
  },
};
export default probe;
