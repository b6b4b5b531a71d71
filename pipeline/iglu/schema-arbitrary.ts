/**
 * fast-check arbitraries from JSON Schema (draft-04, the keywords Iglu schemas use), for conformance
 * tests: `instanceOf(schema)` aims at valid instances; `mutantOf(schema)` takes one and breaks it in one
 * targeted way (drop a required property, wrong type, one char past maxLength, value outside an enum,
 * an undeclared property, out-of-range number, too few/many items). Both validators under comparison must
 * then agree on every instance, valid or not.
 */
import fc from 'fast-check';

type Schema = Record<string, any>;
export type RefResolver = (ref: string, from: Schema) => Schema | undefined;

export interface ArbitraryOptions {
  /** Resolves `$ref` (local `#/definitions/x` is handled; external URIs go here). */
  resolveRef?: RefResolver;
  /** Nesting depth after which optional members are left out. */
  maxDepth?: number;
}

/** Internal hint: members the generator must leave out (set by oneOf/anyOf branch selection). */
const OMIT = '__furrowOmit';

const TYPES = ['string', 'integer', 'number', 'boolean', 'null', 'object', 'array'] as const;

interface Ctx {
  root: Schema;
  opts: ArbitraryOptions;
  depth: number;
}

function deref(s: Schema, ctx: Ctx): Schema {
  let cur = s;
  for (let i = 0; i < 8 && cur && typeof cur.$ref === 'string'; i++) {
    const ref: string = cur.$ref;
    if (ref.startsWith('#')) {
      const parts = ref.slice(1).split('/').filter(Boolean);
      let node: any = ctx.root;
      for (const p of parts) node = node?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
      cur = node ?? {};
    } else cur = ctx.opts.resolveRef?.(ref, cur) ?? {};
  }
  return cur ?? {};
}

function typesOf(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (typeof s.type === 'string') return [s.type];
  if (s.properties || s.required || s.additionalProperties !== undefined) return ['object'];
  if (s.items) return ['array'];
  if (s.maxLength !== undefined || s.pattern || s.format) return ['string'];
  return [...TYPES];
}

const FORMAT_SAMPLES: Record<string, fc.Arbitrary<string>> = {
  'date-time': fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  date: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  uri: fc.constantFrom('http://example.com/a', 'https://snowplow.io/x?y=1', 'iglu:com.acme/x/jsonschema/1-0-0', 's3://bucket/run=1/'),
  email: fc.constantFrom('a@example.com', 'first.last@acme.co.uk'),
  ipv4: fc.ipV4(),
  ipv6: fc.constantFrom('::1', '2001:db8::ff00:42:8329'),
  uuid: fc.uuid(),
  hostname: fc.constantFrom('example.com', 'localhost', 'a-b.c'),
};

function stringArb(s: Schema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? min + 20, min + 40));
  if (typeof s.format === 'string' && FORMAT_SAMPLES[s.format]) return FORMAT_SAMPLES[s.format]!;
  if (typeof s.pattern === 'string') {
    try {
      const re = new RegExp(s.pattern);
      return fc.stringMatching(re).filter((x) => x.length >= min && (s.maxLength === undefined || x.length <= s.maxLength));
    } catch {
      /* a Java-only regex: fall through to plain strings */
    }
  }
  return fc.string({ minLength: min, maxLength: max });
}

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const lo = typeof s.minimum === 'number' ? s.minimum + (s.exclusiveMinimum === true ? (integer ? 1 : 1e-6) : 0) : -1e6;
  const hi = typeof s.maximum === 'number' ? s.maximum - (s.exclusiveMaximum === true ? (integer ? 1 : 1e-6) : 0) : 1e6;
  if (integer) {
    const a = Math.ceil(Math.max(lo, -Number.MAX_SAFE_INTEGER));
    const b = Math.floor(Math.min(hi, Number.MAX_SAFE_INTEGER));
    return a <= b ? fc.integer({ min: Math.max(a, -(2 ** 31)), max: Math.min(Math.max(b, a), 2 ** 31) }) : fc.constant(a);
  }
  return fc.double({ min: Math.max(lo, -1e9), max: Math.min(Math.max(hi, lo), 1e9), noNaN: true, noDefaultInfinity: true });
}

function arb(schema: Schema, ctx: Ctx): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...(s.enum as unknown[]));
  const branches = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  if (Array.isArray(branches) && branches.length) {
    const { oneOf: _o, anyOf: _a, ...rest } = s;
    const resolved = branches.map((b) => deref(b, ctx));
    const requiredOf = (b: Schema): string[] => (Array.isArray(b.required) ? b.required : []);
    return fc.oneof(
      ...resolved.map((b, i) => {
        // For "one of these members" branches, leave out the members only the other branches require.
        const mine = new Set(requiredOf(b));
        const omit = resolved.flatMap((o, j) => (j === i ? [] : requiredOf(o).filter((k) => !mine.has(k))));
        const merged = mergeSchemas(rest, b);
        return arb(omit.length ? { ...merged, [OMIT]: omit } : merged, ctx);
      }),
    );
  }
  if (Array.isArray(s.allOf) && s.allOf.length) {
    const { allOf, ...rest } = s;
    const merged = (allOf as Schema[]).reduce<Schema>((acc, b) => mergeSchemas(acc, deref(b, ctx)), rest);
    return arb(merged, ctx);
  }
  const types = typesOf(s);
  return fc.oneof(...types.map((t) => typedArb(t, s, ctx)));
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a, ...b };
  if (a.properties || b.properties) out.properties = { ...a.properties, ...b.properties };
  if (a.required || b.required) out.required = [...new Set([...(a.required ?? []), ...(b.required ?? [])])];
  return out;
}

function typedArb(t: string, s: Schema, ctx: Ctx): fc.Arbitrary<unknown> {
  const deeper: Ctx = { ...ctx, depth: ctx.depth + 1 };
  switch (t) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const min = s.minItems ?? 0;
      const max = Math.max(min, Math.min(s.maxItems ?? min + 3, min + 3));
      if (Array.isArray(s.items)) return fc.tuple(...(s.items as Schema[]).map((i) => arb(i, deeper)));
      const item = s.items && typeof s.items === 'object' ? s.items : {};
      if (ctx.depth > (ctx.opts.maxDepth ?? 6)) return fc.constant(Array.from({ length: min }, () => null));
      return fc.array(arb(item, deeper), { minLength: min, maxLength: max });
    }
    case 'object': {
      const props: Record<string, Schema> = s.properties ?? {};
      const omit = new Set<string>(Array.isArray(s[OMIT]) ? s[OMIT] : []);
      const required = new Set<string>(Array.isArray(s.required) ? s.required : []);
      const tooDeep = ctx.depth > (ctx.opts.maxDepth ?? 6);
      const members: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) if (!omit.has(k) && (!tooDeep || required.has(k))) members[k] = arb(v, deeper);
      for (const k of required) if (!(k in members)) members[k] = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.constant(null));
      const requiredKeys = [...required].filter((k) => k in members);
      if (typeof s.minProperties === 'number' || typeof s.maxProperties === 'number') {
        // Choose how many optional members to include so the member count lands within the bounds.
        const optional = Object.keys(members).filter((k) => !required.has(k));
        const lo = Math.max(0, (s.minProperties ?? 0) - requiredKeys.length);
        const hi = Math.min(optional.length, Math.max(lo, (s.maxProperties ?? Infinity) - requiredKeys.length));
        if (lo > optional.length) return fc.record(members);
        return fc
          .subarray(optional, { minLength: Math.min(lo, optional.length), maxLength: hi })
          .chain((chosen) => fc.record(Object.fromEntries([...requiredKeys, ...chosen].map((k) => [k, members[k]!]))));
      }
      return fc.record(members, { requiredKeys });
    }
    default:
      return fc.constant(null);
  }
}

export function instanceOf(schema: Schema, opts: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  return arb(schema, { root: schema, opts, depth: 0 });
}

/** Every (path, sub-schema) where the instance has a value the schema constrains. */
function sites(value: unknown, schema: Schema, ctx: Ctx, path: (string | number)[], out: Array<{ path: (string | number)[]; schema: Schema; value: unknown }>): void {
  const s = deref(schema, ctx);
  out.push({ path, schema: s, value });
  if (out.length > 200) return;
  const branch = [...((s.oneOf ?? s.anyOf ?? s.allOf ?? []) as Schema[])].map((b) => deref(b, ctx));
  const all = [s, ...branch];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      const sub = all.map((x) => x.properties?.[k]).find(Boolean) ?? all.map((x) => (typeof x.additionalProperties === 'object' ? x.additionalProperties : undefined)).find(Boolean);
      if (sub) sites(v, sub, ctx, [...path, k], out);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const items = all.map((x) => x.items).find(Boolean);
      const sub = Array.isArray(items) ? items[i] : items;
      if (sub) sites(v, sub, ctx, [...path, i], out);
    });
  }
}

function setAt(root: unknown, path: (string | number)[], fn: (v: unknown) => unknown): unknown {
  if (path.length === 0) return fn(root);
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    copy[head as number] = setAt(copy[head as number], rest, fn);
    return copy;
  }
  const obj = { ...(root as Record<string, unknown>) };
  obj[head as string] = setAt(obj[head as string], rest, fn);
  return obj;
}

const WRONG_TYPE: Record<string, unknown[]> = {
  string: [42, true, null, {}, []],
  integer: ['7', 1.5, null, {}],
  number: ['7', true, null, []],
  boolean: ['true', 0, null],
  null: [0, '', false],
  object: ['x', 1, [], null],
  array: ['x', 1, {}, null],
};

type Mutation = (v: unknown, s: Schema) => unknown[];

const MUTATIONS: Mutation[] = [
  // drop a required property
  (v, s) => (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray(s.required) ? s.required.filter((k: string) => k in (v as object)).map((k: string) => omit(v as Record<string, unknown>, k)) : []),
  // an undeclared property
  (v) => (v && typeof v === 'object' && !Array.isArray(v) ? [{ ...(v as object), zz_undeclared: 'x' }] : []),
  // a value of a type the schema does not allow
  (_v, s) => typesOf(s).flatMap((t) => (WRONG_TYPE[t] ?? []).filter((w) => !typesOf(s).includes(jsonType(w)))),
  // one character past maxLength, or one short of minLength
  (v, s) => [
    ...(typeof s.maxLength === 'number' ? [(typeof v === 'string' ? v : '').padEnd(s.maxLength + 1, 'x')] : []),
    ...(typeof s.minLength === 'number' && s.minLength > 0 ? ['x'.repeat(s.minLength - 1)] : []),
  ],
  // outside an enum
  (_v, s) => (Array.isArray(s.enum) ? ['zz-not-in-enum', 12345] : []),
  // out of numeric range
  (_v, s) => [
    ...(typeof s.maximum === 'number' ? [s.maximum + 1, s.maximum] : []),
    ...(typeof s.minimum === 'number' ? [s.minimum - 1, s.minimum] : []),
  ],
  // too few / too many items
  (v, s) => (Array.isArray(v) ? [...(typeof s.minItems === 'number' && s.minItems > 0 ? [v.slice(0, s.minItems - 1)] : []), ...(typeof s.maxItems === 'number' ? [[...v, ...Array(s.maxItems + 1).fill(v[0] ?? null)]] : []), []] : []),
  // a pattern / format breaker
  (_v, s) => (typeof s.pattern === 'string' || typeof s.format === 'string' ? ['%% not matching %%', ''] : []),
];

function omit(o: Record<string, unknown>, k: string): Record<string, unknown> {
  const c = { ...o };
  delete c[k];
  return c;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** An instance of `schema` with one targeted defect at a random place (or unchanged if none applies). */
export function mutantOf(schema: Schema, opts: ArbitraryOptions = {}, base: fc.Arbitrary<unknown> = instanceOf(schema, opts)): fc.Arbitrary<unknown> {
  const ctx: Ctx = { root: schema, opts, depth: 0 };
  return base.chain((value) => {
    const found: Array<{ path: (string | number)[]; schema: Schema; value: unknown }> = [];
    sites(value, schema, ctx, [], found);
    const candidates = found.flatMap((site) => MUTATIONS.flatMap((m) => m(site.value, site.schema).map((nv) => ({ path: site.path, nv }))));
    if (candidates.length === 0) return fc.constant(value);
    return fc.constantFrom(...candidates).map((c) => setAt(value, c.path, () => c.nv));
  });
}
