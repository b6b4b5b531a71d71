import { validation } from '../../errors';
import type { AwsError } from '../../errors';
import type {
  Comparator,
  Condition,
  ConditionFunctionName,
  DocumentPath,
  ExpressionKind,
  FunctionCall,
  Operand,
  Parsed,
  PathElement,
  SetOperationAction,
  UpdateExpression,
  ValueRef,
} from './ast';
import { isReservedWord } from './reserved-words';
import { tokenize, type Token } from './tokenizer';

const CONDITION_FUNCTIONS = new Set<string>(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);
const UPDATE_FUNCTIONS = new Set<string>(['if_not_exists', 'list_append']);
const COMPARATORS = new Set<string>(['=', '<>', '<', '<=', '>', '>=']);
/** Grammar words that can never start an operand (a syntax error, not a reserved-word error, like AWS). */
const GRAMMAR_WORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const UPDATE_CLAUSES = ['SET', 'REMOVE', 'ADD', 'DELETE'] as const;
type UpdateClause = (typeof UPDATE_CLAUSES)[number];

/** Recursive-descent parser over the token list of one expression. */
class Parser {
  private readonly tokens: Token[];
  private pos = 0;
  readonly names = new Set<string>();
  readonly values = new Set<string>();
  /** Conditions that were written inside parentheses, to reject `((x))` as AWS does. */
  private readonly parenthesized = new WeakSet<Condition>();

  constructor(
    private readonly kind: ExpressionKind,
    private readonly source: string,
  ) {
    this.tokens = tokenize(source);
    if (this.tokens.length === 1) throw this.error('The expression can not be empty;');
  }

  // ---- token helpers ----

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'punct' && t.text === text;
  }

  private isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === 'identifier' && t.text.toUpperCase() === word;
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text)) throw this.syntaxError();
    this.next();
  }

  error(message: string): AwsError {
    return validation(`Invalid ${this.kind}: ${message}`);
  }

  /** AWS quotes the offending token and the source from the token before it to the token after it. */
  syntaxError(token: Token = this.peek()): AwsError {
    const index = this.tokens.indexOf(token);
    const before = index > 0 ? this.tokens[index - 1]! : token;
    const after = index + 1 < this.tokens.length && this.tokens[index + 1]!.kind !== 'eof' ? this.tokens[index + 1]! : token;
    const near = this.source.slice(before.start, Math.max(after.end, token.end));
    return this.error(`Syntax error; token: "${token.text}", near: "${near}"`);
  }

  expectEnd(): void {
    if (this.peek().kind !== 'eof') throw this.syntaxError();
  }

  // ---- paths and operands ----

  private attributeName(token: Token): PathElement {
    if (token.kind === 'name') {
      this.names.add(token.text);
      return { type: 'attr', name: token.text, placeholder: true };
    }
    if (token.kind !== 'identifier' || GRAMMAR_WORDS.has(token.text.toUpperCase())) throw this.syntaxError(token);
    if (isReservedWord(token.text)) throw this.error(`Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
    return { type: 'attr', name: token.text, placeholder: false };
  }

  parsePath(): DocumentPath {
    const elements: PathElement[] = [this.attributeName(this.next())];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        elements.push(this.attributeName(this.next()));
      } else if (this.isPunct('[')) {
        this.next();
        const t = this.next();
        if (t.kind !== 'number') throw this.syntaxError(t);
        const index = Number(t.text);
        if (!Number.isSafeInteger(index)) throw this.syntaxError(t);
        this.expectPunct(']');
        elements.push({ type: 'index', index });
      } else return { kind: 'path', elements };
    }
  }

  private valueRef(): ValueRef {
    const t = this.next();
    if (t.kind !== 'value') throw this.syntaxError(t);
    this.values.add(t.text);
    return { kind: 'value', name: t.text };
  }

  /** An operand: `:v`, a path, or a call of one of `allowedFunctions`. */
  private parseOperand(allowedFunctions: ReadonlySet<string>): Operand {
    const t = this.peek();
    if (t.kind === 'value') return this.valueRef();
    if (t.kind === 'identifier' && this.isPunct('(', 1)) return this.parseCall(allowedFunctions);
    return this.parsePath();
  }

  private parseCall(allowedFunctions: ReadonlySet<string>): FunctionCall {
    const nameToken = this.next();
    const name = nameToken.text;
    if (!allowedFunctions.has(name)) {
      const known = CONDITION_FUNCTIONS.has(name) || UPDATE_FUNCTIONS.has(name) || name === 'size';
      throw this.error(known ? `The function is not allowed to be used this way in an expression; function: ${name}` : `Invalid function name; function: ${name}`);
    }
    const args = this.parseArguments(name === 'size' ? new Set() : allowedFunctions);
    const call = { kind: 'call', name, args } as FunctionCall;
    checkArity(this, name, args);
    if (name === 'size' || name === 'if_not_exists') requirePath(this, name, args[0]!);
    return call;
  }

  private parseArguments(allowedFunctions: ReadonlySet<string>): Operand[] {
    this.expectPunct('(');
    const args: Operand[] = [];
    if (!this.isPunct(')')) {
      do args.push(this.parseOperand(allowedFunctions));
      while (this.isPunct(',') && this.next());
    }
    this.expectPunct(')');
    return args;
  }

  // ---- conditions ----

  parseCondition(): Condition {
    let left = this.parseAnd();
    while (this.isWord('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Condition {
    let left = this.parseNot();
    while (this.isWord('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): Condition {
    if (this.isWord('NOT')) {
      this.next();
      return { kind: 'not', operand: this.parseNot() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Condition {
    if (this.isPunct('(')) {
      this.next();
      const inner = this.parseCondition();
      this.expectPunct(')');
      if (this.parenthesized.has(inner)) throw this.error('The expression has redundant parentheses;');
      this.parenthesized.add(inner);
      return inner;
    }
    const t = this.peek();
    if (t.kind === 'identifier' && this.isPunct('(', 1) && CONDITION_FUNCTIONS.has(t.text)) {
      this.next();
      const name = t.text as ConditionFunctionName;
      const args = this.parseArguments(new Set(['size']));
      checkArity(this, name, args);
      if (name.startsWith('attribute_')) requirePath(this, name, args[0]!);
      return { kind: 'function', name, args };
    }
    const operandFunctions = new Set(['size']);
    const left = this.parseOperand(operandFunctions);
    const op = this.peek();
    if (op.kind === 'punct' && COMPARATORS.has(op.text)) {
      this.next();
      return { kind: 'compare', op: op.text as Comparator, left, right: this.parseOperand(operandFunctions) };
    }
    if (this.isWord('BETWEEN')) {
      this.next();
      const low = this.parseOperand(operandFunctions);
      if (!this.isWord('AND')) throw this.syntaxError();
      this.next();
      return { kind: 'between', target: left, low, high: this.parseOperand(operandFunctions) };
    }
    if (this.isWord('IN')) {
      this.next();
      const list = this.parseArguments(operandFunctions);
      if (list.length === 0) throw this.syntaxError(this.tokens[this.pos - 1]);
      if (list.length > 100)
        throw this.error(`The IN operator is provided with too many operands; number of operands: ${list.length}`);
      return { kind: 'in', target: left, list };
    }
    throw this.syntaxError();
  }

  // ---- update expressions ----

  parseUpdate(): UpdateExpression {
    const update: UpdateExpression = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<UpdateClause>();
    while (this.peek().kind !== 'eof') {
      const t = this.next();
      const clause = t.kind === 'identifier' ? (t.text.toUpperCase() as UpdateClause) : undefined;
      if (!clause || !UPDATE_CLAUSES.includes(clause)) throw this.syntaxError(t);
      if (seen.has(clause)) throw this.error(`The "${clause}" section can only be used once in an update expression;`);
      seen.add(clause);
      do {
        if (clause === 'SET') {
          const path = this.parsePath();
          this.expectPunct('=');
          update.set.push({ path, value: this.parseSetValue() });
        } else if (clause === 'REMOVE') update.remove.push(this.parsePath());
        else {
          const action: SetOperationAction = { path: this.parsePath(), value: this.valueRef() };
          (clause === 'ADD' ? update.add : update.delete).push(action);
        }
      } while (this.isPunct(',') && this.next());
    }
    return update;
  }

  private parseSetValue(): Operand {
    const left = this.parseOperand(UPDATE_FUNCTIONS);
    if (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next().text as '+' | '-';
      return { kind: 'arith', op, left, right: this.parseOperand(UPDATE_FUNCTIONS) };
    }
    return left;
  }

  // ---- projections ----

  parseProjection(): DocumentPath[] {
    const paths: DocumentPath[] = [];
    do paths.push(this.parsePath());
    while (this.isPunct(',') && this.next());
    return paths;
  }
}

const ARITY: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
  size: 1,
  if_not_exists: 2,
  list_append: 2,
};

function checkArity(p: Parser, name: string, args: Operand[]): void {
  if (args.length !== ARITY[name])
    throw p.error(`Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`);
}

function requirePath(p: Parser, name: string, operand: Operand): void {
  if (operand.kind !== 'path') throw p.error(`Operator or function requires a document path; operator or function: ${name}`);
}

// ---- cache ----

const MAX_CACHED = 4096;
const cache = new Map<string, Parsed<unknown> | AwsError>();

/** Parses once per distinct (kind, text); AWS clients send the same few expressions over and over. */
function cached<T>(kind: ExpressionKind, text: string, parse: (p: Parser) => T): Parsed<T> {
  const key = `${kind}\u0000${text}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    try {
      const p = new Parser(kind, text);
      const ast = parse(p);
      p.expectEnd();
      hit = { ast, names: p.names, values: p.values };
    } catch (err) {
      if (!(err instanceof Error) || (err as AwsError).code !== 'ValidationException') throw err;
      hit = err as AwsError;
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, hit);
  }
  if (hit instanceof Error) throw hit;
  return hit as Parsed<T>;
}

/** ConditionExpression, FilterExpression and KeyConditionExpression share one grammar. */
export function parseCondition(text: string, kind: 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' = 'ConditionExpression'): Parsed<Condition> {
  return cached(kind, text, (p) => p.parseCondition());
}

export function parseUpdate(text: string): Parsed<UpdateExpression> {
  return cached('UpdateExpression', text, (p) => p.parseUpdate());
}

export function parseProjection(text: string): Parsed<DocumentPath[]> {
  return cached('ProjectionExpression', text, (p) => p.parseProjection());
}
