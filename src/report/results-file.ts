// Reading and writing ai-conformance.json (our results model). Reading checks the file against schema/results.schema.json
// and names the first bad field, so `report` never renders from a half-valid file.

import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import schema from '../../schema/results.schema.json' with { type: 'json' };
import type { RunResults } from '../model/results.js';
import { UsageError, oneLine } from '../errors.js';

// ajv-formats is CommonJS; depending on the loader its plugin is the default export or inside it.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule;

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: false, strict: true });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  return validator;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${where}: missing required field '${String(params.missingProperty)}'`;
  if (error.keyword === 'additionalProperties') return `${where}: unknown field '${String(params.additionalProperty)}'`;
  if (error.keyword === 'enum') return `${where} ${error.message ?? 'is not allowed'} (${(params.allowedValues as unknown[]).join(', ')})`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** Undefined when valid, else one line naming the first bad field. */
export function resultsProblem(value: unknown): string | undefined {
  const check = validate();
  if (check(value)) return undefined;
  const first = check.errors?.[0];
  return first ? describe(first) : 'does not match the results schema';
}

export function isRunResults(value: unknown): value is RunResults {
  return resultsProblem(value) === undefined;
}

/** Reads and validates an ai-conformance.json; any problem is one line and a UsageError (exit 2). */
export async function readResultsFile(file: string): Promise<RunResults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : oneLine(error);
    throw new UsageError(`cannot read results file ${file}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (/^\{"Time":/.test(text))
      throw new UsageError(
        `${file} is a go test -json event stream (the CNCF artifact results.json), not a results model: pass the ai-conformance.json beside it`,
      );
    throw new UsageError(`${file} is not valid JSON: ${oneLine(error)}`);
  }
  const problem = resultsProblem(value);
  if (problem) throw new UsageError(`${file} is not a results file: ${problem}`);
  return value as RunResults;
}

export function serializeResults(results: RunResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
