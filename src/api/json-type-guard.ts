/**
 * A JSON body's `true`, `false` and `null` where its schema takes none of them. Ajv's `coerceTypes`
 * reads them as values (`true` as the integer 1 or the text "true", `null` as 0, "" or false), so
 * `{"leverage": true}` set a leverage of 1. The validator still coerces what the API has always
 * taken (a number for a decimal field read as its text, docs/adr/0050; "5" for an integer); this
 * guard runs before it and refuses the JSON literals the field's schema does not list.
 *
 * The walk follows the schema as the bodies' schemas are written (TypeBox): `type` (one or a
 * list), `properties`, `patternProperties`, `additionalProperties`, `items`, `allOf` (every member),
 * `anyOf` and `oneOf` (refused when every branch refuses). A node without `type` takes any literal.
 * The error is Ajv's own shape for a `type` failure, so the server's messages name the field and
 * what it takes (schema-error-messages.ts): `body/leverage must be an integer`.
 */

/** Ajv's error for a `type` failure, as the server's error formatter reads it. */
export interface JsonTypeError {
  readonly keyword: 'type';
  readonly instancePath: string;
  readonly params: { readonly type: string };
  readonly message: string;
  readonly parentSchema: Record<string, unknown>;
}

type Schema = Record<string, unknown>;

const schemas = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);
const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first `true`, `false` or `null` in `value` that `schema` does not take there, or undefined. */
export function jsonLiteralMismatch(schema: unknown, value: unknown, path = ''): JsonTypeError | undefined {
  if (!isSchema(schema)) return undefined;
  const literal = value === null ? 'null' : typeof value === 'boolean' ? 'boolean' : undefined;
  if (literal !== undefined && schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type.map(String) : [String(schema.type)];
    if (!types.includes(literal)) return { keyword: 'type', instancePath: path, params: { type: types.join(',') }, message: `must be ${types.join(',')}`, parentSchema: schema };
  }
  for (const member of schemas(schema.allOf)) {
    const found = jsonLiteralMismatch(member, value, path);
    if (found !== undefined) return found;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schemas(schema[key]);
    if (branches.length === 0) continue;
    let first: JsonTypeError | undefined;
    for (const branch of branches) {
      const found = jsonLiteralMismatch(branch, value, path);
      if (found === undefined) {
        first = undefined;
        break;
      }
      first ??= found;
    }
    if (first !== undefined) return first;
  }
  if (Array.isArray(value)) {
    const items = schema.items;
    for (let i = 0; i < value.length; i += 1) {
      const found = jsonLiteralMismatch(Array.isArray(items) ? items[i] : items, value[i], `${path}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const properties = isSchema(schema.properties) ? schema.properties : {};
  let patterns: readonly (readonly [RegExp, unknown])[] | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const field = (value as Record<string, unknown>)[key];
    // A text or a number holds no literal, here or below (most fields of every body): no path, no schema lookup.
    if (typeof field !== 'object' && typeof field !== 'boolean') continue;
    let fieldSchema: unknown = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (fieldSchema === undefined) fieldSchema = (patterns ??= patternsOf(schema)).find(([pattern]) => pattern.test(key))?.[1];
    if (fieldSchema === undefined && isSchema(schema.additionalProperties)) fieldSchema = schema.additionalProperties;
    const found = jsonLiteralMismatch(fieldSchema, field, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A schema's `patternProperties`, each pattern compiled once per schema (as Ajv reads it: Unicode). */
const compiledPatterns = new WeakMap<Schema, readonly (readonly [RegExp, unknown])[]>();
function patternsOf(schema: Schema): readonly (readonly [RegExp, unknown])[] {
  let patterns = compiledPatterns.get(schema);
  if (patterns === undefined) {
    patterns = isSchema(schema.patternProperties) ? Object.entries(schema.patternProperties).map(([pattern, field]) => [new RegExp(pattern, 'u'), field] as const) : [];
    compiledPatterns.set(schema, patterns);
  }
  return patterns;
}
