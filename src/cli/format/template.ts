/**
 * The part of Go's text/template that Docker's --format uses, run against plain JS data, plus the
 * Docker CLI's preprocessing ("table" prefix, \t and \n escapes) and table rendering.
 *
 * Data model: JS values stand for what Go sees after decoding JSON into `any`. Objects are maps
 * (missing keys print <no value>, range and %v visit keys in sorted order), arrays are slices,
 * integral numbers print like ints, null is nil, undefined is Go's "no value". Docker's formatter
 * contexts are Go structs; pass `structType` (or use renderTableOrLines) so that an unknown field is
 * an error, as in Docker: `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type T`.
 *
 * Printing nil: a pipeline whose value is null (JSON null) prints "<no value>", because Go turns a nil
 * `any` into "no value" at the end of every pipeline; inside a printed slice or map, and as an
 * argument to print/printf/println, it is "<nil>". Docker's typed structs would print "[]", "map[]" or
 * "<nil>" for their nil fields instead; that type information does not exist in JSON data.
 *
 * Not reproduced: {{define}}/{{template}}/{{block}}, the call/html/js/urlquery builtins, complex
 * numbers, and float literals with an integral value (1.0, 1e3), which act as ints. Byte-based string
 * cuts (truncate, slice) drop a UTF-8 character split in half, where Go writes the raw bytes.
 */
import { StrataError } from '../../errors.js';
import {
  GoStruct,
  compareStrings,
  formatValue,
  goJSON,
  goTypeName,
  isGoInt,
  isPlainObject,
  sortedKeys,
  sprint,
  sprintf,
  sprintln,
} from './gofmt.js';
import { DOCKER_TABLE, TabWriter } from './tabwriter.js';
import {
  type AnyNode,
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type Node,
  type PipeNode,
  type Tree,
  type VariableNode,
  errorLocation,
  nodeString,
  parseTree,
} from './templateparse.js';

export { GoStruct } from './gofmt.js';

// ---------------------------------------------------------------------------------------------------
// Functions

/** Parameter kinds: 'any' gets nil for a missing value; 'value' sees it raw (Go's reflect.Value). */
type Param = 'any' | 'value' | 'string' | 'int';

interface Func {
  params: Param[];
  variadic?: Param;
  fn: (...args: never[]) => unknown;
}

/** A function's own error, reported as "error calling NAME: MESSAGE". */
class FuncError extends Error {}

const nilToNoValue = (v: unknown) => (v === null ? undefined : v);

/** Go's truth: false for no value, nil, zero numbers, false and empty strings, slices and maps. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoStruct) return true;
  return Object.keys(v as object).length > 0;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Decode a byte slice of a string; a character cut in half is dropped (Go would emit the raw bytes). */
function decodeBytes(b: Uint8Array): string {
  return new TextDecoder().decode(b).replace(/\ufffd$/, '');
}

type Kind = 'bool' | 'int' | 'float' | 'string' | undefined;

function basicKind(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (isGoInt(v)) return 'int';
  if (typeof v === 'number') return 'float';
  return undefined;
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  const x = nilToNoValue(a);
  if (rest.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(x);
  for (const r of rest) {
    const y = nilToNoValue(r);
    const k2 = basicKind(y);
    if (k1 !== k2) {
      if (x !== undefined && y !== undefined) {
        throw new FuncError(`incompatible types for comparison: ${goTypeName(x)} and ${goTypeName(y)}`);
      }
      continue;
    }
    if (k1 !== undefined) {
      if (k1 === 'int' ? BigInt(x as number) === BigInt(y as number) : x === y) return true;
      continue;
    }
    if (x === undefined || y === undefined) {
      if (x === y) return true;
      continue;
    }
    if (Array.isArray(x) !== Array.isArray(y)) {
      throw new FuncError(
        `non-comparable types ${formatValue(x)}: ${goTypeName(x)}, ${goTypeName(y)}: ${formatValue(y)}`,
      );
    }
    throw new FuncError(`non-comparable type ${formatValue(y)}: ${goTypeName(y)}`);
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const x = nilToNoValue(a);
  const y = nilToNoValue(b);
  const k1 = basicKind(x);
  const k2 = basicKind(y);
  if (k1 === undefined || k2 === undefined) throw new FuncError('invalid type for comparison');
  if (k1 !== k2)
    throw new FuncError(`incompatible types for comparison: ${goTypeName(x)} and ${goTypeName(y)}`);
  if (k1 === 'bool') throw new FuncError('invalid type for comparison');
  if (k1 === 'string') return compareStrings(x as string, y as string) < 0;
  return (x as number) < (y as number);
}

/** The index of a slice, array or string; Go checks > len, and indexing at len panics in reflect. */
function indexArg(v: unknown, len: number, what: 'slice' | 'string'): number {
  if (v === undefined) throw new FuncError('cannot index slice/array with nil');
  if (!isGoInt(v)) throw new FuncError(`cannot index slice/array with type ${goTypeName(v)}`);
  const x = Number(v);
  if (x < 0 || x > len) throw new FuncError(`index out of range: ${x}`);
  if (x === len && what === 'slice') throw new FuncError('reflect: slice index out of range');
  if (x === len) throw new FuncError('reflect: string index out of range');
  return x;
}

/**
 * Go's index. One deliberate difference: a missing key of an object whose values are all strings (or
 * of an absent object) gives "" rather than <no value>, which is what Docker's typed map[string]string
 * fields give, so {{index .Config.Labels "x"}} prints an empty string for an unlabelled image.
 */
function index(item: unknown, ...indexes: unknown[]): unknown {
  let cur: unknown = nilToNoValue(item);
  if (cur === undefined && indexes.length === 0) throw new FuncError('index of untyped nil');
  for (const raw of indexes) {
    const idx = nilToNoValue(raw);
    if (cur === null) throw new FuncError('index of nil pointer');
    if (cur === undefined) cur = typeof idx === 'string' ? {} : [];
    if (typeof cur === 'string') {
      const bytes = utf8(cur);
      cur = bytes[indexArg(idx, bytes.length, 'string')]!;
    } else if (Array.isArray(cur)) {
      cur = cur[indexArg(idx, cur.length, 'slice')];
    } else if (isPlainObject(cur)) {
      if (idx === undefined) throw new FuncError('value is nil; should be of type string');
      if (typeof idx !== 'string') throw new FuncError(`value has type ${goTypeName(idx)}; should be string`);
      const obj: Record<string, unknown> = cur;
      if (Object.hasOwn(obj, idx) && obj[idx] !== undefined) cur = obj[idx];
      else cur = Object.values(obj).every((v) => v === undefined || typeof v === 'string') ? '' : null;
    } else throw new FuncError(`can't index item of type ${goTypeName(cur)}`);
  }
  return cur;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  const v = nilToNoValue(item);
  if (v === undefined) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof v === 'string') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    len = utf8(v).length;
  } else if (Array.isArray(v)) len = v.length;
  else throw new FuncError(`can't slice item of type ${goTypeName(v)}`);
  const idx = [0, len];
  indexes.forEach((raw, i) => {
    const x = nilToNoValue(raw);
    if (x === undefined) throw new FuncError('cannot index slice/array with nil');
    if (!isGoInt(x)) throw new FuncError(`cannot index slice/array with type ${goTypeName(x)}`);
    if (Number(x) < 0 || Number(x) > len) throw new FuncError(`index out of range: ${x}`);
    idx[i] = Number(x);
  });
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (idx.length === 3 && idx[1]! > idx[2]!)
    throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  return typeof v === 'string' ? decodeBytes(utf8(v).subarray(idx[0], idx[1])) : v.slice(idx[0], idx[1]);
}

function length(item: unknown): number {
  if (item === null) throw new FuncError('len of nil pointer');
  if (item === undefined) throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
  if (typeof item === 'string') return utf8(item).length; // bytes, as Go counts
  if (Array.isArray(item)) return item.length;
  if (isPlainObject(item)) return Object.keys(item).length;
  throw new FuncError(`len of type ${goTypeName(item)}`);
}

/** strings.Title: upper-case the first letter of each word; words end at non-letters/digits/_. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep =
      prev.codePointAt(0)! <= 0x7f
        ? !/^[0-9A-Za-z_]$/.test(prev)
        : !/^[\p{L}\p{Nd}]$/u.test(prev) && /^\s$/u.test(prev);
    out += sep ? simpleCase(ch, 'upper') : ch;
    prev = ch;
  }
  return out;
}

/** Go maps case per code point (unicode.ToUpper/ToLower); JS expansions like ß → SS are not applied. */
function simpleCase(ch: string, to: 'upper' | 'lower'): string {
  const mapped = to === 'upper' ? ch.toUpperCase() : ch.toLowerCase();
  if (Array.from(mapped).length === 1) return mapped;
  return to === 'lower' && ch === '\u0130' ? 'i' : ch;
}

const mapCase = (s: string, to: 'upper' | 'lower') =>
  Array.from(s)
    .map((c) => simpleCase(c, to))
    .join('');

function repeat(n: number): string {
  if (n < 0) throw new FuncError('strings: negative Repeat count');
  return ' '.repeat(n);
}

/** Docker's join: strings joined as they are, other elements printed with fmt, map values sorted. */
function join(elems: unknown, sep: string): string {
  if (elems === null || elems === undefined) return '';
  if (Array.isArray(elems)) return elems.map((e) => (typeof e === 'string' ? e : sprint([e]))).join(sep);
  if (isPlainObject(elems)) {
    return Object.values(elems)
      .map((e) => sprint([e]))
      .sort(compareStrings)
      .join(sep);
  }
  throw new FuncError(`expected slice, got ${goTypeName(elems)}`);
}

function truncate(source: string, n: number): string {
  const bytes = utf8(source);
  if (bytes.length < n) return source;
  if (n < 0) throw new FuncError(`runtime error: slice bounds out of range [:${n}]`);
  return decodeBytes(bytes.subarray(0, n));
}

function json(v: unknown): string {
  try {
    return goJSON(v);
  } catch (e) {
    throw new FuncError((e as Error).message);
  }
}

const f = (params: Param[], fn: Func['fn'], variadic?: Param): Func => ({ params, fn, variadic });
const identity = (v: string) => v;

/** Go's builtins that make sense without Go function values (no call, html, js, urlquery). */
const BUILTINS: Record<string, Func> = {
  and: f(['value'], () => undefined, 'value'), // short-circuit, evaluated in evalCall
  or: f(['value'], () => undefined, 'value'),
  not: f(['value'], (v: unknown) => !isTrue(v)),
  len: f(['value'], length),
  index: f(['value'], index, 'value'),
  slice: f(['value'], slice, 'value'),
  print: f([], (...a: unknown[]) => sprint(a), 'any'),
  printf: f(['string'], (fmt: string, ...a: unknown[]) => sprintf(fmt, a), 'any'),
  println: f([], (...a: unknown[]) => sprintln(a), 'any'),
  eq: f(['value'], eq, 'value'),
  ne: f(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: f(['value', 'value'], lt),
  le: f(['value', 'value'], (a: unknown, b: unknown) => lt(a, b) || eq(a, b)),
  gt: f(['value', 'value'], (a: unknown, b: unknown) => !(lt(a, b) || eq(a, b))),
  ge: f(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
};

/** The Docker CLI's templates.basicFunctions. */
const DOCKER_FUNCS: Record<string, Func> = {
  ...BUILTINS,
  json: f(['any'], json),
  split: f(['string', 'string'], (s: string, sep: string) => (sep === '' ? Array.from(s) : s.split(sep))),
  join: f(['any', 'string'], join),
  title: f(['string'], title),
  lower: f(['string'], (s: string) => mapCase(s, 'lower')),
  upper: f(['string'], (s: string) => mapCase(s, 'upper')),
  pad: f(['string', 'int', 'int'], (s: string, pre: number, post: number) =>
    s === '' ? s : repeat(pre) + s + repeat(post),
  ),
  truncate: f(['string', 'int'], truncate),
};

/** Docker's templates.HeaderFunctions: the header row keeps column names as they are. */
const HEADER_FUNCS: Record<string, Func> = {
  ...DOCKER_FUNCS,
  json: f(['string'], identity),
  split: f(['string', 'string'], identity),
  join: f(['string', 'string'], identity),
  title: f(['string'], identity),
  lower: f(['string'], identity),
  upper: f(['string'], identity),
  truncate: f(['string', 'int'], identity),
};

// ---------------------------------------------------------------------------------------------------
// Execution

const MISSING = Symbol('missing'); // no value piped in from a previous command

class BreakSignal {}
class ContinueSignal {}

interface Variable {
  name: string;
  value: unknown;
  iface: boolean; // statically `any` in Go (element of a slice or map), for error messages
}

export interface ExecuteOptions {
  /** Treat the data as a Go struct of this type (e.g. "*image.historyContext"): unknown fields fail. */
  structType?: string;
  /** Go's missingkey=error (docker inspect's fallback): a missing map key fails instead of <no value>. */
  missingKey?: 'default' | 'error';
}

class State {
  private vars: Variable[];
  private node: AnyNode | undefined;
  readonly out: string[] = [];

  constructor(
    private readonly tree: Tree,
    private readonly funcs: Record<string, Func>,
    private readonly missingKeyError: boolean,
    root: unknown,
  ) {
    this.vars = [{ name: '$', value: root, iface: false }];
  }

  errorf(msg: string): never {
    const n = this.node;
    const where = n ? `:${errorLocation(this.tree.text, n.pos)}: executing "" at <${nodeString(n)}>` : ' ';
    throw new StrataError('usage', `template: ${where}: ${msg}`);
  }

  private at(n: AnyNode): void {
    this.node = n;
  }

  private varValue(name: string): Variable {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!;
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, dotIface: boolean, node: Node): void {
    this.at(node);
    switch (node.kind) {
      case 'text':
        this.out.push(node.text);
        break;
      case 'list':
        for (const n of node.nodes) this.walk(dot, dotIface, n);
        break;
      case 'action': {
        const v = this.evalPipeline(dot, dotIface, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, v);
        break;
      }
      case 'if':
      case 'with':
        this.walkIfOrWith(dot, dotIface, node);
        break;
      case 'range':
        this.walkRange(dot, dotIface, node);
        break;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private walkIfOrWith(dot: unknown, dotIface: boolean, node: BranchNode): void {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, dotIface, node.pipe);
    if (isTrue(v)) {
      if (node.kind === 'with') this.walk(v, false, node.list);
      else this.walk(dot, dotIface, node.list);
    } else if (node.elseList) this.walk(dot, dotIface, node.elseList);
    this.vars.length = mark;
  }

  private walkRange(dot: unknown, dotIface: boolean, node: BranchNode): void {
    this.at(node);
    const mark0 = this.vars.length;
    const v = this.evalPipeline(dot, dotIface, node.pipe);
    const mark = this.vars.length;
    const decl = node.pipe.decl.length;
    // Returns false on {{break}}.
    const iteration = (key: unknown, elem: unknown, iface: boolean): boolean => {
      if (decl > 0) this.vars[mark - 1] = { ...this.vars[mark - 1]!, value: elem, iface };
      if (decl > 1) this.vars[mark - 2] = { ...this.vars[mark - 2]!, value: key, iface: false };
      try {
        this.walk(elem, iface, node.list);
      } catch (e) {
        if (e instanceof BreakSignal) return false;
        if (!(e instanceof ContinueSignal)) throw e;
      } finally {
        this.vars.length = mark;
      }
      return true;
    };
    let ran = false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && iteration(i, v[i], true); i++);
      ran = v.length > 0;
    } else if (isPlainObject(v)) {
      const keys = sortedKeys(v);
      for (const k of keys) if (!iteration(k, v[k], true)) break;
      ran = keys.length > 0;
    } else if (isGoInt(v)) {
      // Go 1.22: range over an integer n visits 0 … n-1.
      if (decl > 1) this.errorf(`can't use ${formatValue(v)} to iterate over more than one variable`);
      for (let i = 0; i < Number(v) && iteration(i, i, false); i++);
      ran = Number(v) > 0;
    } else if (v !== undefined) {
      this.errorf(`range can't iterate over ${formatValue(v)}`);
    }
    if (!ran && node.elseList) this.walk(dot, dotIface, node.elseList);
    this.vars.length = mark0;
  }

  private printValue(node: AnyNode, v: unknown): void {
    this.at(node);
    this.out.push(v === undefined ? '<no value>' : formatValue(v));
  }

  private evalPipeline(dot: unknown, dotIface: boolean, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      // A nil `any` at the end of a command becomes "no value" (Go: reflect.ValueOf(v.Interface())).
      value = nilToNoValue(this.evalCommand(dot, dotIface, cmd, value));
    }
    for (const v of pipe.decl) {
      const name = v.ident[0]!;
      if (pipe.isAssign) this.varValue(name).value = value;
      else this.vars.push({ name, value, iface: false });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: unknown): void {
    if (args.length > 1 || final !== MISSING)
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: unknown, dotIface: boolean, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, dotIface, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, dotIface, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, dotIface, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, dotIface, first);
      case 'variable':
        return this.evalVariableNode(first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
      case 'number':
      case 'string':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
    }
  }

  private evalFieldNode(dot: unknown, dotIface: boolean, field: FieldNode, args: ArgNode[], final: unknown) {
    this.at(field);
    return this.evalFieldChain(dot, dotIface, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, dotIface: boolean, chain: ChainNode, args: ArgNode[], final: unknown) {
    this.at(chain);
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, dotIface, 'value', chain.node);
    return this.evalFieldChain(receiver, false, chain.field, args, final);
  }

  private evalVariableNode(v: VariableNode, args: ArgNode[], final: unknown) {
    this.at(v);
    const variable = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return variable.value;
    }
    return this.evalFieldChain(variable.value, variable.iface, v.ident.slice(1), args, final);
  }

  /** .X.Y.Z: walk the chain; only the last field sees the arguments. */
  private evalFieldChain(
    receiver: unknown,
    iface: boolean,
    ident: string[],
    args: ArgNode[],
    final: unknown,
  ): unknown {
    let r = receiver;
    let rIface = iface;
    for (let i = 0; i < ident.length - 1; i++) {
      const next = this.evalField(ident[i]!, [], MISSING, r, rIface);
      rIface = isPlainObject(r); // map elements are `any` in Go
      r = next;
    }
    return this.evalField(ident[ident.length - 1]!, args, final, r, rIface);
  }

  private evalField(
    name: string,
    args: ArgNode[],
    final: unknown,
    receiver: unknown,
    iface: boolean,
  ): unknown {
    if (receiver === undefined) {
      if (this.missingKeyError) this.errorf(`nil data; no entry for key "${name}"`);
      return undefined;
    }
    const typ = iface ? 'interface {}' : goTypeName(receiver);
    if (receiver === null) this.errorf(`nil pointer evaluating ${typ}.${name}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (receiver instanceof GoStruct) {
      if (Object.hasOwn(receiver.fields, name)) {
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return receiver.fields[name];
      }
    } else if (isPlainObject(receiver)) {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      if (Object.hasOwn(receiver, name) && receiver[name] !== undefined) return receiver[name];
      if (this.missingKeyError) this.errorf(`map has no entry for key "${name}"`);
      return undefined;
    }
    this.errorf(`can't evaluate field ${name} in type ${typ}`);
  }

  private evalFunction(
    dot: unknown,
    dotIface: boolean,
    node: IdentifierNode,
    cmd: AnyNode,
    args: ArgNode[],
    final: unknown,
  ): unknown {
    this.at(node);
    const fn = this.funcs[node.name];
    if (!fn) this.errorf(`"${node.name}" is not a defined function`);
    return this.evalCall(dot, dotIface, fn, cmd, node.name, args, final);
  }

  private evalCall(
    dot: unknown,
    dotIface: boolean,
    fn: Func,
    node: AnyNode,
    name: string,
    allArgs: ArgNode[],
    final: unknown,
  ): unknown {
    const args = allArgs.slice(1);
    const numIn = args.length + (final !== MISSING ? 1 : 0);
    const numFixed = fn.params.length;
    if (fn.variadic) {
      if (numIn < numFixed)
        this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== numFixed) {
      this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
    }
    const paramAt = (i: number): Param => fn.params[i] ?? fn.variadic!;
    if (name === 'and' || name === 'or') {
      // Go 1.18+: evaluate left to right and stop at the first false (and) or true (or) operand.
      let v: unknown;
      for (const a of args) {
        v = this.evalArg(dot, dotIface, 'value', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      return final !== MISSING ? final : v;
    }
    const argv = args.map((a, i) => this.evalArg(dot, dotIface, paramAt(i), a));
    if (final !== MISSING) argv.push(this.validateType(final, paramAt(numIn - 1)));
    try {
      return (fn.fn as (...a: unknown[]) => unknown)(...argv);
    } catch (e) {
      if (!(e instanceof FuncError)) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e.message}`);
    }
  }

  /** Check a computed value against a parameter kind, as Go's validateType does. */
  private validateType(value: unknown, param: Param): unknown {
    if (value === undefined) {
      if (param === 'any') return null;
      if (param === 'value') return undefined;
      this.errorf(`invalid value; expected ${param}`);
    }
    if (param === 'string' && typeof value !== 'string') {
      this.errorf(
        `wrong type for value; expected string; got ${value === null ? 'interface {}' : goTypeName(value)}`,
      );
    }
    if (param === 'int' && !isGoInt(value)) {
      this.errorf(
        `wrong type for value; expected int; got ${value === null ? 'interface {}' : goTypeName(value)}`,
      );
    }
    return value;
  }

  private evalArg(dot: unknown, dotIface: boolean, param: Param, n: ArgNode): unknown {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, param);
      case 'nil':
        if (param === 'any' || param === 'value') return null;
        this.errorf(`cannot assign nil to ${param}`);
        break;
      case 'field':
        return this.validateType(this.evalFieldNode(dot, dotIface, n, [n], MISSING), param);
      case 'variable':
        return this.validateType(this.evalVariableNode(n, [], MISSING), param);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, dotIface, n), param);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, dotIface, n, n, [n], MISSING), param);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, dotIface, n, [], MISSING), param);
    }
    // A literal: its syntax must suit the parameter.
    if (param === 'string' && n.kind !== 'string') this.errorf(`expected string; found ${nodeString(n)}`);
    if (param === 'int' && !(n.kind === 'number' && n.isInt))
      this.errorf(`expected integer; found ${nodeString(n)}`);
    return n.value;
  }
}

// ---------------------------------------------------------------------------------------------------
// Public API

export class Template {
  constructor(
    readonly source: string,
    private readonly tree: Tree,
  ) {}

  /** Execute against data; errors are StrataError('usage', "template: :L:C: executing … : …"). */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const { out, error } = this.run(data, DOCKER_FUNCS, opts);
    if (error) throw error;
    return out;
  }

  /** Execute, keeping what was written before a failure (as Go's writer would have it). */
  private run(
    data: unknown,
    funcs: Record<string, Func>,
    opts: ExecuteOptions,
  ): { out: string; error?: StrataError } {
    const root =
      opts.structType !== undefined && isPlainObject(data) ? new GoStruct(data, opts.structType) : data;
    const state = new State(this.tree, funcs, opts.missingKey === 'error', nilToNoValue(root));
    try {
      state.walk(nilToNoValue(root), false, this.tree.root);
      return { out: state.out.join('') };
    } catch (e) {
      if (!(e instanceof StrataError)) throw e;
      return { out: state.out.join(''), error: e };
    }
  }

  /** Like execute with Docker's header functions (json, upper, truncate… pass their input through). */
  executeHeader(data: unknown): { out: string; error?: StrataError } {
    return this.run(data, HEADER_FUNCS, {});
  }
}

/** Parse a Go template as Docker's templates.Parse does (no preprocessing; see templateString). */
export function parseTemplate(text: string): Template {
  return new Template(
    text,
    parseTree(text, (name) => Object.hasOwn(DOCKER_FUNCS, name)),
  );
}

/** The Docker CLI's Format.IsTable: any format starting with "table". */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/**
 * The Docker CLI's Format.templateString: "json" becomes {{json .}}, a "table" prefix is cut, spaces
 * (only spaces) are trimmed from both ends, and the two-character escapes \t and \n become a tab and a
 * newline.
 */
export function stripTable(format: string): string {
  if (format === 'table') return '';
  if (format === 'json') return '{{json .}}';
  const body = isTableFormat(format) ? format.slice('table'.length) : format;
  return body.replace(/^ +| +$/g, '').replace(/\\[tn]/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

export interface RenderOptions {
  /** A --format value: "table …", "json" or a plain Go template. */
  format: string;
  /** One object per row; they are Go structs to the template (unknown fields fail). */
  rows: Record<string, unknown>[];
  /** Field name → column header ("ID" → "IMAGE"), executed through the same template for tables. */
  headers: Record<string, string>;
  /** Go type name of a row, for error messages (Docker: "*image.historyContext"). */
  rowType?: string;
}

/**
 * Render rows as Docker's formatter.Context.Write does: every row is the template plus "\n". A table
 * format also gets a header row (the template run against `headers` with header functions; its errors
 * are ignored, as in Docker) and goes through the tabwriter (minwidth 10, padding 3). A failing row
 * throws and nothing is printed.
 */
export function renderTableOrLines({ format, rows, headers, rowType = 'row' }: RenderOptions): string {
  const tmpl = parseTemplate(stripTable(format));
  let body = '';
  for (const row of rows) body += `${tmpl.execute(row, { structType: rowType })}\n`;
  if (!isTableFormat(format)) return body;
  const tw = new TabWriter(DOCKER_TABLE);
  tw.write(tmpl.executeHeader(headers).out);
  tw.write('\n');
  tw.write(body);
  return tw.flush();
}
