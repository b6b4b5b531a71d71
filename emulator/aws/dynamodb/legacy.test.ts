import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createTable, expectAwsError, startDynamo, type DynamoHarness } from './testing';

/** The pre-expression parameters, as Java KCL 1.x/2.x lease code still sends them. */
describe('DynamoDB legacy parameters over the SDK', () => {
  let h: DynamoHarness;
  beforeAll(async () => {
    h = await startDynamo();
    await createTable(h.client, 'kcl-leases', ['leaseKey', 'S']);
    await createTable(h.client, 'series', ['pk', 'S'], ['n', 'N']);
    for (let n = 0; n < 10; n++)
      await h.client.send(new PutItemCommand({ TableName: 'series', Item: { pk: { S: 'a' }, n: { N: String(n) }, kind: { S: n % 3 === 0 ? 'fizz' : 'plain' } } }));
  });
  afterAll(async () => {
    expect(h.internalErrors).toEqual([]);
    await h.stop();
  });

  const key = { leaseKey: { S: 'shardId-000000000007' } };

  it('Expected {Exists: false} creates a lease once (KCL createLeaseIfNotExists)', async () => {
    const create = () =>
      h.client.send(
        new PutItemCommand({ TableName: 'kcl-leases', Item: { ...key, leaseCounter: { N: '0' }, checkpoint: { S: 'TRIM_HORIZON' } }, Expected: { leaseKey: { Exists: false } } }),
      );
    await create();
    await expectAwsError(create(), 'ConditionalCheckFailedException', 'The conditional request failed');
  });

  it('AttributeUpdates with Expected Value: renew, take and a stale take that fails', async () => {
    const renew = (expected: string, owner: string) =>
      h.client.send(
        new UpdateItemCommand({
          TableName: 'kcl-leases',
          Key: key,
          Expected: { leaseCounter: { Value: { N: expected } } },
          AttributeUpdates: {
            leaseCounter: { Action: 'ADD', Value: { N: '1' } },
            leaseOwner: { Action: 'PUT', Value: { S: owner } },
            ownerSwitchesSinceCheckpoint: { Action: 'ADD', Value: { N: '1' } },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
    expect((await renew('0', 'worker-1')).Attributes).toMatchObject({ leaseCounter: { N: '1' }, leaseOwner: { S: 'worker-1' }, ownerSwitchesSinceCheckpoint: { N: '1' } });
    await expectAwsError(renew('0', 'worker-2'), 'ConditionalCheckFailedException');
    const evicted = await h.client.send(
      new UpdateItemCommand({
        TableName: 'kcl-leases',
        Key: key,
        Expected: { leaseOwner: { Value: { S: 'worker-1' } }, leaseCounter: { ComparisonOperator: 'EQ', AttributeValueList: [{ N: '1' }] } },
        AttributeUpdates: { leaseOwner: { Action: 'DELETE' }, leaseCounter: { Action: 'ADD', Value: { N: '1' } } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(evicted.Attributes?.leaseOwner).toBeUndefined();
    expect(evicted.Attributes?.leaseCounter).toEqual({ N: '2' });
    await expectAwsError(
      h.client.send(new UpdateItemCommand({ TableName: 'kcl-leases', Key: key, AttributeUpdates: { leaseKey: { Action: 'PUT', Value: { S: 'x' } } } })),
      'ValidationException',
      'One or more parameter values were invalid: Cannot update attribute leaseKey. This attribute is part of the key',
    );
  });

  it('Expected with comparison operators and ConditionalOperator OR', async () => {
    const del = (Expected: Record<string, object>, ConditionalOperator?: 'AND' | 'OR') =>
      h.client.send(new DeleteItemCommand({ TableName: 'kcl-leases', Key: key, Expected, ConditionalOperator, ReturnValues: 'ALL_OLD' }));
    await expectAwsError(del({ leaseCounter: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '5' }] } }), 'ConditionalCheckFailedException');
    await expectAwsError(
      del({ leaseCounter: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '1' }] } }),
      'ValidationException',
      'One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator',
    );
    const out = await del({ leaseCounter: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '5' }] }, checkpoint: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [{ S: 'TRIM' }] } }, 'OR');
    expect(out.Attributes?.leaseKey).toEqual(key.leaseKey);
    expect((await h.client.send(new GetItemCommand({ TableName: 'kcl-leases', Key: key }))).Item).toBeUndefined();
  });

  it('Query with KeyConditions and QueryFilter; Scan with ScanFilter', async () => {
    const q = await h.client.send(
      new QueryCommand({
        TableName: 'series',
        KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'a' }] }, n: { ComparisonOperator: 'GE', AttributeValueList: [{ N: '3' }] } },
        QueryFilter: { kind: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'fizz' }] } },
        AttributesToGet: ['n'],
      }),
    );
    expect(q.Items).toEqual([{ n: { N: '3' } }, { n: { N: '6' } }, { n: { N: '9' } }]);
    expect(q.ScannedCount).toBe(7);
    const s = await h.client.send(
      new ScanCommand({
        TableName: 'series',
        ScanFilter: { n: { ComparisonOperator: 'IN', AttributeValueList: [{ N: '1' }, { N: '2' }] }, kind: { ComparisonOperator: 'NOT_NULL' } },
      }),
    );
    expect(s.Items?.map((i) => i.n!.N)).toEqual(['1', '2']);
  });

  it('refuses to mix legacy and expression parameters', async () => {
    await expectAwsError(
      h.client.send(new PutItemCommand({ TableName: 'kcl-leases', Item: key, Expected: { leaseKey: { Exists: false } }, ConditionExpression: 'attribute_not_exists(leaseKey)' })),
      'ValidationException',
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}',
    );
    await expectAwsError(
      h.client.send(new GetItemCommand({ TableName: 'kcl-leases', Key: key, AttributesToGet: ['leaseKey'], ProjectionExpression: 'leaseKey' })),
      'ValidationException',
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}',
    );
  });
});
