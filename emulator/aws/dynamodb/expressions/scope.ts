import { AwsError, validation } from '../../errors';
import { normalizeValue, typeName, typeOf, TYPE_CODES, compareScalars, type AttributeValue, type ScalarKeyType } from '../attribute-values';
import type { Condition, DocumentPath, ExpressionKind, Operand, UpdateExpression, ValueRef } from './ast';
import { parseCondition, parseProjection, parseUpdate } from './parser';

/** A document path with placeholders substituted: attribute names and list indexes. */
export type ResolvedPath = (string | number)[];

/** An update expression with its target paths resolved and its ADD/DELETE values looked up. */
export interface ResolvedUpdate {
  set: { path: ResolvedPath; value: Operand }[];
  remove: ResolvedPath[];
  add: { path: ResolvedPath; value: AttributeValue }[];
  delete: { path: ResolvedPath; value: AttributeValue }[];
  /** Every target path, in the order written (for UPDATED_OLD / UPDATED_NEW). */
  targets: ResolvedPath[];
}

const ORDERING_OPERATORS = new Set(['<', '<=', '>', '>=']);

/** `[a, b, [2]]`, as AWS prints paths in overlap errors. */
export function formatPath(path: ResolvedPath): string {
  return `[${path.map((e) => (typeof e === 'number' ? `[${e}]` : e)).join(', ')}]`;
}

export function formatValue(v: AttributeValue): string {
  const t = typeOf(v);
  const payload = (v as Record<string, unknown>)[t];
  return `{${t}:${Array.isArray(payload) || typeof payload === 'object' ? JSON.stringify(payload) : String(payload)}}`;
}

function samePath(a: ResolvedPath, b: ResolvedPath): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/**
 * The expressions of one request and their ExpressionAttributeNames / ExpressionAttributeValues: parses
 * (cached), checks that every placeholder is defined and every definition is used, runs AWS's semantic
 * checks, and resolves placeholders for evaluation.
 */
export class ExpressionScope {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, AttributeValue> = {};
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  constructor(rawNames: unknown, rawValues: unknown, usesExpressions: boolean) {
    if (rawNames !== undefined && rawNames !== null) {
      if (typeof rawNames !== 'object' || Array.isArray(rawNames)) throw validation('ExpressionAttributeNames must be a map');
      if (!usesExpressions) throw validation('ExpressionAttributeNames can only be specified when using expressions');
      const entries = Object.entries(rawNames as Record<string, unknown>);
      if (entries.length === 0) throw validation('ExpressionAttributeNames must not be empty');
      for (const [k, v] of entries) {
        if (!/^#[A-Za-z0-9_]+$/.test(k)) throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${k}"`);
        if (typeof v !== 'string' || v.length === 0)
          throw validation(`ExpressionAttributeNames contains invalid value: Empty attribute name for key ${k}`);
        this.names[k] = v;
      }
    }
    if (rawValues !== undefined && rawValues !== null) {
      if (typeof rawValues !== 'object' || Array.isArray(rawValues)) throw validation('ExpressionAttributeValues must be a map');
      if (!usesExpressions) throw validation('ExpressionAttributeValues can only be specified when using expressions');
      const entries = Object.entries(rawValues as Record<string, unknown>);
      if (entries.length === 0) throw validation('ExpressionAttributeValues must not be empty');
      for (const [k, v] of entries) {
        if (!/^:[A-Za-z0-9_]+$/.test(k)) throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${k}"`);
        try {
          this.values[k] = normalizeValue(v);
        } catch (err) {
          if (err instanceof AwsError && err.code === 'ValidationException')
            throw validation(`ExpressionAttributeValues contains invalid value: ${err.message} for key ${k}`);
          throw err;
        }
      }
    }
  }

  /** Checks placeholders of one parsed expression against the maps and marks them used. */
  private bind(kind: ExpressionKind, names: ReadonlySet<string>, values: ReadonlySet<string>): void {
    for (const n of names) {
      if (!(n in this.names))
        throw validation(`Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${n}`);
      this.usedNames.add(n);
    }
    for (const v of values) {
      if (!(v in this.values))
        throw validation(`Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${v}`);
      this.usedValues.add(v);
    }
  }

  /** After every expression of the request is bound: AWS rejects definitions no expression used. */
  finish(): void {
    const unusedNames = Object.keys(this.names).filter((n) => !this.usedNames.has(n));
    if (unusedNames.length) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    const unusedValues = Object.keys(this.values).filter((v) => !this.usedValues.has(v));
    if (unusedValues.length) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
  }

  /**
   * A placeholder for a value from a legacy (pre-expression) parameter. Its name contains '#', which no
   * client placeholder can, so it never collides with ExpressionAttributeValues.
   */
  syntheticValue(raw: unknown): ValueRef {
    const name = `:legacy#${Object.keys(this.values).length}`;
    this.values[name] = normalizeValue(raw);
    this.usedValues.add(name);
    return { kind: 'value', name };
  }

  /** A top-level attribute path for a legacy parameter (attribute names there are never reserved words). */
  syntheticPath(attribute: string): DocumentPath {
    const name = `#legacy#${Object.keys(this.names).length}`;
    this.names[name] = attribute;
    this.usedNames.add(name);
    return { kind: 'path', elements: [{ type: 'attr', name, placeholder: true }] };
  }

  /** Runs the semantic checks of an expression built from legacy parameters. */
  checkSynthetic(kind: 'ConditionExpression' | 'FilterExpression', c: Condition): Condition {
    this.checkCondition(kind, c);
    return c;
  }

  /** Resolves an update built from AttributeUpdates. */
  syntheticUpdate(u: UpdateExpression): ResolvedUpdate {
    return this.resolveUpdate(u);
  }

  resolve(path: DocumentPath): ResolvedPath {
    return path.elements.map((e) => (e.type === 'index' ? e.index : e.placeholder ? this.names[e.name]! : e.name));
  }

  value(ref: ValueRef): AttributeValue {
    return this.values[ref.name]!;
  }

  condition(kind: 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression', text: string): Condition {
    const parsed = parseCondition(text, kind);
    this.bind(kind, parsed.names, parsed.values);
    this.checkCondition(kind, parsed.ast);
    return parsed.ast;
  }

  projection(text: string): ResolvedPath[] {
    const parsed = parseProjection(text);
    this.bind('ProjectionExpression', parsed.names, parsed.values);
    const paths = parsed.ast.map((p) => this.resolve(p));
    checkOverlaps('ProjectionExpression', paths);
    return paths;
  }

  update(text: string): ResolvedUpdate {
    const parsed = parseUpdate(text);
    this.bind('UpdateExpression', parsed.names, parsed.values);
    return this.resolveUpdate(parsed.ast);
  }

  // ---- semantic checks ----

  private error(kind: ExpressionKind, message: string): AwsError {
    return validation(`Invalid ${kind}: ${message}`);
  }

  private operandType(kind: ExpressionKind, operator: string, operand: Operand, allowed: readonly string[]): void {
    if (operand.kind !== 'value') return;
    const t = typeOf(this.value(operand));
    if (!allowed.includes(t))
      throw this.error(kind, `Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${typeName(t)}`);
  }

  private distinct(kind: ExpressionKind, operator: string, first: Operand, rest: Operand[]): void {
    if (first.kind !== 'path') return;
    const a = this.resolve(first);
    for (const o of rest)
      if (o.kind === 'path' && samePath(a, this.resolve(o)))
        throw this.error(kind, `The first operand must be distinct from the remaining operands for this operator or function; operator: ${operator}, first operand: ${formatPath(a)}`);
  }

  private checkCondition(kind: ExpressionKind, c: Condition): void {
    switch (c.kind) {
      case 'and':
      case 'or':
        this.checkCondition(kind, c.left);
        this.checkCondition(kind, c.right);
        return;
      case 'not':
        this.checkCondition(kind, c.operand);
        return;
      case 'compare':
        this.distinct(kind, c.op, c.left, [c.right]);
        if (ORDERING_OPERATORS.has(c.op)) {
          this.operandType(kind, c.op, c.left, ['S', 'N', 'B']);
          this.operandType(kind, c.op, c.right, ['S', 'N', 'B']);
        }
        return;
      case 'in':
        this.distinct(kind, 'IN', c.target, c.list);
        return;
      case 'between': {
        this.distinct(kind, 'BETWEEN', c.target, [c.low, c.high]);
        for (const o of [c.target, c.low, c.high]) this.operandType(kind, 'BETWEEN', o, ['S', 'N', 'B']);
        if (c.low.kind === 'value' && c.high.kind === 'value') {
          const low = this.value(c.low);
          const high = this.value(c.high);
          const t = typeOf(low);
          if (t === typeOf(high) && compareScalars(t as ScalarKeyType, (low as Record<string, string>)[t]!, (high as Record<string, string>)[t]!) > 0)
            throw this.error(
              kind,
              `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${formatValue(low)}, upper bound operand: AttributeValue: ${formatValue(high)}`,
            );
        }
        return;
      }
      case 'function':
        if (c.name === 'begins_with') {
          this.distinct(kind, c.name, c.args[0]!, [c.args[1]!]);
          for (const a of c.args) this.operandType(kind, c.name, a, ['S', 'B']);
        } else if (c.name === 'contains') this.distinct(kind, c.name, c.args[0]!, [c.args[1]!]);
        else if (c.name === 'attribute_type') {
          const t = c.args[1]!;
          if (t.kind !== 'value') throw this.error(kind, 'Incorrect operand type for operator or function; operator or function: attribute_type, operand type: PATH');
          this.operandType(kind, c.name, t, ['S']);
          const name = (this.value(t) as { S: string }).S;
          if (!(TYPE_CODES as readonly string[]).includes(name))
            throw this.error(kind, `Invalid attribute type name found; type: ${name}, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }`);
        }
        return;
    }
  }

  private checkSetOperand(o: Operand): void {
    if (o.kind === 'arith') {
      this.operandType('UpdateExpression', o.op, o.left, ['N']);
      this.operandType('UpdateExpression', o.op, o.right, ['N']);
      this.checkSetOperand(o.left);
      this.checkSetOperand(o.right);
    } else if (o.kind === 'call') {
      if (o.name === 'list_append') for (const a of o.args) this.operandType('UpdateExpression', o.name, a, ['L']);
      for (const a of o.args) this.checkSetOperand(a);
    }
  }

  private resolveUpdate(u: UpdateExpression): ResolvedUpdate {
    const out: ResolvedUpdate = { set: [], remove: [], add: [], delete: [], targets: [] };
    for (const a of u.set) {
      this.checkSetOperand(a.value);
      out.set.push({ path: this.resolve(a.path), value: a.value });
    }
    out.remove = u.remove.map((p) => this.resolve(p));
    for (const a of u.add) {
      const v = this.value(a.value);
      const t = typeOf(v);
      if (!['N', 'SS', 'NS', 'BS'].includes(t))
        throw this.error('UpdateExpression', `Incorrect operand type for operator or function; operator: ADD, operand type: ${typeName(t)}, typeSet: ALLOWED_FOR_ADD_OPERAND`);
      out.add.push({ path: this.resolve(a.path), value: v });
    }
    for (const a of u.delete) {
      const v = this.value(a.value);
      const t = typeOf(v);
      if (!['SS', 'NS', 'BS'].includes(t))
        throw this.error('UpdateExpression', `Incorrect operand type for operator or function; operator: DELETE, operand type: ${typeName(t)}, typeSet: ALLOWED_FOR_DELETE_OPERAND`);
      out.delete.push({ path: this.resolve(a.path), value: v });
    }
    out.targets = [...out.set.map((a) => a.path), ...out.remove, ...out.add.map((a) => a.path), ...out.delete.map((a) => a.path)];
    checkOverlaps('UpdateExpression', out.targets);
    return out;
  }
}

/** AWS rejects two paths where one is a prefix of the other, or that use one attribute as both map and list. */
function checkOverlaps(kind: ExpressionKind, paths: ResolvedPath[]): void {
  for (let i = 1; i < paths.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = paths[j]!;
      const b = paths[i]!;
      const n = Math.min(a.length, b.length);
      let k = 0;
      while (k < n && a[k] === b[k]) k++;
      if (k === n)
        throw validation(`Invalid ${kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${formatPath(a)}, path two: ${formatPath(b)}`);
      if (typeof a[k] !== typeof b[k])
        throw validation(`Invalid ${kind}: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${formatPath(a)}, path two: ${formatPath(b)}`);
    }
  }
}
