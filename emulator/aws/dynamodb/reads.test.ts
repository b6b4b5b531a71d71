import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type QueryCommandInput,
  type ScanCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { createTable, expectAwsError, startDynamo, type DynamoHarness } from './testing';

type Item = Record<string, AttributeValue>;

const HASHES = ['h0', 'h1', 'h2', 'h3'];
const PER_HASH = 250;

describe('DynamoDB Query, Scan and batches over the SDK', () => {
  let h: DynamoHarness;

  async function writeAll(table: string, items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      const RequestItems: Record<string, WriteRequest[]> = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
      const out = await h.client.send(new BatchWriteItemCommand({ RequestItems }));
      expect(out.UnprocessedItems).toEqual({});
    }
  }

  async function queryAll(input: QueryCommandInput): Promise<{ items: Item[]; pages: number }> {
    const items: Item[] = [];
    let pages = 0;
    let start: Item | undefined;
    do {
      const out = await h.client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      pages++;
    } while (start);
    return { items, pages };
  }

  async function scanAll(input: ScanCommandInput): Promise<{ items: Item[]; pages: number; scanned: number }> {
    const items: Item[] = [];
    let pages = 0;
    let scanned = 0;
    let start: Item | undefined = input.ExclusiveStartKey;
    do {
      const out = await h.client.send(new ScanCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      scanned += out.ScannedCount ?? 0;
      start = out.LastEvaluatedKey;
      pages++;
    } while (start);
    return { items, pages, scanned };
  }

  beforeAll(async () => {
    h = await startDynamo();
    await createTable(h.client, 'events', ['pk', 'S'], ['seq', 'N']);
    await createTable(h.client, 'paths', ['pk', 'S'], ['path', 'S']);
    const items: Item[] = [];
    // 1,000 items; written in shuffled order so ordering comes from the store, not from insertion.
    for (const pk of HASHES)
      for (let i = 0; i < PER_HASH; i++) items.push({ pk: { S: pk }, seq: { N: String(i) }, parity: { S: i % 2 ? 'odd' : 'even' }, payload: { S: `v${i}` } });
    for (let i = items.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    await writeAll('events', items);
    await writeAll(
      'paths',
      ['a', 'a/b', 'a/b/c', 'a/c', 'ab', 'b', 'a/b/d'].map((p) => ({ pk: { S: 'x' }, path: { S: p } })),
    );
  });
  afterAll(async () => {
    expect(h.internalErrors).toEqual([]);
    await h.stop();
  });

  const seqs = (items: Item[]) => items.map((i) => Number(i.seq!.N));
  const eq = (pk: string): QueryCommandInput => ({
    TableName: 'events',
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': { S: pk } },
  });

  it('BatchWriteItem stored all 1,000 items', async () => {
    const { Table } = await h.client.send(new DescribeTableCommand({ TableName: 'events' }));
    expect(Table?.ItemCount).toBe(HASHES.length * PER_HASH);
  });

  it('Query pages through one hash key in numeric range-key order, forwards and backwards', async () => {
    const forward = await queryAll({ ...eq('h1'), Limit: 64 });
    expect(seqs(forward.items)).toEqual([...Array(PER_HASH).keys()]);
    expect(forward.pages).toBe(Math.ceil(PER_HASH / 64));
    const backward = await queryAll({ ...eq('h2'), Limit: 125, ScanIndexForward: false });
    expect(seqs(backward.items)).toEqual([...Array(PER_HASH).keys()].reverse());
    // The second page ends exactly at the last item and still carries a LastEvaluatedKey (as on AWS),
    // so a third, empty page follows.
    expect(backward.pages).toBe(3);
  });

  it('Query applies every range-key operator', async () => {
    const run = async (condition: string, values: Record<string, AttributeValue>) =>
      seqs((await queryAll({ TableName: 'events', KeyConditionExpression: `pk = :pk AND ${condition}`, ExpressionAttributeValues: { ':pk': { S: 'h0' }, ...values } })).items);
    expect(await run('seq = :v', { ':v': { N: '17' } })).toEqual([17]);
    expect(await run('seq < :v', { ':v': { N: '3' } })).toEqual([0, 1, 2]);
    expect(await run('seq <= :v', { ':v': { N: '2' } })).toEqual([0, 1, 2]);
    expect(await run('seq > :v', { ':v': { N: '247' } })).toEqual([248, 249]);
    expect(await run('seq >= :v', { ':v': { N: '248' } })).toEqual([248, 249]);
    expect(await run('seq BETWEEN :a AND :b', { ':a': { N: '100' }, ':b': { N: '103' } })).toEqual([100, 101, 102, 103]);
    expect(await run(':v > seq', { ':v': { N: '2' } })).toEqual([0, 1]);
    const prefixed = await queryAll({
      TableName: 'paths',
      KeyConditionExpression: '#pk = :pk AND begins_with(#p, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#p': 'path' },
      ExpressionAttributeValues: { ':pk': { S: 'x' }, ':prefix': { S: 'a/b' } },
    });
    expect(prefixed.items.map((i) => i.path!.S)).toEqual(['a/b', 'a/b/c', 'a/b/d']);
  });

  it('Query filters after Limit, projects, and counts', async () => {
    const page = await h.client.send(
      new QueryCommand({ ...eq('h3'), Limit: 10, FilterExpression: 'parity = :odd', ExpressionAttributeValues: { ':pk': { S: 'h3' }, ':odd': { S: 'odd' } } }),
    );
    expect(page.ScannedCount).toBe(10);
    expect(page.Count).toBe(5);
    expect(seqs(page.Items!)).toEqual([1, 3, 5, 7, 9]);
    expect(page.LastEvaluatedKey).toEqual({ pk: { S: 'h3' }, seq: { N: '9' } });
    const projected = await h.client.send(new QueryCommand({ ...eq('h3'), Limit: 2, ProjectionExpression: 'payload' }));
    expect(projected.Items).toEqual([{ payload: { S: 'v0' } }, { payload: { S: 'v1' } }]);
    const counted = await h.client.send(new QueryCommand({ ...eq('h3'), Select: 'COUNT' }));
    expect(counted.Items).toBeUndefined();
    expect(counted.Count).toBe(PER_HASH);
    const none = await h.client.send(new QueryCommand(eq('nope')));
    expect([none.Count, none.Items]).toEqual([0, []]);
  });

  it('Scan pages through all 1,000 items in stable key order', async () => {
    const { items, pages, scanned } = await scanAll({ TableName: 'events', Limit: 128 });
    expect(items).toHaveLength(1000);
    expect(scanned).toBe(1000);
    expect(pages).toBe(8);
    const keys = items.map((i) => `${i.pk!.S}/${i.seq!.N}`);
    expect(new Set(keys).size).toBe(1000);
    const expected = HASHES.flatMap((pk) => [...Array(PER_HASH).keys()].map((i) => `${pk}/${i}`));
    expect(keys).toEqual(expected);
    const again = await scanAll({ TableName: 'events', Limit: 333 });
    expect(again.items.map((i) => `${i.pk!.S}/${i.seq!.N}`)).toEqual(keys);
  });

  it('Scan filters, counts and splits into disjoint parallel segments', async () => {
    const evens = await scanAll({ TableName: 'events', FilterExpression: 'parity = :e AND seq < :ten', ExpressionAttributeValues: { ':e': { S: 'even' }, ':ten': { N: '10' } } });
    expect(evens.items).toHaveLength(HASHES.length * 5);
    const count = await h.client.send(new ScanCommand({ TableName: 'events', Select: 'COUNT' }));
    expect(count.Count).toBe(1000);
    const segments = await Promise.all([0, 1, 2, 3].map((Segment) => scanAll({ TableName: 'events', Segment, TotalSegments: 4, Limit: 200 })));
    const all = segments.flatMap((s) => s.items.map((i) => `${i.pk!.S}/${i.seq!.N}`));
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
  });

  it('a Scan resumes correctly when its LastEvaluatedKey item is deleted between pages', async () => {
    await createTable(h.client, 'shrinking', ['id', 'S']);
    await writeAll('shrinking', [...Array(30).keys()].map((i) => ({ id: { S: `k${String(i).padStart(2, '0')}` } })));
    const first = await h.client.send(new ScanCommand({ TableName: 'shrinking', Limit: 10 }));
    await h.client.send(new DeleteItemCommand({ TableName: 'shrinking', Key: first.LastEvaluatedKey! }));
    const rest = await scanAll({ TableName: 'shrinking', ExclusiveStartKey: first.LastEvaluatedKey });
    expect(rest.items.map((i) => i.id!.S)).toEqual([...Array(20).keys()].map((i) => `k${i + 10}`));
  });

  it('BatchGetItem reads up to 100 keys across tables, projecting per table', async () => {
    const keys = [...Array(99).keys()].map((i) => ({ pk: { S: 'h0' }, seq: { N: String(i) } }));
    const out = await h.client.send(
      new BatchGetItemCommand({
        RequestItems: {
          events: { Keys: keys, ProjectionExpression: 'seq' },
          paths: { Keys: [{ pk: { S: 'x' }, path: { S: 'ab' } }] },
        },
      }),
    );
    expect(out.Responses?.events).toHaveLength(99);
    expect(out.Responses?.events?.[0]).toEqual({ seq: { N: expect.any(String) } });
    expect(out.Responses?.paths).toEqual([{ pk: { S: 'x' }, path: { S: 'ab' } }]);
    expect(out.UnprocessedKeys).toEqual({});
  });

  it('BatchWriteItem deletes, and both batch calls enforce their limits', async () => {
    await h.client.send(new BatchWriteItemCommand({ RequestItems: { paths: [{ DeleteRequest: { Key: { pk: { S: 'x' }, path: { S: 'b' } } } }] } }));
    const left = await queryAll({ TableName: 'paths', KeyConditionExpression: 'pk = :x', ExpressionAttributeValues: { ':x': { S: 'x' } } });
    expect(left.items.map((i) => i.path!.S)).not.toContain('b');
    const tooManyWrites = [...Array(26).keys()].map((i) => ({ PutRequest: { Item: { pk: { S: 'z' }, seq: { N: String(i) } } } }));
    await expectAwsError(h.client.send(new BatchWriteItemCommand({ RequestItems: { events: tooManyWrites } })), 'ValidationException', /Member must have length less than or equal to 25/);
    const tooManyKeys = [...Array(101).keys()].map((i) => ({ pk: { S: 'h0' }, seq: { N: String(i) } }));
    await expectAwsError(
      h.client.send(new BatchGetItemCommand({ RequestItems: { events: { Keys: tooManyKeys } } })),
      'ValidationException',
      "1 validation error detected: Value at 'RequestItems.events.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100",
    );
    const dup = { pk: { S: 'h0' }, seq: { N: '1' } };
    await expectAwsError(h.client.send(new BatchGetItemCommand({ RequestItems: { events: { Keys: [dup, dup] } } })), 'ValidationException', 'Provided list of item keys contains duplicates');
    await expectAwsError(
      h.client.send(new BatchWriteItemCommand({ RequestItems: { events: [{ PutRequest: { Item: dup } }, { DeleteRequest: { Key: dup } }] } })),
      'ValidationException',
      'Provided list of item keys contains duplicates',
    );
    await expectAwsError(h.client.send(new BatchWriteItemCommand({ RequestItems: { nope: [{ DeleteRequest: { Key: dup } }] } })), 'ResourceNotFoundException');
    await expectAwsError(h.client.send(new BatchWriteItemCommand({ RequestItems: {} })), 'ValidationException', 'The requestItems parameter is required for BatchWriteItem');
  });

  it('rejects malformed queries and scans with AWS messages', async () => {
    const q = (input: Partial<QueryCommandInput>) => h.client.send(new QueryCommand({ TableName: 'events', ...input }));
    await expectAwsError(q({ KeyConditionExpression: 'seq = :v', ExpressionAttributeValues: { ':v': { N: '1' } } }), 'ValidationException', 'Query condition missed key schema element: pk');
    await expectAwsError(
      q({ KeyConditionExpression: 'pk = :v OR seq = :n', ExpressionAttributeValues: { ':v': { S: 'h0' }, ':n': { N: '1' } } }),
      'ValidationException',
      'Invalid operator used in KeyConditionExpression: OR',
    );
    await expectAwsError(
      q({ KeyConditionExpression: 'pk = :v AND seq > :a AND seq < :b', ExpressionAttributeValues: { ':v': { S: 'h0' }, ':a': { N: '1' }, ':b': { N: '5' } } }),
      'ValidationException',
      'KeyConditionExpressions must only contain one condition per key',
    );
    await expectAwsError(q({ KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': { N: '1' } } }), 'ValidationException', 'One or more parameter values were invalid: Condition parameter type does not match schema type');
    await expectAwsError(
      q({ KeyConditionExpression: 'pk = :v', FilterExpression: 'seq > :n', ExpressionAttributeValues: { ':v': { S: 'h0' }, ':n': { N: '1' } } }),
      'ValidationException',
      'Filter Expression can only contain non-primary key attributes: Primary key attribute: seq',
    );
    await expectAwsError(q({ KeyConditionExpression: '', ExpressionAttributeValues: { ':v': { S: 'h0' } } }), 'ValidationException', 'Invalid KeyConditionExpression: The expression can not be empty;');
    await expectAwsError(
      q({ IndexName: 'byParity', KeyConditionExpression: 'parity = :v', ExpressionAttributeValues: { ':v': { S: 'odd' } } }),
      'ValidationException',
      'The table does not have the specified index: byParity',
    );
    await expectAwsError(q({ ...eq('h0'), Limit: 0 }), 'ValidationException', /Member must have value greater than or equal to 1/);
    await expectAwsError(q({ ...eq('h0'), ExclusiveStartKey: { pk: { S: 'h0' } } }), 'ValidationException', /The provided starting key is invalid/);
    await expectAwsError(h.client.send(new ScanCommand({ TableName: 'events', Segment: 0 })), 'ValidationException', 'The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
    await expectAwsError(
      h.client.send(new ScanCommand({ TableName: 'events', Segment: 5, TotalSegments: 5 })),
      'ValidationException',
      'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 5 is not less than TotalSegments: 5',
    );
    await expectAwsError(
      h.client.send(new ScanCommand({ TableName: 'events', FilterExpression: '((parity = :v))', ExpressionAttributeValues: { ':v': { S: 'odd' } } })),
      'ValidationException',
      'Invalid FilterExpression: The expression has redundant parentheses;',
    );
    await expectAwsError(h.client.send(new ScanCommand({ TableName: 'missing-table' })), 'ResourceNotFoundException', 'Requested resource not found');
  });
});
