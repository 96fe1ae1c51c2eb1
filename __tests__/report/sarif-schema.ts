// The official SARIF 2.1.0 schema (fixtures/sarif/, copied from oasis-tcs/sarif-spec) is
// draft-04, which Ajv 8 no longer ships. Its only draft-04-only parts are the "$schema" URI and
// the top-level "id"; it uses no boolean exclusiveMinimum/Maximum (the one keyword whose meaning
// changed), which loadSarifValidator asserts before declaring it draft-07 and compiling.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule;

export const SARIF_SCHEMA_PATH = path.resolve(import.meta.dirname, '../../fixtures/sarif/sarif-schema-2.1.0.json');

export function loadSarifValidator(): ValidateFunction {
  const text = readFileSync(SARIF_SCHEMA_PATH, 'utf8');
  if (/"exclusive(Minimum|Maximum)"\s*:\s*(true|false)/.test(text)) {
    throw new Error('the SARIF schema uses draft-04 boolean exclusiveMinimum/Maximum; the draft-07 reading would be wrong');
  }
  const schema = JSON.parse(text) as Record<string, unknown>;
  if (schema.$schema !== 'http://json-schema.org/draft-04/schema#') throw new Error(`unexpected $schema ${String(schema.$schema)}`);
  const { id, ...rest } = schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const draft07: Record<string, unknown> = { ...rest, $schema: 'http://json-schema.org/draft-07/schema#', $id: id };
  return ajv.compile(draft07);
}
