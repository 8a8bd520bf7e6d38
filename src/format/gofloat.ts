/**
 * Float formatting with Go's strconv.FormatFloat semantics ('e', 'f', 'g'; fixed or shortest precision).
 *
 * JavaScript's toPrecision/toFixed round exact ties away from zero, Go rounds them to even (1.125 with
 * three digits is "1.12" in Go, "1.13" in JS), so fixed precision works on the exact decimal expansion
 * of the double instead.
 */

/** A non-negative decimal 0.d₁d₂d₃… × 10^dp; `d` has no leading or trailing zeros ('' is zero). */
interface Decimal {
  d: string;
  dp: number;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The exact decimal value of |x| (every finite double has a finite decimal expansion). */
function exactDecimal(x: number): Decimal {
  f64[0] = Math.abs(x);
  const bits = u64[0]!;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp = -1074; // subnormals
  if (biased !== 0) {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (mant === 0n) return { d: '', dp: 0 };
  if (exp >= 0) {
    const s = (mant << BigInt(exp)).toString();
    return { d: s.replace(/0+$/, ''), dp: s.length };
  }
  // m / 2^k = m·5^k / 10^k
  const s = (mant * 5n ** BigInt(-exp)).toString();
  return { d: s.replace(/0+$/, ''), dp: s.length + exp };
}

/** The shortest digits that read back as |x|; JS and Go both pick the closest such string. */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  const [mant, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  return { d: mant.replace('.', '').replace(/0+$/, ''), dp: Number(exp) + 1 };
}

/** Round to nd significant digits, ties to even (Go's decimal.Round on an exact value). */
function roundDecimal(a: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= a.d.length) return a;
  const next = a.d.charCodeAt(nd) - 48;
  const exactHalf = next === 5 && nd + 1 === a.d.length;
  const up = exactHalf ? nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1 : next >= 5;
  if (!up) return { d: a.d.slice(0, nd).replace(/0+$/, ''), dp: a.dp };
  let i = nd - 1;
  while (i >= 0 && a.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: a.dp + 1 }; // 999… rounds up to 1000…
  return { d: a.d.slice(0, i) + String.fromCharCode(a.d.charCodeAt(i) + 1), dp: a.dp };
}

function digitAt(a: Decimal, i: number): string {
  return i >= 0 && i < a.d.length ? a.d[i]! : '0';
}

/** %e: one digit, `prec` decimals, exponent of at least two digits. */
function fmtE(a: Decimal, prec: number, e: 'e' | 'E'): string {
  let s = a.d.length === 0 ? '0' : a.d[0]!;
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(a, i);
  }
  const exp = a.d.length === 0 ? 0 : a.dp - 1;
  const abs = Math.abs(exp);
  return `${s}${e}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/** %f: all integer digits, `prec` decimals. */
function fmtF(a: Decimal, prec: number): string {
  let s = '';
  if (a.dp > 0) for (let i = 0; i < a.dp; i++) s += digitAt(a, i);
  else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(a, a.dp + i);
  }
  return s;
}

export type FloatFormat = 'e' | 'E' | 'f' | 'g' | 'G';

/**
 * strconv.FormatFloat(x, fmt, prec, 64). A negative prec asks for the fewest digits that round-trip.
 * NaN and infinities come out as Go spells them: "NaN", "+Inf", "-Inf".
 */
export function formatFloat(x: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const shortest = prec < 0;
  let a: Decimal;
  let p = prec;
  if (shortest) {
    a = shortestDecimal(x);
    const nd = a.d.length;
    p = fmt === 'f' ? Math.max(nd - a.dp, 0) : fmt === 'g' || fmt === 'G' ? nd : Math.max(nd - 1, 0);
  } else {
    a = exactDecimal(x);
    if (fmt === 'e' || fmt === 'E') a = roundDecimal(a, p + 1);
    else if (fmt === 'f') a = roundDecimal(a, a.dp + p);
    else {
      if (p === 0) p = 1;
      a = roundDecimal(a, p);
    }
  }
  if (fmt === 'e' || fmt === 'E') return sign + fmtE(a, p, fmt);
  if (fmt === 'f') return sign + fmtF(a, p);
  // %g: exponent form when the exponent is < -4 or >= the precision (6 when shortest).
  const nd = a.d.length;
  let eprec = p;
  if (eprec > nd && nd >= a.dp) eprec = nd;
  if (shortest) eprec = 6;
  const exp = a.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (p > nd) p = nd;
    return sign + fmtE(a, p - 1, fmt === 'g' ? 'e' : 'E');
  }
  if (p > a.dp) p = nd;
  return sign + fmtF(a, Math.max(p - a.dp, 0));
}
