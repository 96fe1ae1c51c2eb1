// The exporter families' rules on hand-made samples: how a series names its accelerator, which
// series are not an accelerator's at all, and what the Prometheus queries ask for.
import { describe, expect, it } from 'vitest';
import {
  coverage,
  FAMILY_QUERIES,
  idleExporters,
  lacking,
  memoryElsewhere,
  podUtilisation,
} from '../../../src/probes/lib/accelerator-metrics.js';
import type { Sample } from '../../../src/probes/lib/prometheus-text.js';

const s = (name: string, labels: Record<string, string>, value = 0): Sample => ({ name, labels, value });

describe('accelerator metric families', () => {
  it('counts an Intel GPU once, its device-level and tile series together (node, pci_bdf)', () => {
    const device = { uuid: 'u0', pci_bdf: '0000:29:00.0', dev_file: 'card1', node: 'xpu-1' };
    const samples = [
      s('xpum_engine_ratio', { ...device, src: 'avg' }),
      s('xpum_memory_used_bytes', { ...device, sub_dev: '0', src: 'direct' }, 1e8),
      s('xpum_memory_used_bytes', { ...device, sub_dev: '1', src: 'direct' }, 1e8),
      // A card aggregate names no PCI device: no accelerator of its own.
      s('xpum_power_watts', { card: '2147483649', src: 'sum' }, 300),
    ];
    const [intel] = coverage(samples);
    expect([...intel.accelerators.keys()]).toEqual(['xpu-1/0000:29:00.0']);
    expect(lacking(intel)).toEqual([]);
  });

  it("takes only the TPU device plugin's series (make=cloud-tpu) for TPU chips: memory_used is a common name", () => {
    const chip = { accelerator_id: '123-0', make: 'cloud-tpu', model: 'tpu-v5-lite-podslice', pod: 'p', namespace: 'ns' };
    const samples = [s('tensorcore_utilization', chip, 40), s('memory_used', { job: 'some-app' }, 5), s('memory_used', { ...chip }, 2e9)];
    const [tpu] = coverage(samples);
    expect(tpu.family.vendor).toBe('GKE TPU device plugin');
    expect([...tpu.accelerators.keys()]).toEqual(['123-0']);
    expect(FAMILY_QUERIES.find((q) => q.includes('"tensorcore_utilization|'))).toContain('make="cloud-tpu"');
  });

  it('leaves TPU memory missing in-cluster to a person (Cloud Monitoring), but not missing utilisation', () => {
    const chip = { accelerator_id: '123-0', make: 'cloud-tpu' };
    const [onlyUtil] = coverage([s('duty_cycle', chip, 10)]);
    expect(lacking(onlyUtil)).toEqual([]);
    expect(memoryElsewhere(onlyUtil)).toEqual(['123-0']);
    const [onlyMemory] = coverage([s('memory_total', chip, 1.7e10)]);
    expect(lacking(onlyMemory)).toEqual(['123-0 lacks utilisation (tensorcore_utilization or duty_cycle)']);
  });

  it('names a NeuronCore by its instance and core, and an idle neuron-monitor by neuron_hardware_info', () => {
    const core = { instance_id: 'i-0abc', neuroncore: '3', memory_location: 'None' };
    const [neuron] = coverage([s('neuroncore_utilization_ratio', core, 0.5), s('neuroncore_memory_usage_tensors', core, 6e6)]);
    expect([...neuron.accelerators.keys()]).toEqual(['i-0abc/nc3']);
    const idle = [s('neuron_hardware_info', { instance_id: 'i-0abc', neuron_device_count: '16' }, 1)];
    expect(coverage(idle)).toEqual([]);
    expect(idleExporters(idle, []).map((i) => [i.family.vendor, i.seen])).toEqual([['AWS Neuron Monitor', ['neuron_hardware_info']]]);
    expect(FAMILY_QUERIES[0]).toContain('neuron_hardware_info');
  });

  it("finds a pod's Intel GPU by XPU Manager's kube_pod / kube_namespace labels", () => {
    const held = s('xpum_engine_ratio', { pci_bdf: '0000:29:00.0', node: 'n', kube_pod: 'load', kube_namespace: 'ns' }, 0.9);
    expect(podUtilisation([held], { name: 'load', namespace: 'ns', uuids: [] })).toMatchObject({ by: 'its pod labels', samples: [held] });
  });
});
