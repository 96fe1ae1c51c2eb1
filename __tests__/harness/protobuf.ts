// Kubernetes protobuf request bodies, for the kinds the real kubectl sends that way. Its generated
// clients (client-go gentype, `UseProtobufAsDefaultIfPreferred`) encode built-in kinds as
// `application/vnd.kubernetes.protobuf` whenever the kubeconfig sets no content type, and nothing a
// server answers makes them switch: client-go falls back to JSON after a 415 only for CBOR
// (rest/client.go, requestClientContentConfigProvider). So `kubectl create namespace`, `create
// configmap|secret|serviceaccount` and `auth can-i` need the fake to read protobuf, as a real
// API server does. Responses stay JSON, which those clients accept too.
//
// The wire format (k8s.io/apimachinery runtime/serializer/protobuf): the bytes "k8s\0", then a
// runtime.Unknown message {typeMeta{apiVersion=1, kind=2}=1, raw=2 (the object's own message),
// contentEncoding=3, contentType=4}. The field numbers below are those of the k8s.io/api and
// apimachinery generated.proto files. A kind or a field not listed is refused with 415 and says
// so: nothing is dropped silently.
import { ApiError } from './errors.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Scalar = 'string' | 'bool' | 'int' | 'bytes' | 'time' | 'stringMap' | 'bytesMap';
interface Field {
  name: string;
  type: Scalar | Message;
  repeated?: true;
  /** A pointer in Go: written only when set, so false/0/"" is a value to keep. */
  pointer?: true;
}
interface Message {
  name: string;
  fields: Readonly<Partial<Record<number, Field>>>;
}

const OWNER_REFERENCE: Message = {
  name: 'OwnerReference',
  fields: {
    5: { name: 'apiVersion', type: 'string' },
    1: { name: 'kind', type: 'string' },
    3: { name: 'name', type: 'string' },
    4: { name: 'uid', type: 'string' },
    6: { name: 'controller', type: 'bool', pointer: true },
    7: { name: 'blockOwnerDeletion', type: 'bool', pointer: true },
  },
};

const OBJECT_META: Message = {
  name: 'ObjectMeta',
  fields: {
    1: { name: 'name', type: 'string' },
    2: { name: 'generateName', type: 'string' },
    3: { name: 'namespace', type: 'string' },
    4: { name: 'selfLink', type: 'string' },
    5: { name: 'uid', type: 'string' },
    6: { name: 'resourceVersion', type: 'string' },
    7: { name: 'generation', type: 'int' },
    8: { name: 'creationTimestamp', type: 'time' },
    9: { name: 'deletionTimestamp', type: 'time' },
    10: { name: 'deletionGracePeriodSeconds', type: 'int', pointer: true },
    11: { name: 'labels', type: 'stringMap' },
    12: { name: 'annotations', type: 'stringMap' },
    13: { name: 'ownerReferences', type: OWNER_REFERENCE, repeated: true },
    14: { name: 'finalizers', type: 'string', repeated: true },
  },
};

const meta = { 1: { name: 'metadata', type: OBJECT_META } } as const;

/** apiVersion/kind -> the object's message. */
const KINDS: Readonly<Partial<Record<string, Message>>> = {
  'v1/Namespace': {
    name: 'Namespace',
    fields: {
      ...meta,
      2: { name: 'spec', type: { name: 'NamespaceSpec', fields: { 1: { name: 'finalizers', type: 'string', repeated: true } } } },
      3: { name: 'status', type: { name: 'NamespaceStatus', fields: { 1: { name: 'phase', type: 'string' } } } },
    },
  },
  'v1/ConfigMap': {
    name: 'ConfigMap',
    fields: {
      ...meta,
      4: { name: 'immutable', type: 'bool', pointer: true },
      2: { name: 'data', type: 'stringMap' },
      3: { name: 'binaryData', type: 'bytesMap' },
    },
  },
  'v1/Secret': {
    name: 'Secret',
    fields: {
      ...meta,
      5: { name: 'immutable', type: 'bool', pointer: true },
      2: { name: 'data', type: 'bytesMap' },
      4: { name: 'stringData', type: 'stringMap' },
      3: { name: 'type', type: 'string' },
    },
  },
  'v1/ServiceAccount': {
    name: 'ServiceAccount',
    fields: {
      ...meta,
      3: {
        name: 'imagePullSecrets',
        type: { name: 'LocalObjectReference', fields: { 1: { name: 'name', type: 'string' } } },
        repeated: true,
      },
      4: { name: 'automountServiceAccountToken', type: 'bool', pointer: true },
    },
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    name: 'SelfSubjectAccessReview',
    fields: {
      ...meta,
      2: {
        name: 'spec',
        type: {
          name: 'SelfSubjectAccessReviewSpec',
          fields: {
            1: {
              name: 'resourceAttributes',
              type: {
                name: 'ResourceAttributes',
                fields: {
                  1: { name: 'namespace', type: 'string' },
                  2: { name: 'verb', type: 'string' },
                  3: { name: 'group', type: 'string' },
                  4: { name: 'version', type: 'string' },
                  5: { name: 'resource', type: 'string' },
                  6: { name: 'subresource', type: 'string' },
                  7: { name: 'name', type: 'string' },
                },
              },
            },
            2: {
              name: 'nonResourceAttributes',
              type: { name: 'NonResourceAttributes', fields: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } } },
            },
          },
        },
      },
      // The request's status is ignored (the server writes it); decoded so it is not refused.
      3: {
        name: 'status',
        type: {
          name: 'SubjectAccessReviewStatus',
          fields: {
            1: { name: 'allowed', type: 'bool' },
            4: { name: 'denied', type: 'bool' },
            2: { name: 'reason', type: 'string' },
            3: { name: 'evaluationError', type: 'string' },
          },
        },
      },
    },
  },
};

/** Whether a body is in the Kubernetes protobuf encoding (by its header, else by its magic bytes). */
export function isProtobuf(contentType: string | undefined, body: Buffer): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim();
  return mediaType === PROTOBUF || body.subarray(0, MAGIC.length).equals(MAGIC);
}

function unsupported(message: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `${message}; send application/json`);
}

/** A cursor over protobuf wire data. */
class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  get done(): boolean {
    return this.at >= this.bytes.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.at >= this.bytes.length || shift > 63n) throw unsupported('a truncated protobuf varint');
      const byte = this.bytes[this.at++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  }
  chunk(): Buffer {
    const length = Number(this.varint());
    if (this.at + length > this.bytes.length) throw unsupported('a truncated protobuf field');
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.chunk();
    else if (wireType === 1) this.at += 8;
    else if (wireType === 5) this.at += 4;
    else throw unsupported(`protobuf wire type ${wireType}`);
  }
}

/** Field number -> the raw values written for it (varints as bigint, length-delimited as bytes). */
function fieldsOf(bytes: Buffer): Map<number, (bigint | Buffer)[]> {
  const reader = new Reader(bytes);
  const out = new Map<number, (bigint | Buffer)[]>();
  while (!reader.done) {
    const key = reader.varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    const values = out.get(number) ?? [];
    if (wireType === 0) values.push(reader.varint());
    else if (wireType === 2) values.push(reader.chunk());
    else {
      reader.skip(wireType);
      continue;
    }
    out.set(number, values);
  }
  return out;
}

const text = (value: bigint | Buffer): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
const int = (value: bigint | Buffer): number => (typeof value === 'bigint' ? Number(BigInt.asIntN(64, value)) : Number.NaN);

function mapOf(entries: (bigint | Buffer)[], bytesValues: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    if (!Buffer.isBuffer(entry)) continue;
    const fields = fieldsOf(entry);
    const key = fields.get(1)?.[0];
    const value = fields.get(2)?.[0];
    const raw = value === undefined ? Buffer.alloc(0) : Buffer.isBuffer(value) ? value : Buffer.from(text(value));
    out[key === undefined ? '' : text(key)] = bytesValues ? raw.toString('base64') : raw.toString('utf8');
  }
  return out;
}

/** metav1.Time: {seconds, nanos}; an empty message is the zero time, which JSON writes as null. */
function timeOf(value: bigint | Buffer): string | null {
  if (!Buffer.isBuffer(value) || value.length === 0) return null;
  const fields = fieldsOf(value);
  const seconds = fields.get(1)?.[0];
  return new Date((seconds === undefined ? 0 : int(seconds)) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeMessage(bytes: Buffer, message: Message, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [number, values] of fieldsOf(bytes)) {
    const field = message.fields[number];
    if (!field) throw unsupported(`the fake apiserver does not decode field ${number} of ${message.name} (${path}) from protobuf`);
    const at = `${path}.${field.name}`;
    const one = (value: bigint | Buffer): unknown => {
      if (typeof field.type === 'object') return Buffer.isBuffer(value) ? decodeMessage(value, field.type, at) : {};
      switch (field.type) {
        case 'string':
          return text(value);
        case 'bool':
          return typeof value === 'bigint' && value !== 0n;
        case 'int':
          return int(value);
        case 'bytes':
          return Buffer.isBuffer(value) ? value.toString('base64') : '';
        case 'time':
          return timeOf(value);
        default:
          return undefined;
      }
    };
    if (field.type === 'stringMap' || field.type === 'bytesMap') out[field.name] = mapOf(values, field.type === 'bytesMap');
    else if (field.repeated) out[field.name] = values.map(one);
    else {
      const value = one(values[values.length - 1] ?? Buffer.alloc(0));
      // Generated code writes every non-pointer field, set or not; JSON omits the empty ones.
      if (field.pointer || !(value === '' || value === 0 || value === false)) out[field.name] = value;
    }
  }
  return out;
}

/** The JSON object of a Kubernetes protobuf body; 415 for what the fake does not decode. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, MAGIC.length).equals(MAGIC)) throw unsupported('a protobuf body without the "k8s\\0" prefix');
  const unknown = fieldsOf(body.subarray(MAGIC.length));
  const typeMeta = unknown.get(1)?.[0];
  const raw = unknown.get(2)?.[0];
  const encoding = unknown.get(3)?.[0];
  if (encoding !== undefined && text(encoding) !== '') throw unsupported(`protobuf content encoding ${text(encoding)}`);
  const typeFields = Buffer.isBuffer(typeMeta) ? fieldsOf(typeMeta) : new Map<number, (bigint | Buffer)[]>();
  const apiVersionValue = typeFields.get(1)?.[0];
  const kindValue = typeFields.get(2)?.[0];
  const apiVersion = apiVersionValue === undefined ? '' : text(apiVersionValue);
  const kind = kindValue === undefined ? '' : text(kindValue);
  const message = KINDS[`${apiVersion}/${kind}`];
  if (!message) {
    throw unsupported(
      `the fake apiserver decodes protobuf only for ${Object.keys(KINDS).join(', ')}, not ${apiVersion || '?'}/${kind || '?'}`,
    );
  }
  return { apiVersion, kind, ...decodeMessage(Buffer.isBuffer(raw) ? raw : Buffer.alloc(0), message, kind) };
}
