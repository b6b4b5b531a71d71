/**
 * Furrow's own core schemas (pipeline/iglu/schemas, Iglu static layout):
 *  1. always: each file is a well-formed self-describing draft-04 schema at the path its `self` names,
 *     lint-clean, and our instance generator mostly produces valid instances of it;
 *  2. when the Iglu Central oracle (../shared/iglu-central, or $IGLU_CENTRAL_DIR) is present: each schema
 *     that also exists there accepts and rejects exactly the same generated and mutated instances as the
 *     original. Skipped, with a visible notice, on a fresh clone without that folder.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSelfDescribingSchema, schemaKeyToPath } from '../core/schema-key';
import { CORE_REGISTRY_ROOT } from './repositories';
import { instanceOf, mutantOf } from './schema-arbitrary';
import { lintSchema } from './server/lint';
import { SchemaValidator, newAjv } from './validator';

const SCHEMAS_DIR = join(CORE_REGISTRY_ROOT, 'schemas');
const ORACLE_DIR = resolve(process.env.IGLU_CENTRAL_DIR ?? join(CORE_REGISTRY_ROOT, '../../../shared/iglu-central'));
const ORACLE_SCHEMAS = join(ORACLE_DIR, 'schemas');
const ORACLE_PRESENT = existsSync(ORACLE_SCHEMAS);
const SEED = process.env.FURROW_FC_SEED === 'random' ? undefined : Number(process.env.FURROW_FC_SEED ?? 20260704);
const RUNS = Number(process.env.FURROW_FC_RUNS ?? 150);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const files = walk(SCHEMAS_DIR)
  .map((f) => relative(SCHEMAS_DIR, f))
  .sort();
const read = (root: string, path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Record<string, any>;

const ours = new SchemaValidator(500);

describe('core schemas', () => {
  it('ships the core set', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(files)('%s is a lint-clean self-describing schema at its own path', (path) => {
    const json = read(SCHEMAS_DIR, path);
    const { key } = parseSelfDescribingSchema(json);
    expect(schemaKeyToPath(key)).toBe(path);
    const lint = lintSchema(json);
    expect(lint.messages.filter((m) => m.level === 'ERROR')).toEqual([]);
    const compiled = ours.compile(path, json);
    expect(compiled.ok).toBe(true);
    // The generator must mostly hit valid instances, or the oracle comparison would only see rejects.
    if (compiled.ok) {
      const samples = fc.sample(instanceOf(json), { numRuns: 40, seed: 7 });
      const valid = samples.filter((s) => compiled.validate(s) === null).length;
      expect(valid, `valid generated instances of ${path}`).toBeGreaterThanOrEqual(20);
    }
  });
});

/** Register every iglucentral.com schema an original references, so ajv can resolve `$ref`s offline. */
const oracleAjv = newAjv();
const seen = new Set<string>();

function oracleValidator(path: string): (x: unknown) => boolean {
  const ajv = oracleAjv;
  const body = (p: string) => {
    const j = read(ORACLE_SCHEMAS, p);
    delete j.$schema;
    delete j.self;
    return j;
  };
  const register = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('http://iglucentral.com/schemas/')) {
        const id = v.replace(/#.*$/, '');
        if (seen.has(id)) continue;
        seen.add(id);
        const b = body(id.slice('http://iglucentral.com/schemas/'.length));
        register(b);
        ajv.addSchema(b, id);
      } else register(v);
    }
  };
  const main = body(path);
  register(main);
  const fn = ajv.compile(main);
  return (x) => fn(x) as boolean;
}

function oracleResolver(ref: string) {
  const id = ref.replace(/#.*$/, '');
  if (!id.startsWith('http://iglucentral.com/schemas/')) return undefined;
  const j = read(ORACLE_SCHEMAS, id.slice('http://iglucentral.com/schemas/'.length));
  delete j.self;
  delete j.$schema;
  return j;
}

const counterparts = ORACLE_PRESENT ? files.filter((f) => existsSync(join(ORACLE_SCHEMAS, f))) : [];
const withoutCounterpart = ORACLE_PRESENT ? files.filter((f) => !existsSync(join(ORACLE_SCHEMAS, f))) : [];

if (!ORACLE_PRESENT)
  console.warn(`[iglu conformance] SKIPPED: the Iglu Central oracle is not at ${ORACLE_DIR} (set IGLU_CENTRAL_DIR to run the comparison).`);

describe.skipIf(!ORACLE_PRESENT)('core schemas agree with Iglu Central (oracle)', () => {
  it('names the schemas that have no counterpart in the oracle', () => {
    console.info(`[iglu conformance] ${counterparts.length} schemas compared; no counterpart in the oracle: ${withoutCounterpart.join(', ') || 'none'}`);
    expect(counterparts.length).toBeGreaterThanOrEqual(30);
  });

  it.each(counterparts)('%s: accepts and rejects the same instances as the original', (path) => {
    const mine = read(SCHEMAS_DIR, path);
    const original = read(ORACLE_SCHEMAS, path);
    const oursCompiled = ours.compile(path, mine);
    if (!oursCompiled.ok) throw new Error(`ours does not compile: ${JSON.stringify(oursCompiled.issues)}`);
    const originalValid = oracleValidator(path);
    const opts = { resolveRef: oracleResolver };
    const instances = fc.oneof(instanceOf(mine), instanceOf(original, opts), mutantOf(mine), mutantOf(original, opts));
    let accepted = 0;
    fc.assert(
      fc.property(instances, (x) => {
        const o = originalValid(x);
        const reports = oursCompiled.validate(x);
        if (o) accepted++;
        // invariant: our schema and Iglu Central's classify every instance the same way
        if (o !== (reports === null))
          throw new Error(`disagreement: original ${o ? 'accepts' : 'rejects'}, ours ${reports ? `rejects (${reports.map((r) => r.message).join('; ')})` : 'accepts'}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Both sides of the boundary must have been explored.
    expect(accepted).toBeGreaterThan(0);
  });
});
