/** WWW-Authenticate parsing (RFC 7235): `Bearer realm="…",service="…"`, several challenges allowed. */

export interface Challenge {
  /** Lower-case scheme: basic, bearer… */
  scheme: string;
  /** Parameters with lower-case names. */
  params: Record<string, string>;
}

class Scanner {
  i = 0;
  constructor(readonly s: string) {}
  skip(chars: RegExp): void {
    while (this.i < this.s.length && chars.test(this.s[this.i]!)) this.i++;
  }
  peek(): string | undefined {
    return this.s[this.i];
  }
  token(): string {
    const start = this.i;
    while (this.i < this.s.length && !/[\s,=]/.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }
  quoted(): string {
    let out = '';
    this.i++; // opening quote
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      if (this.s[this.i] === '\\' && this.i + 1 < this.s.length) this.i++;
      out += this.s[this.i++];
    }
    this.i++; // closing quote
    return out;
  }
  done(): boolean {
    return this.i >= this.s.length;
  }
}

/** Parse every challenge from one or more WWW-Authenticate header values. */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) {
    const sc = new Scanner(value);
    let current: Challenge | undefined;
    while (!sc.done()) {
      sc.skip(/[\s,]/);
      if (sc.done()) break;
      const word = sc.token();
      sc.skip(/\s/);
      if (sc.peek() === '=' && current !== undefined) {
        sc.i++;
        sc.skip(/\s/);
        current.params[word.toLowerCase()] = sc.peek() === '"' ? sc.quoted() : sc.token();
      } else if (word !== '') {
        current = { scheme: word.toLowerCase(), params: {} };
        out.push(current);
      } else {
        sc.i++; // a stray '=' or similar: step over it
      }
    }
  }
  return out;
}

/** The challenge strata can answer, Bearer preferred over Basic. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
