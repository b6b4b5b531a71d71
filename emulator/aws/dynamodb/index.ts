import { AwsError } from '../errors';
import type { EdgeRequest, JsonService, ServiceContext } from '../types';
import { Database, type JournalRecord } from './database';
import { BatchOperations } from './operations/batch';
import { ItemOperations } from './operations/items';
import { ReadOperations } from './operations/reads';
import { TableOperations } from './operations/tables';
import { TransactionOperations } from './operations/transactions';
import { checkMemberTypes } from './requests';

type Handler = (input: Record<string, unknown>) => unknown;

/**
 * DynamoDB (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Op>`): tables, items, conditional writes, the
 * expression language, Query/Scan pagination, batches and transactions, in memory with an optional journal. Every
 * operation runs synchronously to completion, so two conditional writes to one item can never both win.
 */
export class DynamoDbService implements JsonService {
  readonly name = 'dynamodb' as const;
  private readonly db: Database;
  private readonly operations: Record<string, Handler>;

  constructor(ctx: ServiceContext) {
    this.db = new Database(ctx.journal<JournalRecord>('dynamodb'));
    const tables = new TableOperations(this.db, ctx);
    const items = new ItemOperations(this.db);
    const reads = new ReadOperations(this.db);
    const batch = new BatchOperations(this.db);
    const transactions = new TransactionOperations(this.db);
    this.operations = {
      CreateTable: (i) => tables.createTable(i),
      DescribeTable: (i) => tables.describeTable(i),
      DeleteTable: (i) => tables.deleteTable(i),
      ListTables: (i) => tables.listTables(i),
      UpdateTable: (i) => tables.updateTable(i),
      DescribeTimeToLive: (i) => tables.describeTimeToLive(i),
      UpdateTimeToLive: (i) => tables.updateTimeToLive(i),
      TagResource: (i) => tables.tagResource(i),
      UntagResource: (i) => tables.untagResource(i),
      ListTagsOfResource: (i) => tables.listTagsOfResource(i),
      GetItem: (i) => items.getItem(i),
      PutItem: (i) => items.putItem(i),
      UpdateItem: (i) => items.updateItem(i),
      DeleteItem: (i) => items.deleteItem(i),
      Query: (i) => reads.query(i),
      Scan: (i) => reads.scan(i),
      BatchWriteItem: (i) => batch.batchWriteItem(i),
      BatchGetItem: (i) => batch.batchGetItem(i),
      TransactWriteItems: (i) => transactions.transactWriteItems(i),
      TransactGetItems: (i) => transactions.transactGetItems(i),
    };
  }

  handle(operation: string, input: any, _req: EdgeRequest): unknown {
    const handler = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (!handler) throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported by the Furrow emulator`, 400);
    checkMemberTypes(input);
    return handler(input as Record<string, unknown>);
  }

  close(): void {
    this.db.close();
  }
}
