/**
 * Keys: raw terminal input decoded into key names ('ctrl+a', 'down', 'q', …) and mouse events, the
 * default bindings (dive's keys, plus strata's own), and a JSON file that rebinds them.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StrataError } from '../errors.js';

/** Every action a key can be bound to. */
export const ACTIONS = {
  quit: 'quit',
  toggleView: 'switch between the layers and the file tree',
  up: 'move up',
  down: 'move down',
  left: 'file tree: go to the parent directory',
  right: 'file tree: open a directory and enter it',
  pageUp: 'a page up',
  pageDown: 'a page down',
  home: 'to the top',
  end: 'to the bottom',
  compareLayer: "layers: show the selected layer's changes",
  compareAll: 'layers: show all changes since the base layer (aggregated)',
  toggleCollapse: 'file tree: collapse or expand a directory',
  toggleCollapseAll: 'file tree: collapse or expand every directory',
  toggleAdded: 'file tree: hide or show added paths',
  toggleRemoved: 'file tree: hide or show removed paths',
  toggleModified: 'file tree: hide or show modified paths',
  toggleUnmodified: 'file tree: hide or show unmodified paths',
  filter: 'filter the file tree by a regular expression',
  toggleAttributes: 'file tree: hide or show mode, owner and size',
  toggleSort: 'file tree: sort by name or by size',
  search: 'search the file tree (a regular expression)',
  nextMatch: 'next search match',
  prevMatch: 'previous search match',
  largest: 'the largest files of the whole image',
  view: "view the selected file's content at the selected layer",
  extract: 'extract the selected file (or directory) into the current directory',
  platforms: 'pick another platform of a multi-platform image',
  help: 'show the keys',
  close: 'close a view, a prompt or the help',
  confirm: 'confirm (prompts and lists)',
} as const;

export type Action = keyof typeof ACTIONS;

/** dive's defaults, with q kept for quit as dive's README says, and strata's additions. */
export const DEFAULT_KEYS: Record<Action, string[]> = {
  quit: ['q', 'ctrl+c'],
  toggleView: ['tab'],
  up: ['up', 'k'],
  down: ['down', 'j'],
  left: ['left', 'h'],
  right: ['right', 'l'],
  pageUp: ['pgup', 'u'],
  pageDown: ['pgdn', 'd'],
  home: ['home', 'g'],
  end: ['end', 'G'],
  compareLayer: ['ctrl+l'],
  compareAll: ['ctrl+a'],
  toggleCollapse: ['space'],
  toggleCollapseAll: ['ctrl+space'],
  toggleAdded: ['ctrl+a'],
  toggleRemoved: ['ctrl+r'],
  toggleModified: ['ctrl+m'],
  toggleUnmodified: ['ctrl+u'],
  filter: ['ctrl+f', 'ctrl+/'],
  toggleAttributes: ['ctrl+b'],
  toggleSort: ['ctrl+o'],
  search: ['/'],
  nextMatch: ['n'],
  prevMatch: ['N'],
  largest: ['L'],
  view: ['v'],
  extract: ['e', 'ctrl+e'],
  platforms: ['p'],
  help: ['?'],
  close: ['esc'],
  confirm: ['enter'],
};

/** Where an action applies; a key may mean one thing in the layers pane and another in the tree. */
export type KeyContext = 'layers' | 'tree' | 'list';

const CONTEXT_ACTIONS: Record<KeyContext, ReadonlySet<Action>> = {
  layers: new Set<Action>(['compareLayer', 'compareAll']),
  tree: new Set<Action>([
    'left',
    'right',
    'toggleCollapse',
    'toggleCollapseAll',
    'toggleAdded',
    'toggleRemoved',
    'toggleModified',
    'toggleUnmodified',
    'filter',
    'toggleAttributes',
    'toggleSort',
    'search',
    'nextMatch',
    'prevMatch',
    'view',
    'extract',
  ]),
  list: new Set<Action>(['confirm', 'extract', 'view']),
};

/** Actions that apply everywhere (outside a prompt). */
const GLOBAL: ReadonlySet<Action> = new Set<Action>([
  'quit',
  'toggleView',
  'up',
  'down',
  'pageUp',
  'pageDown',
  'home',
  'end',
  'largest',
  'platforms',
  'help',
  'close',
  'filter',
  'toggleAttributes',
  'toggleSort',
]);

/** Key names the terminal cannot tell apart are one key: ctrl+m is Enter, ctrl+i is Tab. */
const ALIASES: Record<string, string> = {
  'ctrl+m': 'enter',
  'ctrl+j': 'enter',
  'ctrl+i': 'tab',
  'ctrl+[': 'esc',
  'ctrl+h': 'backspace',
  'ctrl+_': 'ctrl+/',
  'ctrl+@': 'ctrl+space',
  escape: 'esc',
  return: 'enter',
  pageup: 'pgup',
  pagedown: 'pgdn',
};

const NAMED = new Set([
  'up',
  'down',
  'left',
  'right',
  'tab',
  'shift+tab',
  'enter',
  'esc',
  'space',
  'backspace',
  'delete',
  'pgup',
  'pgdn',
  'home',
  'end',
  'ctrl+space',
  'ctrl+/',
]);

/** A key name in its one canonical spelling, or undefined when it names no key. */
export function normaliseKey(name: string): string | undefined {
  const lower = name.length === 1 ? name : name.toLowerCase();
  const key = ALIASES[lower] ?? lower;
  if (NAMED.has(key)) return key;
  if (/^[\x21-\x7e]$/.test(key)) return key;
  if (/^ctrl\+[a-z]$/.test(key)) return key;
  if (/^alt\+[\x21-\x7e]$/.test(key)) return key;
  return undefined;
}

export type Bindings = Record<Action, string[]>;

/** The lookup for one context: key name → action, the context's own actions first. */
export function keymap(bindings: Bindings, context: KeyContext): Map<string, Action> {
  const out = new Map<string, Action>();
  const add = (filter: (a: Action) => boolean) => {
    for (const action of Object.keys(bindings) as Action[]) {
      if (!filter(action)) continue;
      for (const key of bindings[action]) if (!out.has(key)) out.set(key, action);
    }
  };
  add((a) => CONTEXT_ACTIONS[context].has(a));
  add((a) => GLOBAL.has(a));
  return out;
}

/** Bindings from a parsed config ({"keys": {"quit": "q,ctrl+c", …}}) over the defaults. */
export function bindingsFrom(config: unknown, where: string): Bindings {
  const out: Bindings = { ...DEFAULT_KEYS };
  if (config === undefined) return out;
  const keys = (config as { keys?: unknown })?.keys;
  if (typeof config !== 'object' || config === null || (keys !== undefined && typeof keys !== 'object'))
    throw new StrataError('usage', `${where}: want {"keys": {"action": "key,key", …}}`);
  for (const [action, value] of Object.entries((keys ?? {}) as Record<string, unknown>)) {
    if (!(action in ACTIONS))
      throw new StrataError('usage', `${where}: unknown action "${action}"`, {
        hint: `actions: ${Object.keys(ACTIONS).join(', ')}`,
      });
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
    if (!list || list.some((k) => typeof k !== 'string'))
      throw new StrataError('usage', `${where}: "${action}" wants a key or a list of keys`);
    out[action as Action] = list.map((k: string) => {
      const key = normaliseKey(k.trim());
      if (!key) throw new StrataError('usage', `${where}: "${action}": "${k}" is not a key strata knows`);
      return key;
    });
  }
  return out;
}

/** The config file: --keys FILE, else $XDG_CONFIG_HOME/strata/explore.json (~/.config/…) if present. */
export function loadBindings(file?: string): Bindings {
  const path =
    file ?? join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'strata', 'explore.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (file === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_KEYS };
    throw new StrataError('not-found', `key bindings ${path}: cannot be read`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StrataError('usage', `key bindings ${path}: not valid JSON: ${(err as Error).message}`);
  }
  return bindingsFrom(parsed, path);
}

export interface MouseEvent {
  kind: 'click' | 'wheelUp' | 'wheelDown';
  /** 0-based cell. */
  x: number;
  y: number;
}

export type InputEvent = { key: string } | { mouse: MouseEvent };

const CSI_KEYS: Record<string, string> = {
  '[A': 'up',
  '[B': 'down',
  '[C': 'right',
  '[D': 'left',
  OA: 'up',
  OB: 'down',
  OC: 'right',
  OD: 'left',
  '[H': 'home',
  '[F': 'end',
  OH: 'home',
  OF: 'end',
  '[1~': 'home',
  '[4~': 'end',
  '[7~': 'home',
  '[8~': 'end',
  '[5~': 'pgup',
  '[6~': 'pgdn',
  '[3~': 'delete',
  '[Z': 'shift+tab',
};

/** An SGR mouse report (ESC [ < b ; x ; y M): presses of the left button and wheel turns. */
function decodeMouse(seq: string): MouseEvent | undefined {
  const m = /^\x1b\[<(\d+);(\d+);(\d+)M$/.exec(seq);
  if (!m) return undefined;
  const button = Number(m[1]);
  const at = { x: Number(m[2]) - 1, y: Number(m[3]) - 1 };
  if (button === 0) return { kind: 'click', ...at };
  if (button === 64) return { kind: 'wheelUp', ...at };
  if (button === 65) return { kind: 'wheelDown', ...at };
  return undefined;
}

/** One control character as a key name. */
function controlKey(code: number): string | undefined {
  if (code === 0) return 'ctrl+space';
  if (code === 9) return 'tab';
  if (code === 10 || code === 13) return 'enter';
  if (code === 27) return 'esc';
  if (code === 8 || code === 127) return 'backspace';
  if (code === 31) return 'ctrl+/';
  if (code >= 1 && code <= 26) return `ctrl+${String.fromCharCode(96 + code)}`;
  return undefined;
}

/**
 * One chunk of input as the terminal sent it (ink hands escape sequences over one at a time, plain
 * characters in runs) as events: keys, mouse reports, and printable text for prompts.
 */
export function decodeInput(raw: string): InputEvent[] {
  if (raw.startsWith('\x1b') && raw.length > 1) {
    const mouse = decodeMouse(raw);
    if (mouse) return [{ mouse }];
    const csi = CSI_KEYS[raw.slice(1)];
    if (csi) return [{ key: csi }];
    if (raw.length === 2) {
      const ch = raw[1] as string;
      return [{ key: ch === ' ' ? 'alt+space' : `alt+${ch}` }];
    }
    return [];
  }
  const out: InputEvent[] = [];
  for (const ch of raw) {
    const code = ch.codePointAt(0) as number;
    const control = code < 32 || code === 127 ? controlKey(code) : undefined;
    if (control) out.push({ key: control });
    else if (ch === ' ') out.push({ key: 'space' });
    else if (code >= 32) out.push({ key: ch });
  }
  return out;
}
