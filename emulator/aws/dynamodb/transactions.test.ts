import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand, TransactGetItemsCommand, TransactWriteItemsCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { createTable, expectAwsError, startDynamo, type DynamoHarness } from './testing';

describe('DynamoDB transactions over the SDK', () => {
  let h: DynamoHarness;
  beforeAll(async () => {
    h = await startDynamo();
    await createTable(h.client, 'manifest', ['base', 'S']);
    await createTable(h.client, 'counters', ['id', 'S']);
    await h.client.send(new PutItemCommand({ TableName: 'counters', Item: { id: { S: 'loads' }, n: { N: '0' } } }));
  });
  afterAll(async () => {
    expect(h.internalErrors).toEqual([]);
    await h.stop();
  });

  const get = async (TableName: string, Key: Record<string, { S: string }>) => (await h.client.send(new GetItemCommand({ TableName, Key }))).Item;

  const load = (base: string, expectedCount: string) =>
    h.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: 'manifest', Item: { base: { S: base }, state: { S: 'loaded' } }, ConditionExpression: 'attribute_not_exists(#b)', ExpressionAttributeNames: { '#b': 'base' } } },
          {
            Update: {
              TableName: 'counters',
              Key: { id: { S: 'loads' } },
              UpdateExpression: 'SET n = n + :one',
              ConditionExpression: 'n = :expected',
              ExpressionAttributeValues: { ':one': { N: '1' }, ':expected': { N: expectedCount } },
            },
          },
        ],
      }),
    );

  it('commits every action together', async () => {
    await load('s3://bucket/run=1/', '0');
    expect(await get('manifest', { base: { S: 's3://bucket/run=1/' } })).toEqual({ base: { S: 's3://bucket/run=1/' }, state: { S: 'loaded' } });
    expect((await get('counters', { id: { S: 'loads' } }))?.n).toEqual({ N: '1' });
  });

  it('cancels all actions when one condition fails, with per-action reasons', async () => {
    const err = await expectAwsError(
      load('s3://bucket/run=1/', '1'),
      'TransactionCanceledException',
      'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]',
    );
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect(err.CancellationReasons).toEqual([{ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }, { Code: 'None' }]);
    expect((await get('counters', { id: { S: 'loads' } }))?.n).toEqual({ N: '1' }); // the update did not happen
  });

  it('refuses two actions on one item', async () => {
    await expectAwsError(
      h.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { ConditionCheck: { TableName: 'counters', Key: { id: { S: 'loads' } }, ConditionExpression: 'attribute_exists(id)' } },
            { Delete: { TableName: 'counters', Key: { id: { S: 'loads' } } } },
          ],
        }),
      ),
      'ValidationException',
      'Transaction request cannot include multiple operations on one item',
    );
  });

  it('TransactGetItems reads a consistent set, projecting per item', async () => {
    const out = await h.client.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: 'manifest', Key: { base: { S: 's3://bucket/run=1/' } }, ProjectionExpression: '#s', ExpressionAttributeNames: { '#s': 'state' } } },
          { Get: { TableName: 'manifest', Key: { base: { S: 'absent' } } } },
          { Get: { TableName: 'counters', Key: { id: { S: 'loads' } } } },
        ],
      }),
    );
    expect(out.Responses?.map((r) => r.Item)).toEqual([{ state: { S: 'loaded' } }, undefined, { id: { S: 'loads' }, n: { N: '1' } }]);
  });
});
