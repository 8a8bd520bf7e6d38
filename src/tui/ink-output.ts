/**
 * ink's frame composer, with memory between frames. ink 6.8 builds every frame from nothing: each
 * line of each text is cut to its clip, split into styled cells and measured, and every row is turned
 * back into a string, with caches that die with the frame. A key press in the explorer changes a few
 * rows of the 40 on screen, so most of that work is repeated. This composer does what ink's does,
 * cell for cell (the test compares the two on random frames), but remembers lines it has split, cuts
 * it has made and rows whose cells are the same objects as last frame's, and writes a row's style codes
 * only where its style set changes.
 *
 * It replaces `get` on ink's own Output class (found by file, as ink does not export it), and only on
 * the ink version it was checked against; any other version is left as it is.
 */
import { readFileSync } from 'node:fs';
import {
  type AnsiCode,
  type StyledChar,
  ansiCodesToString,
  diffAnsiCodes,
  styledCharsFromTokens,
  tokenize,
} from '@alcalzone/ansi-tokenize';
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';

/** The ink release whose Output this composer matches. */
export const INK_VERSION = '6.8.0';

type Clip = { x1?: number; x2?: number; y1?: number; y2?: number };
type Operation =
  | {
      type: 'write';
      x: number;
      y: number;
      text: string;
      transformers: ((line: string, index: number) => string)[];
    }
  | { type: 'clip'; clip: Clip }
  | { type: 'unclip' };

/** The shape of ink's Output that the composer reads. */
export interface InkOutput {
  width: number;
  height: number;
  operations: Operation[];
  get(): { output: string; height: number };
}

/** A map that forgets what was not used in the last two generations of `limit` entries. */
export class RecentMap<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    const hit = this.current.get(key);
    if (hit !== undefined) return hit;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.current.size >= this.limit) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}

function remembered<V>(map: RecentMap<V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** An empty cell. Shared: cells are only read once placed, by ink and by this composer. */
const BLANK: StyledChar = Object.freeze({
  type: 'char',
  value: ' ',
  fullWidth: false,
  styles: [],
}) as StyledChar;

/**
 * The style sets cells carry, one array per distinct set (a screen uses a few dozen), so that equal
 * sets are the same array and the codes between two sets are worked out once.
 */
export class StyleSets {
  private readonly sets = new Map<string, AnsiCode[]>([['', BLANK.styles]]);
  private readonly between = new Map<AnsiCode[], Map<AnsiCode[], string>>();

  /** The one array for this set of codes. */
  one(codes: AnsiCode[]): AnsiCode[] {
    const key = codes.map((c) => `${c.code}\u0000${c.endCode}`).join('\u0001');
    let set = this.sets.get(key);
    if (!set) {
      set = codes;
      this.sets.set(key, set);
    }
    return set;
  }

  /** The codes that turn styles `from` into `to`: what ansi-tokenize's styledCharsToString writes. */
  private transition(from: AnsiCode[], to: AnsiCode[]): string {
    let row = this.between.get(from);
    if (!row) {
      row = new Map();
      this.between.set(from, row);
    }
    let codes = row.get(to);
    if (codes === undefined) {
      codes = ansiCodesToString(diffAnsiCodes(from, to));
      row.set(to, codes);
    }
    return codes;
  }

  /** A row of cells as a string: each character, with codes only where the style set changes. */
  row(cells: readonly (StyledChar | undefined)[]): string {
    let out = '';
    let styles = BLANK.styles;
    for (const cell of cells) {
      if (cell === undefined) continue;
      if (cell.styles !== styles) {
        out += this.transition(styles, cell.styles);
        styles = cell.styles;
      }
      out += cell.value;
    }
    return out + this.transition(styles, BLANK.styles);
  }
}

/** A line split into styled cells, with the columns of each when some take more than one. */
interface SplitLine {
  cells: StyledChar[];
  widths?: number[];
}

/** What a composer keeps between frames. */
export class FrameMemory {
  // A frame of the explorer writes ~150 lines: these keep the last few frames' worth, no more (a
  // line's cells are ~120 objects).
  readonly cells = new RecentMap<SplitLine>(512);
  readonly widths = new RecentMap<number>(2048);
  readonly blockWidths = new RecentMap<number>(512);
  readonly cuts = new RecentMap<string>(512);
  readonly styles = new StyleSets();
  /** Last frame's rows by index: the cells placed and the string they made. */
  rows: { cells: StyledChar[]; text: string }[] = [];

  width(text: string): number {
    return remembered(this.widths, text, () => stringWidth(text));
  }

  widestLine(text: string): number {
    return remembered(this.blockWidths, text, () => {
      let widest = 0;
      for (const line of text.split('\n')) widest = Math.max(widest, this.width(line));
      return widest;
    });
  }

  /** A line's cells and the columns each takes (none when every cell takes one, as most do). */
  styledCells(line: string): SplitLine {
    return remembered(this.cells, line, () => {
      const cells = styledCharsFromTokens(tokenize(line));
      for (const cell of cells) cell.styles = this.styles.one(cell.styles);
      const widths = cells.map((cell) => Math.max(1, this.width(cell.value)));
      return { cells, widths: widths.every((w) => w === 1) ? undefined : widths };
    });
  }

  cut(line: string, from: number, to: number): string {
    return remembered(this.cuts, `${from}:${to}:${line}`, () => sliceAnsi(line, from, to));
  }

  /** The row's string, from last frame when every cell is the same object in the same place. */
  rowText(index: number, cells: StyledChar[]): string {
    const last = this.rows[index];
    if (last && last.cells.length === cells.length && last.cells.every((cell, i) => cell === cells[i]))
      return last.text;
    const text = this.styles.row(cells).trimEnd();
    this.rows[index] = { cells, text };
    return text;
  }
}

/** Place one write's lines into the grid, clipped as ink clips them. */
function place(
  grid: StyledChar[][],
  op: Extract<Operation, { type: 'write' }>,
  clip: Clip | undefined,
  memory: FrameMemory,
): void {
  let { x, y } = op;
  let lines = op.text.split('\n');
  if (clip) {
    const clipsX = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
    const clipsY = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
    if (clipsX && (x + memory.widestLine(op.text) < (clip.x1 as number) || x > (clip.x2 as number))) return;
    if (clipsY && (y + lines.length < (clip.y1 as number) || y > (clip.y2 as number))) return;
    if (clipsX) {
      const [x1, x2] = [clip.x1 as number, clip.x2 as number];
      lines = lines.map((line) => {
        const width = memory.width(line);
        return memory.cut(line, x < x1 ? x1 - x : 0, x + width > x2 ? x2 - x : width);
      });
      if (x < x1) x = x1;
    }
    if (clipsY) {
      const [y1, y2] = [clip.y1 as number, clip.y2 as number];
      const from = y < y1 ? y1 - y : 0;
      lines = lines.slice(from, y + lines.length > y2 ? y2 - y : lines.length);
      if (y < y1) y = y1;
    }
  }
  let row = y;
  lines.forEach((original, index) => {
    const cells = grid[row];
    // Like ink: a line below the grid is dropped without moving on a row.
    if (!cells) return;
    let line = original;
    for (const transform of op.transformers) line = transform(line, index);
    const { cells: split, widths } = memory.styledCells(line);
    if (!widths) {
      for (let i = 0; i < split.length; i++) cells[x + i] = split[i] as StyledChar;
    } else {
      let column = x;
      split.forEach((cell, i) => {
        const width = widths[i] ?? 1;
        cells[column] = cell;
        for (let j = 1; j < width; j++)
          cells[column + j] = { type: 'char', value: '', fullWidth: false, styles: cell.styles };
        column += width;
      });
    }
    row++;
  });
}

/** Compose a frame from ink's operations, as ink's own `Output.get` does. */
export function composeFrame(output: InkOutput, memory: FrameMemory): { output: string; height: number } {
  const grid: StyledChar[][] = [];
  for (let y = 0; y < output.height; y++) grid.push(new Array<StyledChar>(output.width).fill(BLANK));
  const clips: Clip[] = [];
  for (const op of output.operations) {
    if (op.type === 'clip') clips.push(op.clip);
    else if (op.type === 'unclip') clips.pop();
    else place(grid, op, clips.at(-1), memory);
  }
  return { output: grid.map((cells, y) => memory.rowText(y, cells)).join('\n'), height: grid.length };
}

/** ink's Output class, found beside ink's entry point; undefined when ink is not the checked version. */
export async function inkOutputClass(): Promise<{ prototype: InkOutput } | undefined> {
  const entry = new URL(import.meta.resolve('ink'));
  const pkg = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as { version?: string };
  if (pkg.version !== INK_VERSION) return undefined;
  const module = (await import(new URL('./output.js', entry).href)) as { default?: { prototype: InkOutput } };
  return typeof module.default?.prototype?.get === 'function' ? module.default : undefined;
}

let installed = false;

/** Have ink compose its frames with memory between them. Once per process; false if ink is not the checked version. */
export async function rememberFrames(): Promise<boolean> {
  if (installed) return true;
  // ink laid out differently (bundled, another release): its own composer is as correct, only slower.
  const Output = await inkOutputClass().catch(() => undefined);
  if (!Output) return false;
  const memory = new FrameMemory();
  Output.prototype.get = function composeWithMemory(this: InkOutput) {
    return composeFrame(this, memory);
  };
  installed = true;
  return true;
}
