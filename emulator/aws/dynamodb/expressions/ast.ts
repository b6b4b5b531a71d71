/** Syntax trees of DynamoDB expressions. Placeholders stay unresolved so one tree serves every request. */

export type PathElement = { type: 'attr'; name: string; placeholder: boolean } | { type: 'index'; index: number };

/** `a.b[2].c`, `#n.#m`: the first element is always an attribute. */
export interface DocumentPath {
  kind: 'path';
  elements: PathElement[];
}

/** `:value` */
export interface ValueRef {
  kind: 'value';
  name: string;
}

/** Operand functions: `size` (conditions), `if_not_exists` and `list_append` (updates). */
export interface FunctionCall {
  kind: 'call';
  name: 'size' | 'if_not_exists' | 'list_append';
  args: Operand[];
}

/** `x + y` / `x - y` in a SET action. */
export interface Arithmetic {
  kind: 'arith';
  op: '+' | '-';
  left: Operand;
  right: Operand;
}

export type Operand = DocumentPath | ValueRef | FunctionCall | Arithmetic;

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ConditionFunctionName = 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains';

export type Condition =
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { kind: 'between'; target: Operand; low: Operand; high: Operand }
  | { kind: 'in'; target: Operand; list: Operand[] }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'function'; name: ConditionFunctionName; args: Operand[] };

export interface SetAction {
  path: DocumentPath;
  value: Operand;
}

export interface SetOperationAction {
  path: DocumentPath;
  value: ValueRef;
}

export interface UpdateExpression {
  set: SetAction[];
  remove: DocumentPath[];
  add: SetOperationAction[];
  delete: SetOperationAction[];
}

export type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'ProjectionExpression' | 'UpdateExpression';

/** A parsed expression and the placeholders it mentions (for the defined/unused checks). */
export interface Parsed<T> {
  ast: T;
  names: ReadonlySet<string>;
  values: ReadonlySet<string>;
}
