/**
 * The validator's failures as sentences a caller can act on: one message per bad field, naming the
 * field and what it takes. `body/type must be one of MARKET, LIMIT, …` for a list of values (a string
 * enum, or a union of constants, which Ajv reports once per constant); `body has an unknown field
 * "colour"`; a field with a pattern says the format in words (its schema's `description`), never the
 * regular expression. Needs Ajv's `verbose` option (the failing schema rides on each error).
 */
interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
  readonly parentSchema?: Record<string, unknown>;
}

const ARTICLE: Readonly<Record<string, string>> = { integer: 'an integer', object: 'an object', array: 'an array', string: 'a string', number: 'a number', boolean: 'a boolean (true or false)', null: 'null' };

function sentence(error: SchemaError, where: string): string {
  const p = error.params;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${where} has an unknown field "${String(p.additionalProperty).slice(0, 40)}"`;
    case 'required':
      return `${where}/${String(p.missingProperty)} is required`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `${where} must be ${String(p.allowedValue)}`;
    case 'type': {
      const types = String(p.type).split(',');
      return `${where} must be ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}`;
    }
    case 'pattern': {
      const description = error.parentSchema?.description;
      return typeof description === 'string' ? `${where} must be ${description}` : `${where} is not in the expected format`;
    }
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}

/** One message per failing field, joined with "; ". */
export function schemaErrorMessage(errors: readonly SchemaError[], dataVar: string): string {
  const byField = new Map<string, SchemaError[]>();
  for (const error of errors) {
    const key = error.keyword === 'required' ? `${error.instancePath}/${String(error.params.missingProperty)}` : error.instancePath;
    byField.set(key, [...(byField.get(key) ?? []), error]);
  }
  // A union's own "must match a schema in anyOf" says nothing when a branch's error names the field.
  const deeper = (path: string) => [...byField.keys()].some((k) => k !== path && k.startsWith(path));
  const messages: string[] = [];
  for (const [path, group] of byField) {
    const where = `${dataVar}${group[0]!.instancePath}`;
    const consts = group.filter((e) => e.keyword === 'const');
    if (consts.length > 1) {
      messages.push(`${where} must be one of ${consts.map((e) => String(e.params.allowedValue)).join(', ')}`);
      continue;
    }
    const useful = group.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
    if (useful.length === 0) {
      if (!deeper(path)) messages.push(`${where} matches none of the allowed forms`);
      continue;
    }
    messages.push(sentence(useful[0]!, where));
  }
  return messages.join('; ');
}
