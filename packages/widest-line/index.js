// ink measures every text node of every frame with widest-line, and string-width leaves its ASCII fast
// path on the explorer's box-drawing tree lines (Intl.Segmenter, emoji regexps: ~8 ms a key on the
// bench image). The explorer redraws mostly the same lines, so their widths are remembered here: the
// same answer as widest-line 6 (the widest string-width of the lines), from a map that forgets what
// two generations of LIMIT lines did not use.
import stringWidth from 'string-width';

const LIMIT = 4096;
let current = new Map();
let previous = new Map();

function lineWidth(line) {
  let width = current.get(line);
  if (width !== undefined) return width;
  width = previous.get(line) ?? stringWidth(line);
  if (current.size >= LIMIT) {
    previous = current;
    current = new Map();
  }
  current.set(line, width);
  return width;
}

export default function widestLine(text) {
  let widest = 0;
  for (const line of text.split('\n')) {
    const width = lineWidth(line);
    if (width > widest) widest = width;
  }
  return widest;
}
