/**
 * Go's fmt and encoding/json output for plain JavaScript data, seen the way Go sees a value decoded from
 * JSON into `any`: strings, float64 numbers (integral ones print like Go ints), bools, nil,
 * []interface {} and map[string]interface {} (printed with sorted keys). GoStruct marks an object that
 * stands for a Go struct (Docker's formatter contexts): the template engine then reports unknown
 * fields instead of printing <no value>.
 */
import { formatFloat } from '../../format/gofloat.js';

export class GoStruct {
  constructor(
    readonly fields: Record<string, unknown>,
    readonly typeName: string,
  ) {}
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoStruct);
}

/**
 * Safe integers behave as Go ints (Docker's typed fields are int64); other numbers as float64, which
 * is also what a larger integer has become once parsed into a JS number.
 */
export function isGoInt(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || Number.isSafeInteger(v);
}

/** reflect.Type.String() of the Go value a JS value stands for. */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return isGoInt(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof GoStruct) return v.typeName;
  return 'map[string]interface {}';
}

/** Code point order, which is Go's byte order for UTF-8 strings (JS sorts by UTF-16 units). */
export function compareStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

export function sortedKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj).sort(compareStrings);
}

// ---------------------------------------------------------------------------------------------------
// strconv.Quote

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function quoteWith(s: string, quote: string): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === ' ' || PRINTABLE.test(ch)) out += ch;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp >= 0xd800 && cp <= 0xdfff)
      out += '\\ufffd'; // lone surrogate: not valid UTF-8
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}

/** strconv.Quote: a double-quoted Go string literal; printable Unicode is kept as is. */
export function goQuote(s: string): string {
  return quoteWith(s, '"');
}

// ---------------------------------------------------------------------------------------------------
// fmt

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid?: number;
  prec?: number;
}

const noFlags = (): Flags => ({ plus: false, minus: false, sharp: false, space: false, zero: false });

/** Width counts runes, as in Go. */
function pad(s: string, f: Flags, zeroOK = false): string {
  if (f.wid === undefined) return s;
  const n = f.wid - Array.from(s).length;
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  if (f.zero && zeroOK) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function signed(neg: boolean, digits: string, f: Flags): string {
  return (neg ? '-' : f.plus ? '+' : f.space ? ' ' : '') + digits;
}

const INT_PREFIXES: Record<string, string> = { b: '0b', o: '0', x: '0x', X: '0X' };

function fmtInteger(v: number | bigint, verb: string, f: Flags): string | undefined {
  const n = BigInt(v);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let digits: string;
  switch (verb) {
    case 'v':
    case 'd':
      digits = abs.toString();
      break;
    case 'b':
      digits = abs.toString(2);
      break;
    case 'o':
      digits = abs.toString(8);
      break;
    case 'x':
      digits = abs.toString(16);
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      break;
    case 'c':
      return pad(safeCodePoint(n), f);
    case 'q':
      return pad(quoteWith(safeCodePoint(n), "'"), f);
    case 'U':
      return pad(`U+${abs.toString(16).toUpperCase().padStart(4, '0')}`, f);
    default:
      return undefined;
  }
  if (f.prec !== undefined) digits = f.prec === 0 && abs === 0n ? '' : digits.padStart(f.prec, '0');
  if (f.sharp) digits = (INT_PREFIXES[verb] ?? '') + digits;
  return pad(signed(neg, digits, f), f, f.prec === undefined);
}

function safeCodePoint(n: bigint): string {
  return n >= 0n && n <= 0x10ffffn && !(n >= 0xd800n && n <= 0xdfffn)
    ? String.fromCodePoint(Number(n))
    : '\ufffd';
}

function fmtFloatVerb(v: number, verb: string, f: Flags): string | undefined {
  let s: string;
  switch (verb) {
    case 'v':
      s = formatFloat(v, 'g', f.prec ?? -1);
      break;
    case 'g':
    case 'G':
      s = formatFloat(v, verb, f.prec ?? -1);
      break;
    case 'e':
    case 'E':
      s = formatFloat(v, verb, f.prec ?? 6);
      break;
    case 'f':
    case 'F':
      s = formatFloat(v, 'f', f.prec ?? 6);
      break;
    default:
      return undefined;
  }
  if (s === 'NaN' || s.endsWith('Inf')) {
    if (s === '+Inf' && !f.plus) s = f.space ? ' Inf' : '+Inf';
    return pad(s, f);
  }
  const neg = s.startsWith('-');
  return pad(signed(neg, neg ? s.slice(1) : s, f), f, true);
}

function fmtString(s: string, verb: string, f: Flags): string | undefined {
  if (f.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q')) {
    s = Array.from(s).slice(0, f.prec).join('');
  }
  switch (verb) {
    case 'v':
    case 's':
      return pad(s, f);
    case 'q':
      return pad(goQuote(s), f);
    case 'x':
    case 'X': {
      const h = Buffer.from(s, 'utf8').toString('hex');
      return pad(verb === 'X' ? h.toUpperCase() : h, f);
    }
    default:
      return undefined;
  }
}

/** fmt's pp: prints one operand with a verb, recursing into slices and maps like printValue. */
function printArg(v: unknown, verb: string, f: Flags, depth: number): string {
  if (v === undefined || v === null) {
    // Nil inside a slice or map always prints <nil>; at the top only %v does.
    if (depth > 0 || verb === 'v') return pad('<nil>', f);
    return `%!${verb}(<nil>)`;
  }
  let s: string | undefined;
  if (typeof v === 'string') s = fmtString(v, verb, f);
  else if (typeof v === 'boolean') s = verb === 'v' || verb === 't' ? pad(String(v), f) : undefined;
  else if (isGoInt(v)) s = fmtInteger(v, verb, f);
  else if (typeof v === 'number') s = fmtFloatVerb(v, verb, f);
  else if (Array.isArray(v)) s = `[${v.map((e) => printArg(e, verb, f, depth + 1)).join(' ')}]`;
  else {
    const obj = v instanceof GoStruct ? v.fields : (v as Record<string, unknown>);
    const items = sortedKeys(obj).map(
      (k) => `${printArg(k, verb, f, depth + 1)}:${printArg(obj[k], verb, f, depth + 1)}`,
    );
    s = `map[${items.join(' ')}]`;
  }
  return s ?? `%!${verb}(${goTypeName(v)}=${printArg(v, 'v', f, depth)})`;
}

/** fmt.Sprint of one value: the default format (%v). */
export function formatValue(v: unknown): string {
  return printArg(v, 'v', noFlags(), 0);
}

/** fmt.Sprint: operands in their default format, a space between two operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatValue(a);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands and a final newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

/**
 * fmt.Sprintf for the common verbs (%v %s %d %q %t %x %X %o %b %c %U %e %f %g and %%) with flags
 * "+-# 0", width and precision (numbers or *). Mistakes print as Go prints them: %!d(string=x),
 * %!s(MISSING), %!(EXTRA int=1), %!(NOVERB). Explicit argument indexes ([n]) are not supported.
 */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argNum = 0;
  let i = 0;
  const n = format.length;
  const readNum = (): number | undefined => {
    const m = /^\d+/.exec(format.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f = noFlags();
    for (; i < n; i++) {
      const c = format[i];
      if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = !f.minus;
      else if (c === '+') f.plus = true;
      else if (c === '-') {
        f.minus = true;
        f.zero = false;
      } else if (c === ' ') f.space = true;
      else break;
    }
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (isGoInt(w)) {
        f.wid = Number(w);
        if (f.wid < 0) {
          f.minus = true;
          f.zero = false;
          f.wid = -f.wid;
        }
      } else out += '%!(BADWIDTH)';
    } else f.wid = readNum();
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (isGoInt(p) && Number(p) >= 0) f.prec = Number(p);
        else out += '%!(BADPREC)';
      } else f.prec = readNum() ?? 0;
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') out += '%';
    else if (argNum >= args.length) out += `%!${verb}(MISSING)`;
    else out += printArg(args[argNum++], verb, f, 0);
  }
  if (argNum < args.length) {
    const extra = args
      .slice(argNum)
      .map((a) => (a === undefined || a === null ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// encoding/json

const JSON_ESCAPES: Record<string, string> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * A JSON string as Go's encoder writes it with SetEscapeHTML(false): <, > and & stay, U+2028/U+2029
 * are always escaped, \b and \f use short escapes (Go 1.22+), other controls \u00xx.
 */
export function goJSONString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp < 0x20) out += JSON_ESCAPES[ch] ?? `\\u${hex(cp, 4)}`;
    else if (cp === 0x2028 || cp === 0x2029) out += `\\u${hex(cp, 4)}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Compact JSON as Docker's template `json` function produces it. docker/cli templates/templates.go
 * (formatJSON) uses json.NewEncoder with SetEscapeHTML(false) and strings.TrimSpace on the result, so
 * unlike json.Marshal it leaves <, > and & alone and has no trailing newline. Object keys keep the JS
 * object's order (sort them first to mimic a Go map); members whose value is undefined are left out;
 * undefined itself is null.
 */
export function goJSON(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return goJSONString(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`json: unsupported value: ${formatFloat(v, 'g', -1)}`);
    // JS and Go agree on shortest digits and on the exponent form below 1e-6 and from 1e21.
    return Object.is(v, -0) ? '-0' : String(v);
  }
  if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
  const obj = v instanceof GoStruct ? v.fields : (v as Record<string, unknown>);
  const members: string[] = [];
  for (const [k, val] of Object.entries(obj)) {
    if (val !== undefined) members.push(`${goJSONString(k)}:${goJSON(val)}`);
  }
  return `{${members.join(',')}}`;
}
