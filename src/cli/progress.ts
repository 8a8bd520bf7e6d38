import type { LayerEvent } from '../copy/events.js';
import { humanSize } from '../format/units.js';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

/** Where progress goes and how: a terminal redraws lines in place, anything else gets one line per change. */
export interface ProgressSink {
  /** A line not tied to a layer (TAG: Pulling from REPO, Digest: …, Status: …). */
  message(text: string): void;
  layer(event: LayerEvent): void;
}

/** Docker's progress bar: 50 columns of '=', a '>' head, then current/total in go-units sizes. */
export function progressBar(current: number, total: number, width = 200): string {
  if (total <= 0) return '';
  const pct = Math.min(Math.floor(Math.floor((current / total) * 100) / 2), 50);
  const bar = width > 110 ? `[${'='.repeat(pct)}>${' '.repeat(50 - pct)}] ` : '';
  const numbers =
    current > total
      ? humanSize(current).padStart(8)
      : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

export function createProgress(
  mode: ProgressMode,
  write: (text: string) => void,
  columns = 200,
): ProgressSink {
  switch (mode) {
    case 'quiet':
      return { message: () => {}, layer: () => {} };
    case 'json':
      return {
        message: (text) => write(`${JSON.stringify({ status: text })}\n`),
        layer: (e) =>
          write(
            `${JSON.stringify({
              status: e.status,
              ...(e.current !== undefined
                ? { progressDetail: { current: e.current, total: e.total } }
                : { progressDetail: {} }),
              id: e.id,
            })}\n`,
          ),
      };
    case 'plain':
      // As the docker CLI does without a terminal: byte counts are not news, state changes are.
      return {
        message: (text) => write(`${text}\n`),
        layer: (e) => {
          if ((e.current ?? 0) > 0 && e.status !== 'Extracting') return;
          if (e.status === 'Extracting') return;
          write(`${e.id}: ${e.status}\n`);
        },
      };
    case 'tty':
      return ttyProgress(write, columns);
  }
}

/** One line per layer, redrawn in place with cursor movement, as the docker CLI draws on a terminal. */
function ttyProgress(write: (text: string) => void, columns: number): ProgressSink {
  const lines = new Map<string, number>();
  let count = 0;
  return {
    message: (text) => {
      lines.clear();
      count = 0;
      write(`${text}\n`);
    },
    layer: (e) => {
      let line = lines.get(e.id);
      if (line === undefined) {
        line = count++;
        lines.set(e.id, line);
        write('\n');
      }
      const up = count - line;
      const bar =
        e.current !== undefined && e.total !== undefined ? progressBar(e.current, e.total, columns) : '';
      write(`\x1b[${up}A\x1b[2K\r${e.id}: ${e.status} ${bar}\r\x1b[${up}B`);
    },
  };
}
