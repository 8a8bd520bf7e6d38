/**
 * Go's text/tabwriter (elastic tabstops) as forked by the Docker CLI, which measures cells with
 * go-runewidth instead of counting runes.
 *
 * Input is cells terminated by '\t' (or '\v'), lines by '\n' (or '\f', which also flushes). Tab-
 * terminated cells in consecutive lines form a column block whose width is the widest cell plus
 * padding, at least minwidth. The text after a line's last tab belongs to no column and is never
 * padded; a line with no tab at all ends every open block. Escapes and HTML filtering are not
 * supported (the Docker CLI uses neither).
 */
import { displayWidth } from '../../format/text.js';

/** Go's flag bits, for the subset implemented here. */
export const AlignRight = 4;
export const DiscardEmptyColumns = 8;
export const TabIndent = 16;
export const Debug = 32;
const UNSUPPORTED_FLAGS = 1 | 2; // FilterHTML, StripEscape

export interface TabWriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
  flags: number;
}

/** tabwriter.NewWriter(out, 10, 1, 3, ' ', 0), as the Docker CLI's formatter uses it. */
export const DOCKER_TABLE: TabWriterOptions = {
  minwidth: 10,
  tabwidth: 1,
  padding: 3,
  padchar: ' ',
  flags: 0,
};

interface Cell {
  text: string;
  width: number;
  htab: boolean; // terminated by '\t' rather than '\v'
}

export class TabWriter {
  private readonly opts: TabWriterOptions;
  private lines: Cell[][] = [[]];
  private cell = ''; // text of the cell being collected
  private widths: number[] = []; // column widths of the enclosing blocks, while formatting
  private out: string[] = [];

  constructor(opts: Partial<TabWriterOptions> = {}) {
    this.opts = { ...DOCKER_TABLE, ...opts };
    const { minwidth, tabwidth, padding, padchar, flags } = this.opts;
    if (minwidth < 0 || tabwidth < 0 || padding < 0)
      throw new RangeError('negative minwidth, tabwidth, or padding');
    if (padchar.length !== 1) throw new RangeError('padchar must be one character');
    if (flags & UNSUPPORTED_FLAGS) throw new RangeError('FilterHTML and StripEscape are not supported');
    if (padchar === '\t') this.opts.flags &= ~AlignRight; // tab padding forces left alignment
  }

  /** Buffer text; output appears as soon as Go's writer would emit it (see flush). */
  write(text: string): this {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A line with a single cell cannot affect later columns, so everything so far can go out.
        if (ch === '\f' || ncells === 1) {
          this.flushBuffered();
          if (ch === '\f' && this.opts.flags & Debug) this.out.push('---\n');
        }
      }
    }
    this.cell += text.slice(start);
    return this;
  }

  /** Format what is buffered and return all output produced since the last flush. */
  flush(): string {
    if (this.cell.length > 0) this.terminateCell(false);
    this.flushBuffered();
    const s = this.out.join('');
    this.out = [];
    return s;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: displayWidth(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushBuffered(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  /**
   * Lay out lines [line0, line1). Column `widths.length` is the next one to the right: each run of
   * lines that has a cell in it (a block) gets one width, then its own columns to the right are
   * laid out recursively; lines outside any block are written with the widths known so far.
   */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    const hasCell = (i: number) => column < this.lines[i]!.length - 1; // the last cell is in no column
    let done = line0;
    for (let i = line0; i < line1; i++) {
      if (!hasCell(i)) continue;
      this.writeLines(done, i);
      const start = i;
      let width = this.opts.minwidth;
      let discardable = true;
      for (; i < line1 && hasCell(i); i++) {
        const c = this.lines[i]![column]!;
        width = Math.max(width, c.width + this.opts.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.opts.flags & DiscardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(start, i);
      this.widths.pop();
      done = i;
    }
    this.writeLines(done, line1);
  }

  private writeLines(line0: number, line1: number): void {
    const { flags } = this.opts;
    for (let i = line0; i < line1; i++) {
      let useTabs = (flags & TabIndent) !== 0; // only leading empty cells are tab-indented
      this.lines[i]!.forEach((c, j) => {
        if (j > 0 && flags & Debug) this.out.push('|');
        const width = this.widths[j];
        if (c.text.length === 0) {
          if (width !== undefined) this.pad(c.width, width, useTabs);
          return;
        }
        useTabs = false;
        if (flags & AlignRight) {
          if (width !== undefined) this.pad(c.width, width, false);
          this.out.push(c.text);
        } else {
          this.out.push(c.text);
          if (width !== undefined) this.pad(c.width, width, false);
        }
      });
      // The last buffered line has no newline yet; only its unterminated text (if any) goes out.
      this.out.push(i + 1 === this.lines.length ? this.cell : '\n');
    }
  }

  private pad(textWidth: number, cellWidth: number, useTabs: boolean): void {
    const { padchar, tabwidth } = this.opts;
    if (padchar === '\t' || useTabs) {
      if (tabwidth === 0) return; // tabs have no width: no padding possible
      const cw = Math.ceil(cellWidth / tabwidth) * tabwidth;
      this.out.push('\t'.repeat(Math.ceil((cw - textWidth) / tabwidth)));
      return;
    }
    this.out.push(padchar.repeat(cellWidth - textWidth));
  }
}

/**
 * Run complete lines (cells separated by '\t', no trailing newline needed) through a tabwriter and
 * return the text; every line ends with '\n'.
 */
export function formatTable(lines: string[], opts?: Partial<TabWriterOptions>): string {
  const tw = new TabWriter(opts);
  for (const line of lines) tw.write(`${line}\n`);
  return tw.flush();
}
