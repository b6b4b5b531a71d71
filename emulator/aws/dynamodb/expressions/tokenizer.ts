/** Tokens of DynamoDB's expression language (condition, filter, key condition, projection, update). */
export type TokenKind =
  | 'identifier' // bare attribute name, keyword or function name: [A-Za-z_][A-Za-z0-9_]*
  | 'name' // #placeholder
  | 'value' // :placeholder
  | 'number' // list index digits
  | 'punct' // ( ) [ ] , . = <> < <= > >= + -
  | 'invalid' // any other character; the parser reports it as a syntax error
  | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the first character in the expression. */
  start: number;
  end: number;
}

const TWO_CHAR = new Set(['<>', '<=', '>=']);
const ONE_CHAR = new Set(['(', ')', '[', ']', ',', '.', '=', '<', '>', '+', '-']);

const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Never throws: characters outside the language become `invalid` tokens so the parser can quote them. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (isIdentStart(c)) {
      while (i < source.length && isIdentPart(source[i]!)) i++;
      kind = 'identifier';
    } else if (isDigit(c)) {
      while (i < source.length && isDigit(source[i]!)) i++;
      kind = 'number';
    } else if ((c === '#' || c === ':') && i + 1 < source.length && isIdentPart(source[i + 1]!)) {
      i++;
      while (i < source.length && isIdentPart(source[i]!)) i++;
      kind = c === '#' ? 'name' : 'value';
    } else if (TWO_CHAR.has(source.slice(i, i + 2))) {
      i += 2;
      kind = 'punct';
    } else if (ONE_CHAR.has(c)) {
      i++;
      kind = 'punct';
    } else {
      // One code point, so a surrogate pair is quoted whole.
      i += (source.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      kind = 'invalid';
    }
    tokens.push({ kind, text: source.slice(start, i), start, end: i });
  }
  tokens.push({ kind: 'eof', text: '<EOF>', start: source.length, end: source.length });
  return tokens;
}
