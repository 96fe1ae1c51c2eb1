// The fake's protobuf request decoding, on bodies built here by the wire rules (the real kubectl
// sending them is in kubectl.test.ts): what it decodes, and that anything else is a 415 naming it.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../harness/errors.js';
import { decodeProtobufObject, isProtobuf, PROTOBUF } from '../harness/protobuf.js';

const varint = (value: number): Buffer => {
  const out: number[] = [];
  let v = value;
  do {
    out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  return Buffer.from(out);
};
const bytesField = (number: number, value: Buffer | string): Buffer => {
  const data = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([varint((number << 3) | 2), varint(data.length), data]);
};
const varintField = (number: number, value: number): Buffer => Buffer.concat([varint(number << 3), varint(value)]);
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from('k8s\u0000', 'binary'),
    bytesField(1, Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)])),
    bytesField(2, raw),
    bytesField(3, ''),
    bytesField(4, ''),
  ]);

function refusal(body: Buffer): ApiError {
  try {
    decodeProtobufObject(body);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('decoded');
}

describe('protobuf request bodies', () => {
  it('decodes a ConfigMap: metadata with a map, a zero time as null, empty fields left out, a set pointer kept', () => {
    const labels = bytesField(11, Buffer.concat([bytesField(1, 'app'), bytesField(2, 'web')]));
    const metadata = Buffer.concat([
      bytesField(1, 'settings'),
      bytesField(2, ''),
      bytesField(3, 'ns'),
      varintField(7, 0),
      bytesField(8, ''),
      labels,
    ]);
    const raw = Buffer.concat([
      bytesField(1, metadata),
      bytesField(2, Buffer.concat([bytesField(1, 'mode'), bytesField(2, 'a')])),
      bytesField(3, Buffer.concat([bytesField(1, 'blob'), bytesField(2, Buffer.from([0, 1, 2]))])),
      varintField(4, 0),
    ]);
    const body = envelope('v1', 'ConfigMap', raw);
    expect(isProtobuf(PROTOBUF, body)).toBe(true);
    expect(isProtobuf(undefined, body)).toBe(true);
    expect(isProtobuf('application/json', Buffer.from('{}'))).toBe(false);
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'ns', creationTimestamp: null, labels: { app: 'web' } },
      data: { mode: 'a' },
      binaryData: { blob: 'AAEC' },
      immutable: false,
    });
  });

  it('decodes a time as RFC 3339', () => {
    const time = Buffer.concat([varintField(1, 1_767_225_600), varintField(2, 5)]);
    const body = envelope('v1', 'Namespace', bytesField(1, bytesField(8, time)));
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { creationTimestamp: '2026-01-01T00:00:00Z' },
    });
  });

  it('refuses, with 415 and what it is, a kind or a field it does not decode, and a body without the prefix', () => {
    const deployment = refusal(envelope('apps/v1', 'Deployment', Buffer.alloc(0)));
    expect(deployment.code).toBe(415);
    expect(deployment.message).toMatch(/decodes protobuf only for v1\/Namespace, .* not apps\/v1\/Deployment; send application\/json$/);
    const field = refusal(envelope('v1', 'Namespace', bytesField(1, bytesField(17, 'managed'))));
    expect(field.message).toBe(
      'the fake apiserver does not decode field 17 of ObjectMeta (Namespace.metadata) from protobuf; send application/json',
    );
    expect(refusal(Buffer.from('{}')).message).toMatch(/without the "k8s\\0" prefix/);
  });
});
