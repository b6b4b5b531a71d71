import { notFound } from '../errors';
import type { Journal } from '../journal';
import { itemSize as itemSizeOf, type Item } from './attribute-values';
import { ItemStore, type KeySchema } from './item-store';

/** Table settings as created / updated; everything DescribeTable reports except the live counters. */
export interface TableMeta {
  name: string;
  id: string;
  arn: string;
  /** Epoch milliseconds. */
  createdAt: number;
  keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  readCapacityUnits: number;
  writeCapacityUnits: number;
  lastIncreaseAt?: number;
  lastDecreaseAt?: number;
  decreasesToday: number;
  /** UTC day (YYYY-MM-DD) that `decreasesToday` counts. */
  decreasesDay?: string;
  payPerRequestSince?: number;
  deletionProtection: boolean;
  tableClass?: string;
  tags: { Key: string; Value: string }[];
  ttl?: { AttributeName: string; Enabled: boolean };
}

/** One journal line: the resulting state of a mutation, never the request that produced it. */
export type JournalRecord =
  | { op: 'createTable'; table: TableMeta }
  | { op: 'updateTable'; table: TableMeta }
  | { op: 'deleteTable'; name: string }
  | { op: 'put'; table: string; item: Item }
  | { op: 'delete'; table: string; key: Item };

export class Table {
  readonly schema: KeySchema;
  readonly store: ItemStore;

  constructor(public meta: TableMeta) {
    const hash = meta.keySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;
    const range = meta.keySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    const typeOf = (name: string) => meta.attributeDefinitions.find((d) => d.AttributeName === name)!.AttributeType;
    this.schema = { hash: { name: hash, type: typeOf(hash) }, ...(range ? { range: { name: range, type: typeOf(range) } } : {}) };
    this.store = new ItemStore(this.schema);
  }

  isKeyAttribute(name: string): boolean {
    return name === this.schema.hash.name || name === this.schema.range?.name;
  }
}

/**
 * All tables of the emulator, in memory, with an optional journal: every acknowledged mutation is appended
 * (synchronously, before the answer) and replayed at start; `close` compacts the journal to a snapshot.
 */
export class Database {
  private readonly tables = new Map<string, Table>();

  constructor(private readonly journal: Journal<JournalRecord> | null) {
    if (journal) for (const r of journal.read()) this.apply(r);
  }

  /** Journals then applies: a failed append leaves memory untouched, so nothing unjournaled is acknowledged. */
  commit(records: JournalRecord | JournalRecord[]): void {
    const list = Array.isArray(records) ? records : [records];
    if (this.journal) this.journal.appendMany(list);
    for (const r of list) this.apply(r);
  }

  private apply(r: JournalRecord): void {
    switch (r.op) {
      case 'createTable':
        this.tables.set(r.table.name, new Table(r.table));
        return;
      case 'updateTable': {
        const t = this.tables.get(r.table.name);
        if (t) t.meta = r.table;
        return;
      }
      case 'deleteTable':
        this.tables.delete(r.name);
        return;
      case 'put': {
        const t = this.tables.get(r.table);
        if (t) t.store.put(r.item, itemSizeOf(r.item));
        return;
      }
      case 'delete': {
        const t = this.tables.get(r.table);
        if (t) t.store.delete(t.store.positionOf(r.key));
        return;
      }
    }
  }

  has(name: string): boolean {
    return this.tables.has(name);
  }

  find(name: string): Table | undefined {
    return this.tables.get(name);
  }

  /** The table, or AWS's ResourceNotFoundException as data-plane operations word it. */
  table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw notFound('Requested resource not found');
    return t;
  }

  names(): string[] {
    return [...this.tables.keys()];
  }

  *snapshot(): Generator<JournalRecord> {
    for (const t of this.tables.values()) {
      yield { op: 'createTable', table: t.meta };
      for (const s of t.store.all()) yield { op: 'put', table: t.meta.name, item: s.item };
    }
  }

  close(): void {
    this.journal?.compact(this.snapshot());
  }
}

