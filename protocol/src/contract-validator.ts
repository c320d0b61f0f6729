// Validates JSON bodies against the Retaia v1 OpenAPI contract (used by tests on both halves).
// The contract is OpenAPI 3.1 but still uses the 3.0 `nullable: true` keyword in places; plain
// JSON Schema ignores it, so we rewrite it to `type: [T, "null"]` before compiling.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export const CONTRACT_PATH = fileURLToPath(
  new URL('../contract/retaia-openapi-v1.yaml', import.meta.url),
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function rewriteNullable(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) out[k] = rewriteNullable(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (out.type === undefined && (out.allOf || out.$ref)) {
      const inner = { ...out };
      return { anyOf: [inner, { type: 'null' }] };
    }
  }
  return out;
}

export interface ContractValidator {
  /** Problems of `value` against `#/components/schemas/<name>`; empty when valid. */
  schemaErrors(name: string, value: unknown): string[];
  /**
   * Problems of a response body against the operation's declared schema for that status.
   * `pathTemplate` is the contract's path key, e.g. `/jobs/{job_id}/claim`.
   */
  responseErrors(method: string, pathTemplate: string, status: number, body: unknown): string[];
  /** Whether the contract declares a JSON schema for that response at all. */
  hasResponseSchema(method: string, pathTemplate: string, status: number): boolean;
}

let cached: ContractValidator | undefined;

export function loadContractValidator(): ContractValidator {
  if (cached) return cached;
  const doc = rewriteNullable(parseYaml(readFileSync(CONTRACT_PATH, 'utf8')) as Json) as Record<
    string,
    any // eslint-disable-line @typescript-eslint/no-explicit-any
  >;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema({ $id: 'contract', components: doc.components }, 'contract');
  const compiled = new Map<string, ValidateFunction>();

  const fmt = (v: ValidateFunction) =>
    (v.errors ?? []).map(
      (e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );

  const responseSchema = (method: string, pathTemplate: string, status: number) => {
    const op = doc.paths?.[pathTemplate]?.[method.toLowerCase()];
    if (!op) throw new Error(`contract has no operation ${method} ${pathTemplate}`);
    const resp = op.responses?.[String(status)];
    if (!resp)
      throw new Error(`contract declares no ${status} response for ${method} ${pathTemplate}`);
    return resp.content?.['application/json']?.schema as Json | undefined;
  };

  const validatorFor = (key: string, schema: Json) => {
    let v = compiled.get(key);
    if (!v) {
      // Local refs (#/components/...) must resolve against the contract document.
      const rebased = JSON.parse(
        JSON.stringify(schema).replaceAll('"$ref":"#/components', '"$ref":"contract#/components'),
      );
      v = ajv.compile(rebased);
      compiled.set(key, v);
    }
    return v;
  };

  cached = {
    schemaErrors(name, value) {
      const v = validatorFor(`schema:${name}`, { $ref: `#/components/schemas/${name}` });
      return v(value) ? [] : fmt(v);
    },
    responseErrors(method, pathTemplate, status, body) {
      const schema = responseSchema(method, pathTemplate, status);
      if (!schema) return [];
      const v = validatorFor(`resp:${method}:${pathTemplate}:${status}`, schema);
      return v(body) ? [] : fmt(v);
    },
    hasResponseSchema(method, pathTemplate, status) {
      try {
        return responseSchema(method, pathTemplate, status) !== undefined;
      } catch {
        return false;
      }
    },
  };
  return cached;
}
