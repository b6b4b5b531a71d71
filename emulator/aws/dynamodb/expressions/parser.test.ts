import { describe, expect, it } from 'vitest';
import { parseCondition, parseProjection, parseUpdate } from './parser';
import { tokenize } from './tokenizer';
import { RESERVED_WORDS } from './reserved-words';

describe('expression tokenizer', () => {
  it('splits paths, placeholders, comparators and unknown characters', () => {
    const kinds = tokenize('#a.b[12] <> :v AND x>=y !').map((t) => `${t.kind}:${t.text}`);
    expect(kinds).toEqual([
      'name:#a',
      'punct:.',
      'identifier:b',
      'punct:[',
      'number:12',
      'punct:]',
      'punct:<>',
      'value::v',
      'identifier:AND',
      'identifier:x',
      'punct:>=',
      'identifier:y',
      'invalid:!',
      'eof:<EOF>',
    ]);
  });
});

describe('condition parser', () => {
  it('builds precedence NOT > AND > OR', () => {
    const { ast } = parseCondition('a = :x OR NOT b = :y AND c < :z');
    expect(ast.kind).toBe('or');
    if (ast.kind !== 'or') return;
    expect(ast.left).toMatchObject({ kind: 'compare', op: '=' });
    expect(ast.right).toMatchObject({ kind: 'and', left: { kind: 'not' }, right: { kind: 'compare', op: '<' } });
  });

  it('parses BETWEEN, IN, functions, size() and nested document paths', () => {
    const { ast, names, values } = parseCondition(
      '#n.b[2].c BETWEEN :lo AND :hi AND x IN (:a, :b) AND begins_with(s, :p) AND size(l) > :n AND attribute_type(t, :t)',
    );
    expect([...names]).toEqual(['#n']);
    expect([...values].sort()).toEqual([':a', ':b', ':hi', ':lo', ':n', ':p', ':t']);
    expect(JSON.stringify(ast)).toContain('"index":2');
    expect(JSON.stringify(ast)).toContain('"name":"size"');
  });

  it('accepts keywords case-insensitively and function names case-sensitively', () => {
    expect(parseCondition('a = :x and b = :y').ast.kind).toBe('and');
    expect(() => parseCondition('ATTRIBUTE_EXISTS(a)')).toThrow('Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS');
  });

  it('reports syntax errors with AWS token/near quoting', () => {
    expect(() => parseUpdate('INVALID SYNTAX HERE')).toThrow('Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"');
    expect(() => parseUpdate('ADD hits : incr')).toThrow('Invalid UpdateExpression: Syntax error; token: ":", near: "hits : incr"');
    expect(() => parseProjection('!!! INVALID !!!')).toThrow('Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"');
    expect(() => parseCondition('a = ', 'FilterExpression')).toThrow('Invalid FilterExpression: Syntax error; token: "<EOF>", near: "= "');
    expect(() => parseCondition('a = :x :y')).toThrow('token: ":y"');
  });

  it('rejects empty expressions, redundant parentheses, bad arity and non-path operands', () => {
    expect(() => parseUpdate('')).toThrow('Invalid UpdateExpression: The expression can not be empty;');
    expect(() => parseCondition('  ', 'KeyConditionExpression')).toThrow('Invalid KeyConditionExpression: The expression can not be empty;');
    expect(() => parseCondition('((attribute_not_exists(pk)))')).toThrow('Invalid ConditionExpression: The expression has redundant parentheses;');
    expect(parseCondition('(attribute_not_exists(pk) AND (attribute_not_exists(s)))').ast.kind).toBe('and');
    expect(() => parseCondition('attribute_exists(a, b)')).toThrow(
      'Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2',
    );
    expect(() => parseCondition('attribute_exists(:v)')).toThrow('Operator or function requires a document path; operator or function: attribute_exists');
    expect(() => parseCondition('if_not_exists(a, :v) = :v')).toThrow('The function is not allowed to be used this way in an expression; function: if_not_exists');
  });

  it('rejects bare reserved words but not placeholders or function names', () => {
    expect(() => parseCondition('status = :v')).toThrow('Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status');
    expect(() => parseProjection('a.name')).toThrow('reserved keyword: name');
    expect(parseCondition('#status = :v AND size(leaseKey) > :n').names.has('#status')).toBe(true);
  });

  it('knows the whole AWS reserved-word list (573 words)', () => {
    expect(RESERVED_WORDS.size).toBe(573);
    for (const w of ['ABORT', 'OWNER', 'COUNTER', 'STATUS', 'ZONE']) expect(RESERVED_WORDS.has(w)).toBe(true);
    expect(RESERVED_WORDS.has('LEASEKEY')).toBe(false);
  });
});

describe('update parser', () => {
  it('parses all four clauses in any order with arithmetic and functions', () => {
    const { ast, values } = parseUpdate(
      'REMOVE prev[1], gone SET c = c + :one, l = list_append(if_not_exists(l, :empty), :new), n = :v - c DELETE s :rm ADD tally :one',
    );
    expect(ast.set).toHaveLength(3);
    expect(ast.set[0]!.value).toMatchObject({ kind: 'arith', op: '+' });
    expect(ast.set[1]!.value).toMatchObject({ kind: 'call', name: 'list_append', args: [{ kind: 'call', name: 'if_not_exists' }, { kind: 'value' }] });
    expect(ast.remove).toHaveLength(2);
    expect(ast.add[0]!.value.name).toBe(':one');
    expect(ast.delete[0]!.value.name).toBe(':rm');
    expect(values.size).toBe(5);
  });

  it('allows each clause once', () => {
    expect(() => parseUpdate('SET a = :x SET b = :y')).toThrow('Invalid UpdateExpression: The "SET" section can only be used once in an update expression;');
  });

  it('rejects size() in updates and a path as the ADD operand', () => {
    expect(() => parseUpdate('SET a = size(b)')).toThrow('The function is not allowed to be used this way in an expression; function: size');
    expect(() => parseUpdate('ADD a b')).toThrow('Syntax error; token: "b"');
  });

  it('caches by expression text (same tree object for the same string)', () => {
    expect(parseUpdate('SET a = :x')).toBe(parseUpdate('SET a = :x'));
    expect(parseCondition('a = :x', 'FilterExpression')).not.toBe(parseCondition('a = :x', 'ConditionExpression'));
  });
});
