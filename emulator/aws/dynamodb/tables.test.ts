import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  TagResourceCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { createTable, expectAwsError, startDynamo, type DynamoHarness } from './testing';

describe('DynamoDB control plane over the SDK', () => {
  let h: DynamoHarness;
  beforeAll(async () => {
    h = await startDynamo();
  });
  afterAll(async () => {
    expect(h.internalErrors).toEqual([]);
    await h.stop();
  });

  it('creates an on-demand table ACTIVE at once, so waitUntilTableExists returns immediately', async () => {
    const out = await h.client.send(
      new CreateTableCommand({
        TableName: 'leases-app',
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect(out.TableDescription?.TableStatus).toBe('ACTIVE');
    const started = Date.now();
    const waited = await waitUntilTableExists({ client: h.client, maxWaitTime: 30 }, { TableName: 'leases-app' });
    expect(waited.state).toBe('SUCCESS');
    expect(Date.now() - started).toBeLessThan(5_000);

    await h.client.send(new PutItemCommand({ TableName: 'leases-app', Item: { leaseKey: { S: 'shardId-000000000000' }, leaseCounter: { N: '1' } } }));
    const { Table: t } = await h.client.send(new DescribeTableCommand({ TableName: 'leases-app' }));
    expect(t).toMatchObject({
      TableName: 'leases-app',
      TableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/leases-app',
      TableStatus: 'ACTIVE',
      ItemCount: 1,
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
    });
    expect(t?.TableSizeBytes).toBeGreaterThan(20);
    expect(t?.CreationDateTime).toBeInstanceOf(Date);
    expect(Math.abs(t!.CreationDateTime!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(t?.TableId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('creates a provisioned HASH+RANGE table and reports its throughput', async () => {
    await h.client.send(
      new CreateTableCommand({
        TableName: 'manifest',
        KeySchema: [
          { AttributeName: 'base', KeyType: 'HASH' },
          { AttributeName: 'seq', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'base', AttributeType: 'S' },
          { AttributeName: 'seq', AttributeType: 'N' },
        ],
        ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
      }),
    );
    const { Table: t } = await h.client.send(new DescribeTableCommand({ TableName: 'manifest' }));
    expect(t?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 1, WriteCapacityUnits: 1 });
    expect(t?.BillingModeSummary?.BillingMode).toBe('PROVISIONED');
    expect(t?.KeySchema?.[1]).toEqual({ AttributeName: 'seq', KeyType: 'RANGE' });
  });

  it('refuses a second table of the same name with ResourceInUseException', async () => {
    await expectAwsError(createTable(h.client, 'manifest', ['base', 'S']), 'ResourceInUseException', 'Table already exists: manifest');
  });

  it('validates CreateTable like AWS', async () => {
    const base = {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
      BillingMode: 'PAY_PER_REQUEST' as const,
    };
    await expectAwsError(
      h.client.send(new CreateTableCommand({ ...base, TableName: 'ab' })),
      'ValidationException',
      "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
    );
    await expectAwsError(
      h.client.send(new CreateTableCommand({ ...base, TableName: 'bad table!' })),
      'ValidationException',
      /Member must satisfy regular expression pattern: \[a-zA-Z0-9_.-\]\+/,
    );
    await expectAwsError(
      h.client.send(new CreateTableCommand({ ...base, TableName: 'extra-defs', AttributeDefinitions: [...base.AttributeDefinitions, { AttributeName: 'x', AttributeType: 'S' }] })),
      'ValidationException',
      'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
    );
    await expectAwsError(
      h.client.send(new CreateTableCommand({ ...base, TableName: 'undefined-key', AttributeDefinitions: [{ AttributeName: 'other', AttributeType: 'S' }] })),
      'ValidationException',
      /Some index key attributes are not defined in AttributeDefinitions/,
    );
    await expectAwsError(
      h.client.send(new CreateTableCommand({ ...base, TableName: 'no-throughput', BillingMode: 'PROVISIONED' })),
      'ValidationException',
      'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
    );
    await expectAwsError(
      h.client.send(new CreateTableCommand({ ...base, TableName: 'both', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })),
      'ValidationException',
      /Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST/,
    );
    await expectAwsError(
      h.client.send(
        new CreateTableCommand({
          ...base,
          TableName: 'with-gsi',
          AttributeDefinitions: [...base.AttributeDefinitions, { AttributeName: 'g', AttributeType: 'S' }],
          GlobalSecondaryIndexes: [{ IndexName: 'g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
        }),
      ),
      'ValidationException',
      /does not support secondary indexes/,
    );
    // Nothing half-created by the failures above.
    const { TableNames } = await h.client.send(new ListTablesCommand({}));
    expect(TableNames).not.toContain('with-gsi');
  });

  it('pages ListTables in name order with Limit and ExclusiveStartTableName', async () => {
    for (const n of ['page-c', 'page-a', 'page-e', 'page-b', 'page-d']) await createTable(h.client, n, ['id', 'S']);
    const seen: string[] = [];
    let start: string | undefined;
    let pages = 0;
    do {
      const out = await h.client.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: start }));
      expect(out.TableNames!.length).toBeLessThanOrEqual(2);
      seen.push(...out.TableNames!);
      start = out.LastEvaluatedTableName;
      pages++;
    } while (start);
    expect(seen).toEqual([...seen].sort());
    expect(seen.filter((n) => n.startsWith('page-'))).toEqual(['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
    expect(pages).toBe(Math.ceil(seen.length / 2));
  });

  it('UpdateTable changes throughput (autoscaling), counts decreases and refuses a no-op change', async () => {
    const up = await h.client.send(new UpdateTableCommand({ TableName: 'manifest', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 10 } }));
    expect(up.TableDescription?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 5, WriteCapacityUnits: 10 });
    expect(up.TableDescription?.ProvisionedThroughput?.LastIncreaseDateTime).toBeInstanceOf(Date);
    await h.client.send(new UpdateTableCommand({ TableName: 'manifest', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 } }));
    const { Table: t } = await h.client.send(new DescribeTableCommand({ TableName: 'manifest' }));
    expect(t?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 5, WriteCapacityUnits: 2, NumberOfDecreasesToday: 1 });
    await expectAwsError(
      h.client.send(new UpdateTableCommand({ TableName: 'manifest', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 } })),
      'ValidationException',
      /The provisioned throughput for the table will not change/,
    );
    const switched = await h.client.send(new UpdateTableCommand({ TableName: 'manifest', BillingMode: 'PAY_PER_REQUEST' }));
    expect(switched.TableDescription?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    await expectAwsError(h.client.send(new UpdateTableCommand({ TableName: 'nope-table' , BillingMode: 'PAY_PER_REQUEST'})), 'ResourceNotFoundException');
  });

  it('stores TTL settings and tags', async () => {
    await h.client.send(new UpdateTimeToLiveCommand({ TableName: 'leases-app', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    const ttl = await h.client.send(new DescribeTimeToLiveCommand({ TableName: 'leases-app' }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/leases-app';
    await h.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'app', Value: 'enrich' }] }));
    expect((await h.client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'app', Value: 'enrich' }]);
  });

  it('deletes a table: DELETING description, then ResourceNotFoundException', async () => {
    await createTable(h.client, 'doomed', ['id', 'S']);
    const out = await h.client.send(new DeleteTableCommand({ TableName: 'doomed' }));
    expect(out.TableDescription?.TableStatus).toBe('DELETING');
    expect((await waitUntilTableNotExists({ client: h.client, maxWaitTime: 30 }, { TableName: 'doomed' })).state).toBe('SUCCESS');
    await expectAwsError(h.client.send(new DescribeTableCommand({ TableName: 'doomed' })), 'ResourceNotFoundException', 'Requested resource not found: Table: doomed not found');
    await expectAwsError(h.client.send(new DeleteTableCommand({ TableName: 'doomed' })), 'ResourceNotFoundException');
    await expectAwsError(h.client.send(new PutItemCommand({ TableName: 'doomed', Item: { id: { S: 'x' } } })), 'ResourceNotFoundException', 'Requested resource not found');
  });
});
