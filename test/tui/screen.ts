/**
 * A minimal terminal: enough of VT100/xterm to replay what ink writes (cursor moves, erasing, line
 * feeds with scrolling; colours and modes ignored) into a grid of characters a test can read.
 */
export class Screen {
  private grid: string[][];
  private x = 0;
  private y = 0;
  private pending = '';

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => this.blank());
  }

  private blank(): string[] {
    return Array.from({ length: this.cols }, () => ' ');
  }

  /** The screen as text, trailing spaces cut. */
  text(): string {
    return this.grid.map((row) => row.join('').trimEnd()).join('\n');
  }

  line(y: number): string {
    return (this.grid[y] ?? []).join('').trimEnd();
  }

  feed(data: string): void {
    const s = this.pending + data;
    this.pending = '';
    let i = 0;
    while (i < s.length) {
      const ch = s[i] as string;
      if (ch === '\x1b') {
        const used = this.escape(s, i);
        if (used === 0) {
          this.pending = s.slice(i);
          return;
        }
        i += used;
        continue;
      }
      if (ch === '\r') this.x = 0;
      else if (ch === '\n') this.lineFeed();
      else if (ch === '\b') this.x = Math.max(0, this.x - 1);
      else if (ch >= ' ') this.put(ch);
      i += ch.length;
    }
  }

  private put(ch: string): void {
    if (this.x >= this.cols) {
      this.x = 0;
      this.lineFeed();
    }
    (this.grid[this.y] as string[])[this.x] = ch;
    this.x++;
  }

  private lineFeed(): void {
    if (this.y === this.rows - 1) {
      this.grid.shift();
      this.grid.push(this.blank());
    } else this.y++;
  }

  /** Length of the escape sequence at i that was handled or skipped; 0 when it is not complete yet. */
  private escape(s: string, i: number): number {
    const next = s[i + 1];
    if (next === undefined) return 0;
    if (next === '[') {
      const m = /^\x1b\[([?<>=]?)([\d;]*)([\x20-\x2f]*)([\x40-\x7e])/.exec(s.slice(i, i + 64));
      if (!m) return s.length - i < 64 ? 0 : 2;
      this.csi(
        m[1] as string,
        (m[2] as string).split(';').map((n) => (n === '' ? undefined : Number(n))),
        m[4] as string,
      );
      return m[0].length;
    }
    if (next === ']') {
      const end = s.indexOf('\x07', i);
      return end < 0 ? 0 : end - i + 1;
    }
    return 2;
  }

  private csi(priv: string, args: (number | undefined)[], final: string): void {
    const n = args[0] ?? 1;
    if (priv === '?') {
      if (args[0] === 1049) this.clear(2);
      return;
    }
    switch (final) {
      case 'A':
        this.y = Math.max(0, this.y - n);
        break;
      case 'B':
        this.y = Math.min(this.rows - 1, this.y + n);
        break;
      case 'C':
        this.x = Math.min(this.cols - 1, this.x + n);
        break;
      case 'D':
        this.x = Math.max(0, this.x - n);
        break;
      case 'E':
        this.y = Math.min(this.rows - 1, this.y + n);
        this.x = 0;
        break;
      case 'F':
        this.y = Math.max(0, this.y - n);
        this.x = 0;
        break;
      case 'G':
        this.x = Math.min(this.cols - 1, n - 1);
        break;
      case 'H':
      case 'f':
        this.y = Math.min(this.rows - 1, (args[0] ?? 1) - 1);
        this.x = Math.min(this.cols - 1, (args[1] ?? 1) - 1);
        break;
      case 'J':
        this.clear(args[0] ?? 0);
        break;
      case 'K':
        this.eraseLine(args[0] ?? 0);
        break;
    }
  }

  private clear(mode: number): void {
    if (mode === 0) {
      this.eraseLine(0);
      for (let y = this.y + 1; y < this.rows; y++) this.grid[y] = this.blank();
    } else if (mode === 1) {
      this.eraseLine(1);
      for (let y = 0; y < this.y; y++) this.grid[y] = this.blank();
    } else this.grid = Array.from({ length: this.rows }, () => this.blank());
  }

  private eraseLine(mode: number): void {
    const row = this.grid[this.y] as string[];
    const [from, to] = mode === 0 ? [this.x, this.cols] : mode === 1 ? [0, this.x + 1] : [0, this.cols];
    for (let x = from; x < to; x++) row[x] = ' ';
  }
}
