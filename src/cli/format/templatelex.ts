/**
 * The lexer for Go's text/template syntax: text, {{ }} actions with trim markers ("{{- " and " -}}"),
 * comments, and the tokens inside actions. It works on a JS string; positions are string indexes.
 * Error items carry Go's messages.
 */
import { goQuote } from './gofmt.js';

export type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export const KEYWORDS = new Set<string>([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'nil',
  'range',
  'template',
  'with',
]);

export interface Item {
  type: ItemType;
  pos: number;
  val: string;
  line: number;
}

/** Go's item.String(), used in "unexpected X in Y" messages. */
export function itemString(i: Item): string {
  if (i.type === 'eof') return 'EOF';
  if (i.type === 'error') return i.val;
  if (KEYWORDS.has(i.type) || i.type === 'dot') return `<${i.val}>`;
  const chars = Array.from(i.val);
  return chars.length > 10 ? `${goQuote(chars.slice(0, 10).join(''))}...` : goQuote(i.val);
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined) => c !== undefined && /^[_\p{L}\p{Nd}]$/u.test(c);

/** Go's %#U: U+0041 'A' (the character only when printable). */
function fmtU(c: string): string {
  const cp = c.codePointAt(0)!;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c) ? `${code} '${c}'` : code;
}

const LEFT = '{{';
const RIGHT = '}}';

export class Lexer {
  readonly items: Item[] = [];
  private pos = 0;
  private start = 0;
  private parenDepth = 0;
  private readonly newlines: number[] = [];

  constructor(private readonly input: string) {
    for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n', i + 1)) this.newlines.push(i);
  }

  run(): Item[] {
    let state: (() => unknown) | null = this.lexText;
    while (state) state = state.call(this) as (() => unknown) | null;
    return this.items;
  }

  lineAt(pos: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  private emit(type: ItemType): void {
    this.items.push({
      type,
      pos: this.start,
      val: this.input.slice(this.start, this.pos),
      line: this.lineAt(this.start),
    });
    this.start = this.pos;
  }

  private errorf(msg: string): null {
    this.items.push({ type: 'error', pos: this.start, val: msg, line: this.lineAt(this.start) });
    return null;
  }

  /** The next code point, consumed; '' at the end. */
  private next(): string {
    if (this.pos >= this.input.length) return '';
    const c = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.pos += c.length;
    return c;
  }

  private peek(): string {
    return this.pos >= this.input.length ? '' : String.fromCodePoint(this.input.codePointAt(this.pos)!);
  }

  private accept(valid: string): boolean {
    const c = this.peek();
    if (c !== '' && valid.includes(c)) {
      this.pos += c.length;
      return true;
    }
    return false;
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  private hasLeftTrimMarker(at: number): boolean {
    return this.input[at] === '-' && isSpace(this.input[at + 1]);
  }

  /** At "}}" or " -}}" (any of Go's four space characters before the '-'). */
  private atRightDelim(): { delim: boolean; trim: boolean } {
    if (this.input.startsWith(RIGHT, this.pos)) return { delim: true, trim: false };
    const trim =
      isSpace(this.input[this.pos]) &&
      this.input[this.pos + 1] === '-' &&
      this.input.startsWith(RIGHT, this.pos + 2);
    return { delim: trim, trim };
  }

  private skipSpaces(): void {
    while (isSpace(this.input[this.pos])) this.pos++;
  }

  private lexText(): (() => unknown) | null {
    const x = this.input.indexOf(LEFT, this.pos);
    if (x < 0) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit('text');
      this.emit('eof');
      return null;
    }
    let end = x;
    if (this.hasLeftTrimMarker(x + LEFT.length))
      while (end > this.start && isSpace(this.input[end - 1])) end--;
    if (end > this.start) {
      this.pos = end;
      this.emit('text');
    }
    this.pos = this.start = x;
    return this.lexLeftDelim;
  }

  private lexLeftDelim(): (() => unknown) | null {
    this.pos += LEFT.length;
    const after = this.hasLeftTrimMarker(this.pos) ? 2 : 0;
    if (this.input.startsWith('/*', this.pos + after)) {
      this.pos += after;
      this.start = this.pos;
      return this.lexComment;
    }
    this.emit('leftDelim');
    this.pos += after;
    this.start = this.pos;
    this.parenDepth = 0;
    return this.lexInsideAction;
  }

  private lexComment(): (() => unknown) | null {
    const end = this.input.indexOf('*/', this.pos + 2);
    if (end < 0) return this.errorf('unclosed comment');
    this.pos = end + 2;
    const { delim, trim } = this.atRightDelim();
    if (!delim) return this.errorf('comment ends before closing delimiter');
    this.pos += (trim ? 2 : 0) + RIGHT.length;
    if (trim) this.skipSpaces();
    this.start = this.pos;
    return this.lexText;
  }

  private lexRightDelim(): (() => unknown) | null {
    const { trim } = this.atRightDelim();
    if (trim) this.start = this.pos += 2;
    this.pos += RIGHT.length;
    this.emit('rightDelim');
    if (trim) {
      this.skipSpaces();
      this.start = this.pos;
    }
    return this.lexText;
  }

  private lexInsideAction(): (() => unknown) | null {
    if (this.atRightDelim().delim) {
      return this.parenDepth === 0 ? this.lexRightDelim : this.errorf('unclosed left paren');
    }
    const c = this.next();
    if (c === '') return this.errorf('unclosed action');
    if (isSpace(c)) {
      this.pos -= c.length;
      return this.lexSpace;
    }
    switch (c) {
      case '=':
        this.emit('assign');
        return this.lexInsideAction;
      case ':':
        if (this.next() !== '=') return this.errorf('expected :=');
        this.emit('declare');
        return this.lexInsideAction;
      case '|':
        this.emit('pipe');
        return this.lexInsideAction;
      case '"':
        return this.lexQuote;
      case '`':
        return this.lexRawQuote;
      case '$':
        return this.lexVariable;
      case "'":
        return this.lexChar;
      case '(':
        this.parenDepth++;
        this.emit('leftParen');
        return this.lexInsideAction;
      case ')':
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf('unexpected right paren');
        this.emit('rightParen');
        return this.lexInsideAction;
    }
    if (c === '.' && !/[0-9]/.test(this.peek())) return this.lexField;
    if (c === '.' || c === '+' || c === '-' || /[0-9]/.test(c)) {
      this.pos -= c.length;
      return this.lexNumber;
    }
    if (isAlphaNumeric(c)) {
      this.pos -= c.length;
      return this.lexIdentifier;
    }
    const cp = c.codePointAt(0)!;
    if (cp <= 0x7f && cp >= 0x20 && cp !== 0x7f) {
      this.emit('char');
      return this.lexInsideAction;
    }
    return this.errorf(`unrecognized character in action: ${fmtU(c)}`);
  }

  /** A run of spaces; a single space before "-}}" belongs to the trim marker. */
  private lexSpace(): (() => unknown) | null {
    let n = 0;
    while (isSpace(this.peek())) {
      this.pos++;
      n++;
    }
    if (this.input[this.pos] === '-' && this.input.startsWith(RIGHT, this.pos + 1)) {
      this.pos--;
      if (n === 1) return this.lexRightDelim;
    }
    this.emit('space');
    return this.lexInsideAction;
  }

  private atTerminator(): boolean {
    const c = this.peek();
    return isSpace(c) || c === '' || '.,|:)('.includes(c) || this.input.startsWith(RIGHT, this.pos);
  }

  private lexIdentifier(): (() => unknown) | null {
    while (isAlphaNumeric(this.peek())) this.next();
    if (!this.atTerminator()) return this.errorf(`bad character ${fmtU(this.peek())}`);
    const word = this.input.slice(this.start, this.pos);
    if (KEYWORDS.has(word)) this.emit(word as ItemType);
    else if (word === 'true' || word === 'false') this.emit('bool');
    else this.emit('identifier');
    return this.lexInsideAction;
  }

  private lexField(): (() => unknown) | null {
    return this.lexFieldOrVariable('field');
  }

  private lexVariable(): (() => unknown) | null {
    return this.lexFieldOrVariable('variable');
  }

  /** ".Name" or "$name"; a lone "." is the dot and a lone "$" the root variable. */
  private lexFieldOrVariable(type: 'field' | 'variable'): (() => unknown) | null {
    if (this.atTerminator()) {
      this.emit(type === 'variable' ? 'variable' : 'dot');
      return this.lexInsideAction;
    }
    while (isAlphaNumeric(this.peek())) this.next();
    if (!this.atTerminator()) return this.errorf(`bad character ${fmtU(this.peek())}`);
    this.emit(type);
    return this.lexInsideAction;
  }

  private lexChar(): (() => unknown) | null {
    for (;;) {
      const c = this.next();
      if (c === '\\') {
        const e = this.next();
        if (e !== '' && e !== '\n') continue;
      }
      if (c === '' || c === '\n' || c === '\\') return this.errorf('unterminated character constant');
      if (c === "'") break;
    }
    this.emit('charConstant');
    return this.lexInsideAction;
  }

  private lexQuote(): (() => unknown) | null {
    for (;;) {
      const c = this.next();
      if (c === '\\') {
        const e = this.next();
        if (e !== '' && e !== '\n') continue;
      }
      if (c === '' || c === '\n' || c === '\\') return this.errorf('unterminated quoted string');
      if (c === '"') break;
    }
    this.emit('string');
    return this.lexInsideAction;
  }

  private lexRawQuote(): (() => unknown) | null {
    const end = this.input.indexOf('`', this.pos);
    if (end < 0) return this.errorf('unterminated raw quoted string');
    this.pos = end + 1;
    this.emit('rawString');
    return this.lexInsideAction;
  }

  private lexNumber(): (() => unknown) | null {
    if (!this.scanNumber())
      return this.errorf(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
    const sign = this.peek();
    if (sign === '+' || sign === '-') {
      // Complex: 1+2i. No spaces, must end in 'i'.
      if (!this.scanNumber() || this.input[this.pos - 1] !== 'i') {
        return this.errorf(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
      }
      this.emit('complex');
    } else this.emit('number');
    return this.lexInsideAction;
  }

  private scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }
}
