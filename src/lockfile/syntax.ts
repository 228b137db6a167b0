/**
 * HCL native-syntax structure of a lock file (PROTOCOL.md §3): bodies of attributes and blocks, and
 * the literal expressions a lock file holds. Any other expression is kept as `dynamic` so the schema
 * can refuse it by name. Recursion is bounded by MAX_NESTING; every loop consumes a token.
 */
import type { Pos, Problem, Token, TokenSource } from './lexer.ts';

export interface Label extends Pos {
  readonly value: string;
}

export type Expr =
  | { readonly kind: 'string'; readonly value: string; readonly pos: Pos }
  | { readonly kind: 'number'; readonly text: string; readonly pos: Pos }
  | { readonly kind: 'bool'; readonly value: boolean; readonly pos: Pos }
  | { readonly kind: 'null'; readonly pos: Pos }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly pos: Pos }
  /** Anything that is not a literal: a reference, call, operator, object, parenthesis. */
  | { readonly kind: 'dynamic'; readonly pos: Pos };

export interface Attribute {
  readonly kind: 'attribute';
  readonly name: string;
  readonly pos: Pos;
  readonly expr: Expr;
}

export interface Block {
  readonly kind: 'block';
  readonly type: string;
  readonly pos: Pos;
  readonly labels: readonly Label[];
  /** The opening brace: where OpenTofu reports a missing argument. */
  readonly open: Pos;
  readonly body: Body;
}

export interface Body {
  readonly items: readonly (Attribute | Block)[];
}

export interface SyntaxResult {
  /** Every top-level item completed before a syntax error, if any. */
  readonly body: Body;
  readonly problems: readonly Problem[];
}

const MISSING_NEWLINE = [
  'Missing newline after argument',
  'An argument definition must end with a newline.',
] as const;

/** Deepest nesting of blocks and tuples accepted; a lock file needs 2. */
export const MAX_NESTING = 32;

class SyntaxFailure extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.summary);
    this.problem = problem;
  }
}

/** Parses the tokens of one file; stops at the first syntax error and reports it. */
export function parseSyntax(tokens: TokenSource): SyntaxResult {
  const parser = new Parser(tokens);
  const items: (Attribute | Block)[] = [];
  try {
    parser.body(items, 0, undefined);
  } catch (err) {
    if (!(err instanceof SyntaxFailure)) throw err;
    parser.problems.push(err.problem);
  }
  return { body: { items }, problems: parser.problems };
}

class Parser {
  readonly problems: Problem[] = [];
  /** Tokens consumed so far. */
  private k = 0;
  private current: Token;
  private readonly tokens: TokenSource;

  constructor(tokens: TokenSource) {
    this.tokens = tokens;
    this.current = tokens.next();
  }

  /** Items until EOF (top level, `open` undefined) or until the `}` closing the block opened at `open`. */
  body(items: (Attribute | Block)[], depth: number, open: Pos | undefined): void {
    const seen = new Map<string, Pos>();
    while (true) {
      this.skipNewlines();
      const tok = this.peek();
      if (tok.kind === 'eof' && open === undefined) return;
      if (tok.kind === 'eof')
        this.fail(open!, 'Unclosed configuration block', 'This block has no closing brace.');
      if (isPunct(tok, '}') && open !== undefined) return;
      if (tok.kind !== 'ident') {
        this.fail(
          tok,
          'Argument or block definition required',
          'An argument or block definition is required here.',
        );
      }
      const item = this.item(depth);
      if (item.kind === 'attribute') {
        const first = seen.get(item.name);
        if (first) {
          this.problems.push(redefined(item, first));
          continue;
        }
        seen.set(item.name, item.pos);
      }
      items.push(item);
    }
  }

  private item(depth: number): Attribute | Block {
    const name = this.next();
    if (isPunct(this.peek(), '=')) {
      this.next();
      const expr = this.expr(depth, true);
      this.endOfLine(...MISSING_NEWLINE);
      return { kind: 'attribute', name: name.text, pos: name, expr };
    }
    const labels: Label[] = [];
    while (this.peek().kind === 'string' || this.peek().kind === 'ident') {
      const t = this.next();
      labels.push({ value: t.text, line: t.line, col: t.col });
    }
    const open = this.peek();
    if (!isPunct(open, '{')) {
      this.fail(
        open,
        'Invalid block definition',
        'A quoted block label or an opening brace ("{") is expected here.',
      );
    }
    this.next();
    const body = this.blockBody(depth + 1, open);
    this.endOfLine('Missing newline after block definition', 'A block definition must end with a newline.');
    return { kind: 'block', type: name.text, pos: name, labels, open, body };
  }

  /** After `{`: a multi-line body, `{}`, or a single-line `{ name = value }`. Consumes the `}`. */
  private blockBody(depth: number, open: Pos): Body {
    if (depth > MAX_NESTING) this.fail(open, 'Nesting too deep', `More than ${MAX_NESTING} nested blocks.`);
    const items: (Attribute | Block)[] = [];
    const first = this.peek();
    if (first.kind === 'eof')
      this.fail(open, 'Unclosed configuration block', 'This block has no closing brace.');
    if (first.kind === 'newline') {
      this.body(items, depth, open);
    } else if (!isPunct(first, '}')) {
      if (first.kind !== 'ident')
        this.fail(first, 'Argument or block definition required', 'Expected an argument.');
      const name = this.next();
      if (!isPunct(this.next(), '='))
        this.fail(name, 'Invalid single-line block', 'Expected "name = value".');
      items.push({ kind: 'attribute', name: name.text, pos: name, expr: this.expr(depth, true) });
      if (!isPunct(this.peek(), '}')) {
        this.fail(
          this.peek(),
          'Invalid single-argument block definition',
          'Close a single-line block on its line.',
        );
      }
    }
    this.next(); // the `}`
    return { items };
  }

  /** A literal, a tuple of literals, or a `dynamic` placeholder for any other expression. */
  private expr(depth: number, newlineEnds: boolean): Expr {
    const start = this.peek();
    const pos: Pos = { line: start.line, col: start.col };
    const primary = this.literal(depth, pos);
    if (primary && isExprEnd(this.peek())) return primary;
    if (primary && ['ident', 'string', 'number'].includes(this.peek().kind)) {
      if (newlineEnds) this.fail(this.peek(), ...MISSING_NEWLINE);
      this.fail(this.peek(), 'Missing item separator', 'Expected a comma before the next item.');
    }
    const from = this.k;
    this.skipExpression(pos, newlineEnds);
    if (this.k === from && !primary) this.fail(pos, 'Missing expression', 'Expected a value here.');
    return { kind: 'dynamic', pos };
  }

  private literal(depth: number, pos: Pos): Expr | undefined {
    const tok = this.peek();
    if (tok.kind === 'string') return { kind: 'string', value: this.next().text, pos };
    if (tok.kind === 'number') return { kind: 'number', text: this.next().text, pos };
    if (tok.kind === 'ident' && (tok.text === 'true' || tok.text === 'false')) {
      return { kind: 'bool', value: this.next().text === 'true', pos };
    }
    if (tok.kind === 'ident' && tok.text === 'null') return (this.next(), { kind: 'null', pos });
    if (isPunct(tok, '[')) return this.tuple(depth + 1, pos);
    return undefined;
  }

  private tuple(depth: number, pos: Pos): Expr {
    if (depth > MAX_NESTING) this.fail(pos, 'Nesting too deep', `More than ${MAX_NESTING} nested lists.`);
    this.next(); // `[`
    const items: Expr[] = [];
    while (true) {
      this.skipNewlines();
      if (isPunct(this.peek(), ']')) break;
      if (this.peek().kind === 'eof')
        this.fail(pos, 'Unterminated list', 'This list has no closing bracket.');
      items.push(this.expr(depth, false));
      this.skipNewlines();
      const sep = this.peek();
      if (isPunct(sep, ']')) break;
      if (!isPunct(sep, ','))
        this.fail(sep, 'Missing item separator', 'Expected a comma before the next item.');
      this.next();
    }
    this.next(); // `]`
    return { kind: 'tuple', items, pos };
  }

  /** Consumes the rest of a non-literal expression, bracket-balanced, without interpreting it. */
  private skipExpression(start: Pos, newlineEnds: boolean): void {
    let depth = 0;
    while (true) {
      const tok = this.peek();
      if (tok.kind === 'eof') {
        if (depth > 0) this.fail(start, 'Unterminated expression', 'A bracket opened here is never closed.');
        return;
      }
      if (depth === 0 && endsExpression(tok, newlineEnds)) return;
      if (depth === 0 && isPunct(tok, '=')) this.fail(tok, ...MISSING_NEWLINE);
      if (tok.kind === 'punct' && '([{'.includes(tok.text)) depth++;
      if (tok.kind === 'punct' && ')]}'.includes(tok.text)) depth--;
      this.next();
    }
  }

  private endOfLine(summary: string, detail: string): void {
    const tok = this.peek();
    if (tok.kind === 'eof') return;
    if (tok.kind !== 'newline') this.fail(tok, summary, detail);
    this.next();
  }

  private skipNewlines(): void {
    while (this.current.kind === 'newline') this.next();
  }

  private peek(): Token {
    return this.current;
  }

  private next(): Token {
    const tok = this.current;
    if (tok.kind !== 'eof') {
      this.current = this.tokens.next();
      this.k++;
    }
    return tok;
  }

  private fail(pos: Pos, summary: string, detail: string): never {
    throw new SyntaxFailure({
      severity: 'error',
      code: 'LOCK_SYNTAX',
      line: pos.line,
      col: pos.col,
      summary,
      detail,
    });
  }
}

function isPunct(tok: Token, text: string): boolean {
  return tok.kind === 'punct' && tok.text === text;
}

function isExprEnd(tok: Token): boolean {
  return (
    tok.kind === 'newline' ||
    tok.kind === 'eof' ||
    isPunct(tok, ',') ||
    isPunct(tok, ']') ||
    isPunct(tok, '}')
  );
}

/** Where a skipped expression stops, at bracket depth 0; inside a list, newlines do not end it. */
function endsExpression(tok: Token, newlineEnds: boolean): boolean {
  if (tok.kind === 'newline') return newlineEnds;
  return isExprEnd(tok) || isPunct(tok, ')');
}

function redefined(item: Attribute, first: Pos): Problem {
  return {
    severity: 'error',
    code: 'LOCK_DUPLICATE_ATTRIBUTE',
    line: item.pos.line,
    col: item.pos.col,
    summary: 'Attribute redefined',
    detail: `The argument "${item.name}" was already set at line ${first.line}; each argument may be set only once.`,
  };
}
