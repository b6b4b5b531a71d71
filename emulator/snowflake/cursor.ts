/** A read cursor over tokens with the few helpers the statement parsers need. */
import { compilationError } from './errors';
import { isWord, type Token } from './lexer';

export class Cursor {
  i = 0;
  constructor(
    readonly tokens: Token[],
    readonly sql: string,
  ) {}

  peek(n = 0): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  atEnd(): boolean {
    return this.peek().type === 'eof';
  }

  isWord(...words: string[]): boolean {
    return isWord(this.peek(), ...words);
  }

  isOp(op: string): boolean {
    const t = this.peek();
    return t.type === 'op' && t.value === op;
  }

  /** Consume the given words in order if they are all next; returns whether it did. */
  acceptWords(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (!isWord(this.peek(k), words[k]!)) return false;
    this.i += words.length;
    return true;
  }

  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.next();
    return true;
  }

  expectWord(...words: string[]): Token {
    if (!this.isWord(...words)) throw this.unexpected(words.join(' or '));
    return this.next();
  }

  expectOp(op: string): Token {
    if (!this.isOp(op)) throw this.unexpected(`'${op}'`);
    return this.next();
  }

  unexpected(expected?: string) {
    const t = this.peek();
    const what = t.type === 'eof' ? 'end of statement' : `'${t.raw}'`;
    return compilationError(`syntax error line 1 at position ${t.pos} unexpected ${what}${expected ? ` (expected ${expected})` : ''}.`);
  }

  /** Tokens from here up to (not including) the matching `)` at depth 0; the cursor stops on that `)`. */
  takeBalanced(): Token[] {
    const out: Token[] = [];
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.type === 'eof') throw this.unexpected("')'");
      if (t.type === 'op' && t.value === '(') depth++;
      if (t.type === 'op' && t.value === ')') {
        if (depth === 0) return out;
        depth--;
      }
      out.push(this.next());
    }
  }

  /** Remaining tokens up to the end (without eof). */
  rest(): Token[] {
    const out = this.tokens.slice(this.i, this.tokens.length - 1);
    this.i = this.tokens.length - 1;
    return out;
  }
}

/** Split a token list at depth-0 commas. */
export function splitTopLevel(tokens: Token[], sep = ','): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.type === 'op' && (t.value === '(' || t.value === '[')) depth++;
    if (t.type === 'op' && (t.value === ')' || t.value === ']')) depth--;
    if (depth === 0 && t.type === 'op' && t.value === sep) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}
