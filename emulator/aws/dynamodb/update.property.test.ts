import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { AwsError } from '../errors';
import type { EdgeRequest } from '../types';
import { DynamoDbService } from './index';
import { createTable, startDynamo, type DynamoHarness } from './testing';

/**
 * Invariant: for any item and any (non-overlapping) UpdateExpression over numbers, strings, string sets,
 * lists and maps, UpdateItem through the emulator yields exactly what a plain JS model of DynamoDB's update
 * semantics yields — or both reject it.
 */

type Item = Record<string, AttributeValue>;
const NAMES = ['a', 'b', 'c', 'd', 'e'] as const;

const num = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).map((n): AttributeValue => ({ N: n.toString() }));
const str = fc.string({ maxLength: 4 }).map((s): AttributeValue => ({ S: s }));
const stringSet = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }).map((SS): AttributeValue => ({ SS }));
const list = fc.array(fc.oneof(num, str), { maxLength: 3 }).map((L): AttributeValue => ({ L }));
const map = fc.dictionary(fc.constantFrom('x', 'y'), fc.oneof(num, str)).map((M): AttributeValue => ({ M }));
const anyValue = fc.oneof(num, str, stringSet, list, map);

type Action =
  | { kind: 'set'; target: string; value: AttributeValue }
  | { kind: 'arith'; target: string; source: string; op: '+' | '-'; value: AttributeValue }
  | { kind: 'ifNotExists'; target: string; source: string; value: AttributeValue }
  | { kind: 'append'; target: string; source: string; value: AttributeValue; sourceFirst: boolean }
  | { kind: 'remove'; target: string }
  | { kind: 'add'; target: string; value: AttributeValue }
  | { kind: 'delete'; target: string; value: AttributeValue };

const source = fc.constantFrom(...NAMES);
const actionFor = (target: string): fc.Arbitrary<Action> =>
  fc.oneof(
    anyValue.map((value) => ({ kind: 'set' as const, target, value })),
    fc.record({ source, op: fc.constantFrom('+' as const, '-' as const), value: num }).map((r) => ({ kind: 'arith' as const, target, ...r })),
    fc.record({ source, value: anyValue }).map((r) => ({ kind: 'ifNotExists' as const, target, ...r })),
    fc.record({ source, value: list, sourceFirst: fc.boolean() }).map((r) => ({ kind: 'append' as const, target, ...r })),
    fc.constant({ kind: 'remove' as const, target }),
    fc.oneof(num, stringSet).map((value) => ({ kind: 'add' as const, target, value })),
    stringSet.map((value) => ({ kind: 'delete' as const, target, value })),
  );

// Distinct targets: AWS rejects overlapping paths, which is tested elsewhere.
const actions = fc
  .shuffledSubarray([...NAMES], { minLength: 1 })
  .chain((targets) => fc.tuple(...targets.map(actionFor)));

const startItem = fc.record(Object.fromEntries(NAMES.map((n) => [n, anyValue])) as Record<string, fc.Arbitrary<AttributeValue>>, { requiredKeys: [] });

/** The update expression and its placeholder values for `list`. */
function render(list: Action[]): { expression: string; values: Item } {
  const values: Item = {};
  const clauses: Record<'SET' | 'REMOVE' | 'ADD' | 'DELETE', string[]> = { SET: [], REMOVE: [], ADD: [], DELETE: [] };
  list.forEach((a, i) => {
    const v = `:v${i}`;
    if ('value' in a) values[v] = a.value;
    switch (a.kind) {
      case 'set':
        clauses.SET.push(`${a.target} = ${v}`);
        break;
      case 'arith':
        clauses.SET.push(`${a.target} = ${a.source} ${a.op} ${v}`);
        break;
      case 'ifNotExists':
        clauses.SET.push(`${a.target} = if_not_exists(${a.source}, ${v})`);
        break;
      case 'append':
        clauses.SET.push(`${a.target} = list_append(${a.sourceFirst ? `${a.source}, ${v}` : `${v}, ${a.source}`})`);
        break;
      case 'remove':
        clauses.REMOVE.push(a.target);
        break;
      case 'add':
        clauses.ADD.push(`${a.target} ${v}`);
        break;
      case 'delete':
        clauses.DELETE.push(`${a.target} ${v}`);
        break;
    }
  });
  const expression = Object.entries(clauses)
    .filter(([, parts]) => parts.length)
    .map(([clause, parts]) => `${clause} ${parts.join(', ')}`)
    .join(' ');
  return { expression, values };
}

class ModelError extends Error {}

/** DynamoDB's documented update semantics, written independently of the emulator. */
function model(before: Item, list: Action[]): Item {
  const after: Item = structuredClone(before);
  const read = (name: string) => {
    const v = before[name];
    if (v === undefined) throw new ModelError('missing operand');
    return v;
  };
  const sets: [string, AttributeValue][] = [];
  for (const a of list) {
    if (a.kind === 'set') sets.push([a.target, a.value]);
    else if (a.kind === 'arith') {
      const s = read(a.source);
      if (!('N' in s)) throw new ModelError('not a number');
      const n = BigInt((a.value as { N: string }).N);
      sets.push([a.target, { N: String(a.op === '+' ? BigInt(s.N!) + n : BigInt(s.N!) - n) }]);
    } else if (a.kind === 'ifNotExists') sets.push([a.target, before[a.source] ?? a.value]);
    else if (a.kind === 'append') {
      const s = read(a.source);
      if (!('L' in s)) throw new ModelError('not a list');
      const extra = (a.value as { L: AttributeValue[] }).L;
      sets.push([a.target, { L: a.sourceFirst ? [...s.L!, ...extra] : [...extra, ...s.L!] }]);
    }
  }
  for (const [k, v] of sets) after[k] = v;
  for (const a of list) {
    const current = before[a.target];
    if (a.kind === 'remove') delete after[a.target];
    else if (a.kind === 'add') {
      if (current === undefined) after[a.target] = a.value;
      else if ('N' in current && 'N' in a.value) after[a.target] = { N: String(BigInt(current.N!) + BigInt(a.value.N!)) };
      else if ('SS' in current && 'SS' in a.value) after[a.target] = { SS: [...new Set([...current.SS!, ...a.value.SS!])] };
      else throw new ModelError('ADD type mismatch');
    } else if (a.kind === 'delete') {
      if (current === undefined) continue;
      if (!('SS' in current)) throw new ModelError('DELETE type mismatch');
      const kept = current.SS!.filter((m) => !(a.value as { SS: string[] }).SS.includes(m));
      if (kept.length) after[a.target] = { SS: kept };
      else delete after[a.target];
    }
  }
  return after;
}

/** Sets compare regardless of member order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.SS)) return { SS: [...(o.SS as string[])].sort() };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, canonical(x)]));
  }
  return v;
}

/** One emulator access path: PutItem the start item, then UpdateItem with ReturnValues ALL_NEW. */
type Apply = (before: Item, key: Item, expression: string, values: Item) => Promise<Item | 'rejected'>;

function property(apply: Apply, numRuns: number): Promise<void> {
  let run = 0;
  return fc.assert(
    fc.asyncProperty(startItem, actions, async (attributes, list) => {
      const key = { pk: { S: `item-${run++}` } };
      const before: Item = { ...key, ...(attributes as Item) };
      const { expression, values } = render(list);
      let expected: Item | 'rejected';
      try {
        expected = model(before, list);
      } catch (err) {
        if (!(err instanceof ModelError)) throw err;
        expected = 'rejected';
      }
      const actual = await apply(before, key, expression, values);
      expect(canonical(actual)).toEqual(canonical(expected));
    }),
    { numRuns },
  );
}

describe('UpdateExpression property', () => {
  let h: DynamoHarness;
  beforeAll(async () => {
    h = await startDynamo();
    await createTable(h.client, 'model', ['pk', 'S']);
  });
  afterAll(async () => {
    expect(h.internalErrors).toEqual([]);
    await h.stop();
  });

  it('in process: DynamoDbService UpdateItem equals the plain-JS model of the same update (or both reject it)', async () => {
    const service = new DynamoDbService({ region: 'us-east-1', accountId: '000000000000', endpoint: () => '', journal: () => null, now: () => Date.now() });
    const req = {} as EdgeRequest;
    service.handle('CreateTable', { TableName: 'model', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }, req);
    await property(async (before, key, expression, values) => {
      service.handle('PutItem', { TableName: 'model', Item: before }, req);
      try {
        const out = service.handle(
          'UpdateItem',
          { TableName: 'model', Key: key, UpdateExpression: expression, ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}), ReturnValues: 'ALL_NEW' },
          req,
        ) as { Attributes?: Item };
        return out.Attributes ?? {};
      } catch (err) {
        if (!(err instanceof AwsError) || err.code !== 'ValidationException') throw err;
        return 'rejected';
      }
    }, 300);
  });

  it('over the wire: the SDK sees the same results as the model', async () => {
    await property(async (before, key, expression, values) => {
      await h.client.send(new PutItemCommand({ TableName: 'model', Item: before }));
      return h.client
        .send(
          new UpdateItemCommand({
            TableName: 'model',
            Key: key,
            UpdateExpression: expression,
            ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
            ReturnValues: 'ALL_NEW',
          }),
        )
        .then(
          (out) => out.Attributes ?? {},
          (err: Error) => {
            if (err.name !== 'ValidationException') throw err;
            return 'rejected' as const;
          },
        );
    }, 50);
  });
});
