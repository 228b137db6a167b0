/**
 * Tokens of the HCL native-syntax subset that lock files use (PROTOCOL.md §3).
 * One pass, one character at a time, no regular expressions over the input: linear on any text.
 */

/** A problem found while reading a lock file, before the path is attached. */
export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly line: number;
  readonly col: number;
  readonly summary: string;
  readonly detail?: string;
}

export interface Pos {
  readonly line: number;
  readonly col: number;
}

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'newline' | 'eof';

/** `text` is the decoded value for strings, the source text otherwise. */
export interface Token extends Pos {
  readonly kind: TokenKind;
  readonly text: string;
}

/** Tokens on demand, so a parser that stops early never lexes the rest of a hostile file. */
export interface TokenSource {
  /** The next token; `eof` forever once the text ends or a lexical problem is found. */
  next(): Token;
}

const PUNCT = new Set('{}[]()=,.:?!+-*/%<>&|'.split(''));
/** Two-character operators, lexed whole so that a lone `=` is recognisable. */
const OPERATORS = new Set(['==', '!=', '<=', '>=', '&&', '||', '=>']);
const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

class LexError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.summary);
    this.problem = problem;
  }
}

/**
 * Splits text into tokens: comments are dropped, except that `#`/`//` comments end a line (HCL
 * peeker.go); runs of newlines come out as one. Stops at the first problem, kept in `problem`.
 */
export class Lexer implements TokenSource {
  problem: Problem | undefined;
  private pending: Token | undefined;
  private eof: Token | undefined;
  private lastKind: TokenKind = 'newline';
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
    if (src.charCodeAt(0) === 0xfeff) this.i = this.lineStart = 1; // HCL ignores a leading BOM
  }

  next(): Token {
    while (this.eof === undefined) {
      const tok = this.scan();
      if (tok.kind === 'newline' && this.lastKind === 'newline') continue;
      this.lastKind = tok.kind;
      return tok;
    }
    return this.eof;
  }

  private scan(): Token {
    try {
      while (this.pending === undefined && this.i < this.src.length) this.step();
    } catch (err) {
      if (!(err instanceof LexError)) throw err;
      this.problem = err.problem;
      return (this.eof = { kind: 'eof', text: '', line: err.problem.line, col: err.problem.col });
    }
    const tok = this.pending ?? (this.eof = { kind: 'eof', text: '', ...this.pos() });
    this.pending = undefined;
    return tok;
  }

  private step(): void {
    const s = this.src;
    const c = s[this.i]!;
    if (c === ' ' || c === '\t') this.i++;
    else if (c === '\n') this.newline(1);
    else if (c === '\r') this.carriageReturn();
    else if (c === '#' || (c === '/' && s[this.i + 1] === '/')) this.lineComment();
    else if (c === '/' && s[this.i + 1] === '*') this.blockComment();
    else if (c === '"') this.quotedString();
    else if (isDigit(c)) this.number();
    else if (c === '<' && s[this.i + 1] === '<' && /[-A-Za-z_]/.test(s[this.i + 2] ?? '')) this.heredoc();
    else if (OPERATORS.has(s.slice(this.i, this.i + 2)))
      this.push('punct', s.slice(this.i, this.i + 2), this.i, 2);
    else if (PUNCT.has(c)) this.push('punct', c, this.i, 1);
    else if (isIdentStart(s.codePointAt(this.i)!)) this.identifier();
    else this.fail(this.pos(), 'Invalid character', `${describeChar(s, this.i)} is not used in a lock file.`);
  }

  private pos(at = this.i): Pos {
    return { line: this.line, col: at - this.lineStart + 1 };
  }

  private push(kind: TokenKind, text: string, start: number, length: number): void {
    this.pending = { kind, text, line: this.line, col: start - this.lineStart + 1 };
    this.i = start + length;
  }

  private fail(pos: Pos, summary: string, detail: string, code = 'LOCK_SYNTAX'): never {
    throw new LexError({ severity: 'error', code, ...pos, summary, detail });
  }

  private newline(width: number): void {
    this.push('newline', '\n', this.i, width);
    this.line++;
    this.lineStart = this.i;
  }

  private carriageReturn(): void {
    if (this.src[this.i + 1] === '\n') return this.newline(2);
    this.fail(this.pos(), 'Invalid character', 'A carriage return must be followed by a line feed (CRLF).');
  }

  /** `#` and `//` comments run to the end of the line and count as its newline (HCL peeker.go). */
  private lineComment(): void {
    const end = this.src.indexOf('\n', this.i);
    if (end === -1) return this.push('newline', '\n', this.i, this.src.length - this.i);
    this.i = this.src[end - 1] === '\r' ? end - 1 : end;
    if (this.src[this.i] === '\r') this.newline(2);
    else this.newline(1);
  }

  private blockComment(): void {
    const start = this.pos();
    const end = this.src.indexOf('*/', this.i + 2);
    if (end === -1) this.fail(start, 'Unterminated comment', 'This /* comment has no closing */.');
    for (let j = this.i; j < end; j++) {
      if (this.src[j] === '\n') {
        this.line++;
        this.lineStart = j + 1;
      }
    }
    this.i = end + 2;
  }

  private number(): void {
    const s = this.src;
    const start = this.i;
    let j = skipDigits(s, start);
    if (s[j] === '.' && isDigit(s[j + 1] ?? '')) j = skipDigits(s, j + 1);
    if ((s[j] === 'e' || s[j] === 'E') && /[-+0-9]/.test(s[j + 1] ?? '')) {
      const k = s[j + 1] === '+' || s[j + 1] === '-' ? j + 2 : j + 1;
      if (isDigit(s[k] ?? '')) j = skipDigits(s, k);
    }
    this.push('number', s.slice(start, j), start, j - start);
  }

  private identifier(): void {
    const s = this.src;
    const start = this.i;
    let j = start;
    while (j < s.length) {
      const cp = s.codePointAt(j)!;
      if (!(isIdentContinue(cp) || cp === 0x2d)) break;
      j += cp > 0xffff ? 2 : 1;
    }
    this.push('ident', s.slice(start, j).normalize('NFC'), start, j - start);
  }

  private heredoc(): void {
    this.fail(
      this.pos(),
      'Heredoc not allowed',
      'A lock file holds only quoted strings; write this value as a "quoted string".',
      'LOCK_NOT_STATIC',
    );
  }

  /** A quoted string with HCL escapes; `${` and `%{` templates are refused (not static). */
  private quotedString(): void {
    const s = this.src;
    const start = this.i;
    const parts: string[] = [];
    let j = start + 1;
    let literalFrom = j;
    while (true) {
      const c = s[j];
      if (c === undefined || c === '\n' || (c === '\r' && s[j + 1] === '\n')) {
        this.fail(this.pos(start), 'Unterminated string', 'This quoted string has no closing " on its line.');
      }
      if (c === '"') break;
      const escaped = c === '\\' ? this.escape(j) : this.templateSign(j);
      if (escaped === undefined) {
        j++;
        continue;
      }
      parts.push(s.slice(literalFrom, j), escaped[0]);
      j += escaped[1];
      literalFrom = j;
    }
    parts.push(s.slice(literalFrom, j));
    this.push('string', parts.join('').normalize('NFC'), start, j + 1 - start);
  }

  /**
   * At `$` or `%`: `$${` and `%%{` are escapes for a literal `${` / `%{` (decoded, width); an
   * unescaped `${` or `%{` starts a template and is refused. Undefined for an ordinary character.
   */
  private templateSign(at: number): [string, number] | undefined {
    const s = this.src;
    const c = s[at]!;
    if (c !== '$' && c !== '%') return undefined;
    if (s[at + 1] === '{') {
      this.fail(
        this.pos(at),
        'Template not allowed',
        `A lock file string must be a literal; "${c}{" starts a template sequence.`,
        'LOCK_NOT_STATIC',
      );
    }
    return s[at + 1] === c && s[at + 2] === '{' ? [`${c}{`, 3] : undefined;
  }

  private escape(at: number): [string, number] {
    const sel = this.src[at + 1] ?? '';
    const simple = SIMPLE_ESCAPES[sel];
    if (simple !== undefined) return [simple, 2];
    if (sel === 'u' || sel === 'U') {
      const digits = sel === 'u' ? 4 : 8;
      const hex = this.src.slice(at + 2, at + 2 + digits);
      const cp = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === digits ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(cp) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        this.fail(
          this.pos(at),
          'Invalid escape sequence',
          `\\${sel} must be followed by ${digits} hex digits of a valid character.`,
        );
      }
      return [String.fromCodePoint(cp), 2 + digits];
    }
    return this.fail(this.pos(at), 'Invalid escape sequence', `"\\${sel}" is not a valid escape sequence.`);
  }
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function skipDigits(s: string, j: number): number {
  while (isDigit(s[j] ?? '')) j++;
  return j;
}

const ID_START = /\p{ID_Start}/u;
const ID_CONTINUE = /\p{ID_Continue}/u;

function isIdentStart(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f;
  return ID_START.test(String.fromCodePoint(cp));
}

function isIdentContinue(cp: number): boolean {
  if (cp < 0x80) return isIdentStart(cp) || (cp >= 0x30 && cp <= 0x39);
  return ID_CONTINUE.test(String.fromCodePoint(cp));
}

function describeChar(s: string, i: number): string {
  const cp = s.codePointAt(i)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp >= 0x21 && cp < 0x7f ? `The character "${String.fromCodePoint(cp)}"` : `The character ${hex}`;
}
