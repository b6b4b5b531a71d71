/**
 * A Snowflake SQL tokenizer for the emulator's translator: words, quoted identifiers, string literals
 * (with Snowflake's backslash escapes and `$$…$$`), numbers, bind markers (`?`, `:1`), column positions
 * (`$1`), stage references (`@schema.stage/path/`) and punctuation. Comments and whitespace are dropped
 * (each token remembers whether whitespace preceded it and where it started, for error messages).
 */
import { compilationError } from './errors';

export type TokenType = 'word' | 'qident' | 'string' | 'number' | 'param' | 'column' | 'stage' | 'op' | 'eof';

export interface Token {
  type: TokenType;
  /** word: as written; qident/string: unescaped content; param: the bind position ('' for `?`); column: the digits; op: the operator. */
  value: string;
  /** Offset in the statement text. */
  pos: number;
  /** Source text of the token. */
  raw: string;
}

const OPS = ['::', '||', '<=', '>=', '<>', '!=', '=>', '(', ')', ',', '.', ';', '=', '<', '>', '+', '-', '*', '/', '%', ':', '[', ']', '{', '}'];

function isWordStart(c: string): boolean {
  return /[A-Za-z_]/.test(c);
}
function isWordPart(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c);
}

/** Read a Snowflake single-quoted literal starting at `i` (the quote); returns [value, end]. */
function readString(sql: string, i: number): [string, number] {
  let out = '';
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j]!;
    if (c === "'") {
      if (sql[j + 1] === "'") {
        out += "'";
        j += 2;
        continue;
      }
      return [out, j + 1];
    }
    if (c === '\\' && j + 1 < sql.length) {
      const n = sql[j + 1]!;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0', "'": "'", '"': '"', '\\': '\\' };
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(sql.slice(j + 2, j + 4))) {
        out += String.fromCharCode(parseInt(sql.slice(j + 2, j + 4), 16));
        j += 4;
      } else if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(sql.slice(j + 2, j + 6))) {
        out += String.fromCharCode(parseInt(sql.slice(j + 2, j + 6), 16));
        j += 6;
      } else {
        out += simple[n] ?? n;
        j += 2;
      }
      continue;
    }
    out += c;
    j++;
  }
  throw compilationError(`syntax error line 1 at position ${i} unexpected end of input in string literal.`);
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, value: string, start: number, end: number) => tokens.push({ type, value, pos: start, raw: sql.slice(start, end) });
  const lastSignificant = () => tokens[tokens.length - 1];
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if ((c === '-' && sql[i + 1] === '-') || (c === '/' && sql[i + 1] === '/')) {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    const start = i;
    if (isWordStart(c)) {
      while (i < sql.length && isWordPart(sql[i]!)) i++;
      push('word', sql.slice(start, i), start, i);
      continue;
    }
    if (c === '"') {
      let out = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw compilationError(`syntax error line 1 at position ${i} unterminated quoted identifier.`);
        if (sql[j] === '"') {
          if (sql[j + 1] === '"') {
            out += '"';
            j += 2;
            continue;
          }
          break;
        }
        out += sql[j];
        j++;
      }
      i = j + 1;
      if (out.length === 0) throw compilationError(`syntax error line 1 at position ${start} empty quoted identifier.`);
      push('qident', out, start, i);
      continue;
    }
    if (c === "'") {
      const [value, end] = readString(sql, i);
      i = end;
      push('string', value, start, i);
      continue;
    }
    if (c === '$' && sql[i + 1] === '$') {
      const end = sql.indexOf('$$', i + 2);
      if (end < 0) throw compilationError(`syntax error line 1 at position ${i} unterminated $$ string.`);
      i = end + 2;
      push('string', sql.slice(start + 2, end), start, i);
      continue;
    }
    if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      i++;
      while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      push('column', sql.slice(start + 1, i), start, i);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      if (sql[i] === '.' && /[0-9]/.test(sql[i + 1] ?? '')) {
        i++;
        while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      } else if (sql[i] === '.' && !/[A-Za-z_]/.test(sql[i + 1] ?? '')) i++;
      if (/[eE]/.test(sql[i] ?? '') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      }
      push('number', sql.slice(start, i), start, i);
      continue;
    }
    if (c === '?') {
      i++;
      push('param', '', start, i);
      continue;
    }
    if (c === ':' && sql[i + 1] !== ':' && /[0-9]/.test(sql[i + 1] ?? '')) {
      const prev = lastSignificant();
      const afterExpression = prev && (prev.type === 'word' || prev.type === 'qident' || prev.type === 'column' || (prev.type === 'op' && (prev.value === ')' || prev.value === ']')));
      if (!afterExpression) {
        i++;
        while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
        push('param', sql.slice(start + 1, i), start, i);
        continue;
      }
    }
    if (c === '@') {
      i++;
      if (sql[i] === '"') {
        // @"Quoted Stage"/path
        const close = sql.indexOf('"', i + 1);
        if (close < 0) throw compilationError(`syntax error line 1 at position ${start} unterminated stage name.`);
        i = close + 1;
      }
      while (i < sql.length && !/[\s),;]/.test(sql[i]!)) i++;
      push('stage', sql.slice(start + 1, i), start, i);
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (op) {
      i += op.length;
      push('op', op, start, i);
      continue;
    }
    throw compilationError(`syntax error line 1 at position ${i} unexpected '${c}'.`);
  }
  tokens.push({ type: 'eof', value: '', pos: sql.length, raw: '' });
  return tokens;
}

/** Case-insensitive keyword test on a token. */
export function isWord(t: Token | undefined, ...words: string[]): boolean {
  return !!t && t.type === 'word' && words.includes(t.value.toUpperCase());
}
