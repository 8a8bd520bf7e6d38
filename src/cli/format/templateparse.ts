/**
 * Parser for Go's text/template syntax (the Go 1.2x grammar: trim markers, comments, if/
 * else if/with/else with/range/break/continue, variables, pipelines, parenthesised pipelines, chained
 * fields, string/raw/char/number literals). Error messages follow Go's wording, so a bad --format
 * reads as it does with Docker. {{define}}, {{template}} and {{block}} are rejected: Docker formats
 * are single templates.
 */
import { StrataError } from '../../errors.js';
import { goQuote } from './gofmt.js';
import { type Item, type ItemType, Lexer, itemString } from './templatelex.js';

// ---------------------------------------------------------------------------------------------------
// Nodes

export interface FieldNode {
  kind: 'field';
  pos: number;
  ident: string[];
}
export interface VariableNode {
  kind: 'variable';
  pos: number;
  ident: string[]; // ident[0] is the variable, with its '$'
}
export interface IdentifierNode {
  kind: 'identifier';
  pos: number;
  name: string;
}
export interface DotNode {
  kind: 'dot';
  pos: number;
}
export interface NilNode {
  kind: 'nil';
  pos: number;
}
export interface BoolNode {
  kind: 'bool';
  pos: number;
  value: boolean;
}
export interface NumberNode {
  kind: 'number';
  pos: number;
  text: string;
  value: number;
  isInt: boolean;
}
export interface StringNode {
  kind: 'string';
  pos: number;
  quoted: string;
  value: string;
}
export interface ChainNode {
  kind: 'chain';
  pos: number;
  node: ArgNode;
  field: string[];
}
export interface PipeNode {
  kind: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode {
  kind: 'command';
  pos: number;
  args: ArgNode[];
}
export type ArgNode =
  | FieldNode
  | VariableNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | ChainNode
  | PipeNode;

export interface ListNode {
  kind: 'list';
  pos: number;
  nodes: Node[];
}
export interface TextNode {
  kind: 'text';
  pos: number;
  text: string;
}
export interface ActionNode {
  kind: 'action';
  pos: number;
  pipe: PipeNode;
}
export interface BranchNode {
  kind: 'if' | 'with' | 'range';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
export interface LoopControlNode {
  kind: 'break' | 'continue';
  pos: number;
}
export type Node = ListNode | TextNode | ActionNode | BranchNode | LoopControlNode;

/** What terminates an item list: {{end}} or {{else}}, never part of the tree. */
interface Terminator {
  kind: 'end' | 'else';
  pos: number;
}

const isTerminator = (n: Node | Terminator): n is Terminator => n.kind === 'end' || n.kind === 'else';

export type AnyNode = Node | ArgNode | CommandNode;

/** Go's Node.String(): the source form of a node, used in error messages. */
export function nodeString(n: AnyNode): string {
  switch (n.kind) {
    case 'field':
      return n.ident.map((i) => `.${i}`).join('');
    case 'variable':
      return n.ident.join('.');
    case 'identifier':
      return n.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'chain': {
      const base = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.field.map((f) => `.${f}`).join('');
    }
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = `${n.decl.map(nodeString).join(', ')}${n.isAssign ? ' = ' : ' := '}`;
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'with':
    case 'range': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'break':
    case 'continue':
      return `{{${n.kind}}}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Literals

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** strconv.Unquote for "…", `…` and '…'; undefined for invalid syntax. */
function unquote(q: string): string | undefined {
  const quote = q[0];
  if (q.length < 2 || q[q.length - 1] !== quote) return undefined;
  const body = q.slice(1, -1);
  if (quote === '`') return body.includes('`') ? undefined : body.replaceAll('\r', '');
  let out = '';
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === quote || c === '\n') return undefined;
    if (c !== '\\') {
      const ch = String.fromCodePoint(body.codePointAt(i)!);
      out += ch;
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    i += 2;
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e === quote) out += e;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const h = body.slice(i, i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return undefined;
      const cp = Number.parseInt(h, 16);
      if (e !== 'x' && (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) return undefined;
      // \x is a byte; bytes ≥ 0x80 do not make a valid string on their own here.
      if (e === 'x' && cp >= 0x80) return undefined;
      out += String.fromCodePoint(cp);
      i += n;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(o) || Number.parseInt(o, 8) >= 0x80) return undefined;
      out += String.fromCharCode(Number.parseInt(o, 8));
      i += 2;
    } else return undefined;
  }
  if (quote === "'" && Array.from(out).length !== 1) return undefined;
  return out;
}

/** Go's ParseInt(s, 0, 64) / ParseFloat as the template parser applies them to a number token. */
function parseNumber(text: string): { value: number; isInt: boolean } | undefined {
  const t = text.replaceAll('_', '');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/.exec(t);
  if (m) {
    const big = BigInt(m[2]!.replace(/^0([0-7])/, '0o$1')); // a leading 0 means octal
    return { value: Number(m[1] === '-' ? -big : big), isInt: true };
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const value = Number(t);
    return { value, isInt: Number.isInteger(value) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Parser

export interface Tree {
  text: string;
  root: ListNode;
}

/** Where a byte offset falls, as Go prints it: "line:column" with a 0-based byte column. */
export function errorLocation(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  const line = before.split('\n').length;
  return `${line}:${Buffer.byteLength(before.slice(nl + 1))}`;
}

class Parser {
  private i = 0;
  private furthest = 0;
  private vars = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;

  constructor(
    private readonly items: Item[],
    private readonly hasFunction: (name: string) => boolean,
  ) {}

  // Token access. The item list always ends with an eof or error item, which repeats forever.
  private at(i: number): Item {
    const idx = Math.min(i, this.items.length - 1);
    this.furthest = Math.max(this.furthest, idx);
    return this.items[idx]!;
  }
  private next(): Item {
    return this.at(this.i++);
  }
  private peek(): Item {
    return this.at(this.i);
  }
  private backup(): void {
    this.i--;
  }
  private nextNonSpace(): Item {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  errorf(msg: string): never {
    throw new StrataError('usage', `template: :${this.at(this.furthest).line}: ${msg}`);
  }

  private unexpected(t: Item, context: string): never {
    if (t.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = t.val.endsWith(' action')
          ? ` started at :${this.actionLine}`
          : ` in action started at :${this.actionLine}`;
      }
      this.errorf(t.val + extra);
    }
    this.errorf(`unexpected ${itemString(t)} in ${context}`);
  }

  private expect(type: ItemType, context: string): Item {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  parse(): ListNode {
    const root: ListNode = { kind: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if (n === undefined) continue;
      if (isTerminator(n)) this.errorf(`unexpected {{${n.kind}}}`);
      else root.nodes.push(n);
    }
    return root;
  }

  private itemList(): [ListNode, Terminator] {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n === undefined) continue;
      if (isTerminator(n)) return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | Terminator | undefined {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { kind: 'text', pos: t.pos, text: t.val };
    if (t.type !== 'leftDelim') this.unexpected(t, 'input');
    this.actionLine = t.line;
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  private action(): Node | Terminator {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'block':
      case 'define':
      case 'template':
        this.errorf(`{{${t.type}}} is not supported in a format template`);
        break;
      case 'break':
      case 'continue':
        return this.loopControl(t);
      case 'else':
        return this.elseControl();
      case 'end':
        return { kind: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
      case 'with':
      case 'range':
        return this.branch(t.type);
    }
    this.backup();
    const pos = this.peek().pos;
    return { kind: 'action', pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private loopControl(t: Item): LoopControlNode {
    const kind = t.type as 'break' | 'continue';
    const n = this.nextNonSpace();
    if (n.type !== 'rightDelim') this.unexpected(n, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { kind, pos: t.pos };
  }

  private elseControl(): Terminator {
    const p = this.peekNonSpace();
    // "{{else if …" and "{{else with …" leave the keyword for branch() to chain.
    if (p.type === 'if' || p.type === 'with') return { kind: 'else', pos: p.pos };
    return { kind: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private branch(kind: 'if' | 'with' | 'range'): BranchNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, 'rightDelim');
    if (kind === 'range') this.rangeDepth++;
    const [list, next] = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.kind === 'else') {
      const p = this.peek();
      if (kind !== 'range' && p.type === kind) {
        // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}}.
        this.next();
        elseList = { kind: 'list', pos: next.pos, nodes: [this.branch(kind)] };
      } else {
        const [els, end] = this.itemList();
        if (end.kind !== 'end') this.errorf(`expected end; found {{${end.kind}}}`);
        elseList = els;
      }
    }
    this.vars.length = mark;
    return { kind, pos: pipe.pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: ItemType): PipeNode {
    const pipe: PipeNode = {
      kind: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const atVar = this.i;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = atVar; // not a declaration: "$x" starts the first command
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]!.kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { kind: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
        break;
    }
    return { kind: 'chain', pos, node, field: fields };
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunction(t.val)) this.errorf(`function ${goQuote(t.val)} not defined`);
        return { kind: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { kind: 'dot', pos: t.pos };
      case 'nil':
        return { kind: 'nil', pos: t.pos };
      case 'variable':
        if (!this.vars.includes(t.val)) this.errorf(`undefined variable ${goQuote(t.val)}`);
        return { kind: 'variable', pos: t.pos, ident: [t.val] };
      case 'field':
        return { kind: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant': {
        const s = unquote(t.val);
        if (s === undefined) this.errorf(`malformed character constant: ${t.val}`);
        return { kind: 'number', pos: t.pos, text: t.val, value: s.codePointAt(0)!, isInt: true };
      }
      case 'complex':
        this.errorf(`complex number ${t.val} is not supported`);
        break;
      case 'number': {
        const n = parseNumber(t.val);
        if (!n) this.errorf(`illegal number syntax: ${goQuote(t.val)}`);
        return { kind: 'number', pos: t.pos, text: t.val, ...n };
      }
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString': {
        const s = unquote(t.val);
        if (s === undefined) this.errorf('invalid syntax');
        return { kind: 'string', pos: t.pos, quoted: t.val, value: s };
      }
    }
    this.backup();
    return undefined;
  }
}

/** Parse a template; errors are StrataError('usage', "template: :LINE: …"). */
export function parseTree(text: string, hasFunction: (name: string) => boolean): Tree {
  const items = new Lexer(text).run();
  return { text, root: new Parser(items, hasFunction).parse() };
}
