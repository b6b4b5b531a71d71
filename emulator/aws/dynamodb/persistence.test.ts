import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { createTable, startDynamo, type DynamoHarness } from './testing';

describe('DynamoDB with --data-dir', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'furrow-dynamodb-'));
  const running: DynamoHarness[] = [];
  const start = async () => {
    const h = await startDynamo({ dataDir });
    running.push(h);
    return h;
  };
  afterAll(async () => {
    for (const h of running) {
      expect(h.internalErrors).toEqual([]);
      await h.stop();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps tables and items across a restart, including ones never compacted', async () => {
    const first = await start();
    const c = first.client;
    await createTable(c, 'leases', ['leaseKey', 'S']);
    await createTable(c, 'ranged', ['pk', 'S'], ['sk', 'N']);
    await createTable(c, 'dropped', ['id', 'S']);
    await c.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'a' }, leaseCounter: { N: '1' }, parentShardId: { SS: ['p'] } } }));
    await c.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'b' }, leaseCounter: { N: '1' } } }));
    await c.send(
      new UpdateItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'a' } }, UpdateExpression: 'SET leaseCounter = leaseCounter + :one', ExpressionAttributeValues: { ':one': { N: '1' } } }),
    );
    await c.send(new DeleteItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'b' } } }));
    await c.send(
      new BatchWriteItemCommand({ RequestItems: { ranged: [...Array(20).keys()].map((i) => ({ PutRequest: { Item: { pk: { S: 'x' }, sk: { N: String(i) } } } })) } }),
    );
    await c.send(new UpdateTableCommand({ TableName: 'leases', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }));
    await c.send(new DeleteTableCommand({ TableName: 'dropped' }));

    // Every acknowledged write is already on disk: a second emulator reading the journal now (as after a
    // crash, with no compaction) sees all of it.
    const journal = readFileSync(join(dataDir, 'dynamodb.jsonl'), 'utf8').trim().split('\n');
    expect(journal.length).toBeGreaterThanOrEqual(10);
    const replayed = await start();
    await expectState(replayed);
    await replayed.stop();
    await first.stop();

    // Compacted on close: one line per table and item, and it replays to the same state.
    const compacted = readFileSync(join(dataDir, 'dynamodb.jsonl'), 'utf8').trim().split('\n');
    expect(compacted).toHaveLength(2 + 1 + 20);
    const restarted = await start();
    await expectState(restarted);
  });

  async function expectState(h: DynamoHarness): Promise<void> {
    const c = h.client;
    expect((await c.send(new ListTablesCommand({}))).TableNames).toEqual(['leases', 'ranged']);
    const a = await c.send(new GetItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'a' } } }));
    expect(a.Item).toEqual({ leaseKey: { S: 'a' }, leaseCounter: { N: '2' }, parentShardId: { SS: ['p'] } });
    const b = await c.send(new GetItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'b' } } }));
    expect(b.Item).toBeUndefined();
    const { Table } = await c.send(new DescribeTableCommand({ TableName: 'leases' }));
    expect(Table).toMatchObject({ ItemCount: 1, ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } });
    const scan = await c.send(new ScanCommand({ TableName: 'ranged' }));
    expect(scan.Items?.map((i) => Number(i.sk!.N))).toEqual([...Array(20).keys()]);
  }
});
