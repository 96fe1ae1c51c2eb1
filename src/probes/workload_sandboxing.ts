// workload_sandboxing (1.37): workloads can run in a sandbox strongly isolated from the node's
// kernel (KAR-0020; the kubernetes-sigs/ai-conformance test TestWorkloadSandboxing compares the
// same kernel identities). Test plan:
//   1. a sandboxing RuntimeClass exists: the one named with --probe-option
//      workload-sandboxing.runtime-class, else one whose name or handler is a known sandbox
//      (gVisor's runsc, Kata Containers, …);
//   2. a pod using it runs (its node has the runtime handler);
//   3. from inside, that pod sees a kernel boundary: an unsandboxed pod on the same node reports
//      another kernel identity (uname -r, /proc/version or the boot id), because a plain
//      container shares the host's kernel and a sandbox brings its own (gVisor's Sentry, a Kata VM).
// A plain container also has its own PID, mount and network namespaces, so those say nothing
// about a sandbox; the kernel identity is what tells the two apart.

import type { CoreV1Event, V1Pod, V1RuntimeClass } from '@kubernetes/client-node';
import { WaitTimeout } from '../kube/types.js';
import { CheckFailure, defineProbe, type ProbeContext } from './types.js';
import { duration, text } from './options.js';
import { PROBE_SHELL_DEFAULT, PROBE_SHELL_IMAGE, waitForPod } from './lib/probe-pod.js';
import { SHELL_CONTAINER, lineValue, shellPod } from './lib/shell-pod.js';
import { unschedulableFails } from './lib/verdicts.js';

const SANDBOX_KEYWORDS = ['gvisor', 'runsc', 'kata', 'sandboxed', 'quark', 'krun', 'firecracker'];
const SANDBOXED = 'sandboxed-probe';
const CONTROL = 'unsandboxed-control';

const IDENTITY = [
  { field: 'kernel release', prefix: 'AI_CONFORMANCE_KERNEL_RELEASE', command: 'uname -r' },
  { field: 'kernel version', prefix: 'AI_CONFORMANCE_KERNEL_VERSION', command: 'cat /proc/version' },
  { field: 'boot id', prefix: 'AI_CONFORMANCE_BOOT_ID', command: 'cat /proc/sys/kernel/random/boot_id' },
] as const;
const SCRIPT = IDENTITY.map((item) => `echo "${item.prefix} $(${item.command} 2>/dev/null)"`).join('\n');

type Identity = Record<(typeof IDENTITY)[number]['field'], string>;

export const workloadSandboxingProbe = defineProbe({
  id: 'workload_sandboxing',
  // Above its two pod waits (180 s each), so they report, not the timeout.
  timeoutMs: 8 * 60_000,
  options: {
    'workload-sandboxing.runtime-class': text(
      'the sandboxing RuntimeClass to test (default: the first whose name or handler is a known sandbox)',
    ),
    'workload-sandboxing.pod-ms': duration(180_000, 'how long each of the two probe pods may take to run to completion'),
  },
  images: { [PROBE_SHELL_IMAGE]: PROBE_SHELL_DEFAULT },
  async run(ctx) {
    const podMs = ctx.option('workload-sandboxing.pod-ms');
    const runtimeClass = await ctx.step('a sandboxing RuntimeClass exists', async () => {
      const classes = (await ctx.kube.listPage<V1RuntimeClass>({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass' }, { limit: 100 }))
        .items;
      const wanted = ctx.option('workload-sandboxing.runtime-class');
      const present = classes.map(describeClass).join(', ') || 'none';
      if (wanted) {
        const given = classes.find((rc) => rc.metadata?.name === wanted);
        if (!given)
          throw new CheckFailure(
            `RuntimeClass ${wanted} (given with --probe-option workload-sandboxing.runtime-class) does not exist; RuntimeClasses: ${present}`,
          );
        return { seen: `${describeClass(given)}, given with --probe-option workload-sandboxing.runtime-class`, value: given };
      }
      const sandboxes = classes.filter(isSandbox);
      const first = sandboxes.at(0);
      if (!first) {
        throw new CheckFailure(
          `no RuntimeClass of a known sandbox (${SANDBOX_KEYWORDS.join(', ')}); RuntimeClasses: ${present}. Name another sandboxing RuntimeClass with --probe-option workload-sandboxing.runtime-class=NAME`,
        );
      }
      return {
        seen: `${describeClass(first)}${sandboxes.length > 1 ? ` (also ${sandboxes.slice(1).map(describeClass).join(', ')})` : ''}`,
        value: first,
      };
    });
    const className = runtimeClass.metadata?.name ?? '';

    const inside = await ctx.step(`a pod using RuntimeClass ${className} runs`, async () => {
      const sandboxed = await runToCompletion(
        ctx,
        shellPod(ctx, { name: SANDBOXED, script: SCRIPT, spec: { runtimeClassName: className } }),
        podMs,
      );
      return {
        seen: `pod ${SANDBOXED} ran with handler ${runtimeClass.handler} on node ${sandboxed.node}; it sees kernel ${describeIdentity(sandboxed.identity)}`,
        value: sandboxed,
      };
    });

    await ctx.check('the sandboxed pod sees another kernel than a plain pod on its node', async () => {
      // Same node, and the tolerations the RuntimeClass gave the sandboxed pod (its nodes may be tainted).
      const created = await ctx.kube.get<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name: SANDBOXED });
      const control = await runToCompletion(
        ctx,
        shellPod(ctx, { name: CONTROL, script: SCRIPT, node: inside.node, spec: { tolerations: created?.spec?.tolerations } }),
        podMs,
      );
      const compared = IDENTITY.map((item) => item.field).filter(
        (field) => inside.identity[field] !== '' && control.identity[field] !== '',
      );
      if (compared.length === 0)
        throw new Error(`neither pod could read its kernel identity (uname -r, /proc/version, boot id) on node ${inside.node}`);
      const differing = compared.filter((field) => inside.identity[field] !== control.identity[field]);
      const seen = `sandboxed: ${describeIdentity(inside.identity)}; plain pod: ${describeIdentity(control.identity)}`;
      if (differing.length === 0) {
        throw new CheckFailure(
          `${describeClass(runtimeClass)} shares the host kernel: a pod using it and a plain pod on node ${inside.node} see the same ${compared.join(', ')} (${seen})`,
        );
      }
      return `on node ${inside.node} the ${differing.join(', ')} differ: ${seen}`;
    });
  },
});

function isSandbox(runtimeClass: V1RuntimeClass): boolean {
  const text = `${runtimeClass.metadata?.name ?? ''} ${runtimeClass.handler}`.toLowerCase();
  return SANDBOX_KEYWORDS.some((keyword) => text.includes(keyword));
}

function describeClass(runtimeClass: V1RuntimeClass): string {
  return `RuntimeClass ${runtimeClass.metadata?.name ?? '?'} (handler ${runtimeClass.handler})`;
}

/** Runs a pod to completion; a sandbox the node cannot create is the answer, not a slow start. */
async function runToCompletion(ctx: ProbeContext, pod: V1Pod, timeoutMs: number): Promise<{ node: string; identity: Identity }> {
  const name = pod.metadata?.name ?? '?';
  await ctx.kube.create(pod);
  let done: V1Pod;
  try {
    done = await waitForPod(ctx, name, 'completed', timeoutMs).catch(unschedulableFails);
  } catch (error) {
    if (error instanceof WaitTimeout) {
      const events = await ctx.kube.list<CoreV1Event>(
        { apiVersion: 'v1', kind: 'Event', namespace: ctx.namespace },
        { fieldSelector: `involvedObject.name=${name},reason=FailedCreatePodSandBox` },
      );
      const last = events.at(-1);
      if (last) throw new CheckFailure(`pod ${name} cannot start: ${last.message ?? 'FailedCreatePodSandBox'}`);
    }
    throw error;
  }
  const log = await ctx.kube.podLogs(ctx.namespace, name, SHELL_CONTAINER);
  const identity = Object.fromEntries(IDENTITY.map((item) => [item.field, lineValue(log, item.prefix) ?? ''])) as Identity;
  return { node: done.spec?.nodeName ?? '?', identity };
}

function describeIdentity(identity: Identity): string {
  return `${identity['kernel release'] || '?'} (boot id ${identity['boot id'] || '?'})`;
}
