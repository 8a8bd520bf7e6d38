import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_KEYS,
  bindingsFrom,
  decodeInput,
  keymap,
  loadBindings,
  normaliseKey,
} from '../../src/tui/keys.js';

describe('decoding terminal input', () => {
  test('arrows, control keys, runs of text, Enter and Tab', () => {
    expect(decodeInput('\x1b[A')).toEqual([{ key: 'up' }]);
    expect(decodeInput('\x1bOB')).toEqual([{ key: 'down' }]);
    expect(decodeInput('\x1b[6~')).toEqual([{ key: 'pgdn' }]);
    expect(decodeInput('\x01\x12\x00')).toEqual([
      { key: 'ctrl+a' },
      { key: 'ctrl+r' },
      { key: 'ctrl+space' },
    ]);
    expect(decodeInput('jq ')).toEqual([{ key: 'j' }, { key: 'q' }, { key: 'space' }]);
    expect(decodeInput('\r\t\x7f\x1b')).toEqual([
      { key: 'enter' },
      { key: 'tab' },
      { key: 'backspace' },
      { key: 'esc' },
    ]);
    expect(decodeInput('\x1bx')).toEqual([{ key: 'alt+x' }]);
  });

  test('SGR mouse reports: left clicks and the wheel, 0-based cells', () => {
    expect(decodeInput('\x1b[<0;10;5M')).toEqual([{ mouse: { kind: 'click', x: 9, y: 4 } }]);
    expect(decodeInput('\x1b[<65;1;1M')).toEqual([{ mouse: { kind: 'wheelDown', x: 0, y: 0 } }]);
    expect(decodeInput('\x1b[<0;10;5m')).toEqual([]);
  });
});

describe('bindings', () => {
  test('a key means what its pane says first: ^A is aggregated in layers, hide-added in the tree', () => {
    const norm = Object.fromEntries(
      Object.entries(DEFAULT_KEYS).map(([a, ks]) => [a, ks.map((k) => normaliseKey(k) ?? k)]),
    ) as typeof DEFAULT_KEYS;
    expect(keymap(norm, 'layers').get('ctrl+a')).toBe('compareAll');
    expect(keymap(norm, 'tree').get('ctrl+a')).toBe('toggleAdded');
    // The terminal sends ^M as Enter: in the tree it is dive's "hide modified".
    expect(keymap(norm, 'tree').get('enter')).toBe('toggleModified');
    expect(keymap(norm, 'list').get('enter')).toBe('confirm');
    expect(keymap(norm, 'tree').get('q')).toBe('quit');
  });

  test('a config file rebinds actions; strings may list several keys', () => {
    const b = bindingsFrom({ keys: { quit: 'x,ctrl+q', search: ['ctrl+s'] } }, 'f.json');
    expect(b.quit).toEqual(['x', 'ctrl+q']);
    expect(b.search).toEqual(['ctrl+s']);
    expect(b.down).toEqual(DEFAULT_KEYS.down);
    expect(() => bindingsFrom({ keys: { fly: 'f' } }, 'f.json')).toThrow(/unknown action "fly"/);
    expect(() => bindingsFrom({ keys: { quit: 'ctrl+shift+meta+q' } }, 'f.json')).toThrow(/not a key/);
  });

  test('--keys FILE is read; a missing default file means the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-keys-'));
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: { quit: 'Q' } }));
    expect(loadBindings(file).quit).toEqual(['Q']);
    const saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = join(dir, 'none');
    try {
      expect(loadBindings()).toEqual(DEFAULT_KEYS);
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved;
    }
    expect(() => loadBindings(join(dir, 'missing.json'))).toThrow(/cannot be read/);
    writeFileSync(file, '{');
    expect(() => loadBindings(file)).toThrow(/not valid JSON/);
  });
});
