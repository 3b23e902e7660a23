/**
 * `givenFieldsFirst(schema)`: the same JSON Schema, with the fields a request gives checked before
 * the fields it leaves out, in every object of it.
 *
 * Why: the server's Ajv stops at the first failure (`allErrors: false`, server.ts), and it checks an
 * object's `required` before its `properties`, whatever their order in the schema. So
 * `POST /api/accounts {"name":"x","type":"margin"}` was answered `body/balances is required`, never
 * naming `type`, the value the caller got wrong. Ajv checks the keywords that apply to any type
 * (`allOf` among them) before the object ones: each object's `properties` (and `additionalProperties`,
 * `patternProperties`) move into a first `allOf` member, so a given field that is wrong, or unknown,
 * is named first; a missing one is still refused, with the same message, once the given ones pass
 * (docs/adr/0076-given-fields-checked-first.md). The object keeps its `required` list, so the OpenAPI
 * document still lists its required fields. Moved, not copied: a copy at every object doubles the
 * schema per level of nesting (the import document's grew from 18 KB to 270 KB and took Ajv over
 * 3 s to compile at every server start).
 *
 * Accepts and refuses exactly what `schema` does (given-fields-first.property.test.ts). Walks
 * `properties`, `patternProperties`, `items`, `additionalProperties`, `not` and the members of
 * `anyOf`, `oneOf` and `allOf`. Never changes `schema` (its parts are shared between routes);
 * copies what it changes.
 */
import type { TSchema } from 'typebox';

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

export function givenFieldsFirst<T extends TSchema>(schema: T): T {
  return reordered(schema as unknown as Node) as unknown as T;
}

function reordered(node: Node): Node {
  const out: Node = {};
  for (const key of Object.keys(node)) {
    const value = node[key];
    if ((key === 'properties' || key === 'patternProperties') && isNode(value)) out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isNode(sub) ? reordered(sub) : sub]));
    else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isNode(value)) out[key] = reordered(value);
    else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) out[key] = value.map((sub: unknown) => (isNode(sub) ? reordered(sub) : sub));
    else out[key] = value;
  }
  if (Array.isArray(node.required) && node.required.length > 0 && isNode(out.properties)) {
    const given: Node = { type: 'object' };
    for (const key of ['properties', 'additionalProperties', 'patternProperties'] as const) {
      if (out[key] === undefined) continue;
      given[key] = out[key];
      delete out[key];
    }
    out.allOf = [given, ...(Array.isArray(out.allOf) ? (out.allOf as unknown[]) : [])];
  }
  return out;
}
