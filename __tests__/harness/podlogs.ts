// Container logs written by the simulated kubelet, read through the pods/log subresource.
import { ApiError } from './errors.js';
import type { KObj } from './types.js';
import { isRecord } from './types.js';

export class PodLogs {
  private readonly logs = new Map<string, string>();

  private key(namespace: string, pod: string, container: string): string {
    return `${namespace}/${pod}/${container}`;
  }

  append(namespace: string, pod: string, container: string, text: string): void {
    const k = this.key(namespace, pod, container);
    this.logs.set(k, (this.logs.get(k) ?? '') + text);
  }

  read(namespace: string, pod: string, container: string): string | undefined {
    return this.logs.get(this.key(namespace, pod, container));
  }

  removePod(namespace: string, pod: string): void {
    for (const k of [...this.logs.keys()]) if (k.startsWith(`${namespace}/${pod}/`)) this.logs.delete(k);
  }
}

function containerNames(pod: KObj): string[] {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const list = Array.isArray(spec.containers) ? spec.containers : [];
  return list.filter(isRecord).map((c) => String(c.name));
}

/** The kubelet's answer to GET pods/NAME/log, with its error wording. */
export function podLogText(logs: PodLogs, pod: KObj, query: URLSearchParams): string {
  const name = pod.metadata.name ?? '';
  const namespace = pod.metadata.namespace ?? '';
  const names = containerNames(pod);
  let container = query.get('container') ?? undefined;
  if (!container) {
    if (names.length !== 1)
      throw new ApiError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    container = names[0] ?? '';
  }
  if (!names.includes(container)) throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
  const status = isRecord(pod.status) ? pod.status : {};
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isRecord) : [];
  const cs = statuses.find((s) => s.name === container);
  const state = cs && isRecord(cs.state) ? cs.state : undefined;
  const waiting = state && isRecord(state.waiting) ? state.waiting : undefined;
  if (!cs || waiting) {
    const reason = waiting && typeof waiting.reason === 'string' ? waiting.reason : 'ContainerCreating';
    throw new ApiError(400, 'BadRequest', `container "${container}" in pod "${name}" is waiting to start: ${reason}`);
  }
  let text = logs.read(namespace, name, container) ?? '';
  const tail = query.get('tailLines');
  if (tail !== null) {
    const lines = text.split('\n');
    const trailing = text.endsWith('\n');
    const body = trailing ? lines.slice(0, -1) : lines;
    text = body.slice(Math.max(0, body.length - Number(tail))).join('\n') + (trailing && body.length > 0 ? '\n' : '');
  }
  // limitBytes: the kubelet stops after that many bytes of what it would send (after tailLines).
  const limit = query.get('limitBytes');
  if (limit !== null)
    text = Buffer.from(text, 'utf8')
      .subarray(0, Math.max(0, Number(limit)))
      .toString('utf8');
  return text;
}
