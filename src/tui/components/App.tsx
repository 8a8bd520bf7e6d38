/**
 * The explorer's screen: the panes drawn from the loader's snapshot and the UI state, input decoded
 * and turned into state changes (pure, in state.ts), and the effects those ask for run here.
 */
import { Box, useApp, useStdin, useStdout } from 'ink';
import { type ReactNode, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { type Bindings, type KeyContext, decodeInput, keymap, normaliseKey } from '../keys.js';
import { computeLayout, hitTest, type Layout } from '../layout.js';
import type { Loader, Snapshot } from '../load.js';
import { type TreeModel, type TreeParams, compile } from '../model.js';
import { matchRows } from '../rows.js';
import {
  type Effect,
  type Env,
  type Msg,
  type UiState,
  initialState,
  keepVisible,
  resolveCursor,
  update,
} from '../state.js';
import { runEffect } from '../effects.js';
import { markInput } from '../trace.js';
import { ImageDetails, LayerDetails } from './DetailsPanes.js';
import { FileTree } from './FileTree.js';
import { LayersPane } from './LayersPane.js';
import { HelpPane, LargestPane, PlatformsPane, ViewerPane } from './Overlays.js';
import { StatusBar } from './StatusBar.js';
import { CompareSummary, compareColumns } from './ComparePanes.js';

export interface AppProps {
  loader: Loader;
  bindings: Bindings;
  /** Where `e` writes. */
  extractDir: string;
  /** Switch to another platform of a multi-platform image. */
  onPlatform?: (index: number) => void;
}

/** The terminal's size, following resizes. */
function useTerminalSize(): { cols: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ cols: stdout.columns || 120, rows: stdout.rows || 40 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return size;
}

/** The tree's parameters: compare mode always shows B against A (the timeline's layer 1). */
function paramsOf(s: UiState, snap: Snapshot): TreeParams {
  const compare = snap.compare !== undefined;
  return {
    layer: compare ? 1 : s.layer,
    mode: compare ? 'layer' : s.mode,
    hide: s.hide,
    filter: s.filter,
    collapsed: s.collapsed,
    sort: s.sort,
  };
}

interface Ctx {
  snap: Snapshot;
  model: TreeModel;
  layout: Layout;
}

function envFor(s: UiState, { snap, model, layout }: Ctx): Env {
  const p = paramsOf(s, snap);
  const t = model.timeline;
  return {
    layerCount: snap.layers.length,
    rows: model.rows(p),
    paths: t.paths,
    parents: t.parents,
    isDir: (id) => model.isDir(p.layer, p.mode, id),
    allDirs: () => model.allDirs(),
    treeHeight: layout.tree.listHeight,
    layersHeight: layout.layers.listHeight,
    listHeight: layout.main.listHeight,
    largest: s.overlay?.kind === 'largest' ? model.largest() : [],
    platformCount: snap.platforms.length,
  };
}

/** One decoded input event as a message for the state, or undefined when it means nothing here. */
function toMsg(
  event: ReturnType<typeof decodeInput>[number],
  s: UiState,
  maps: Record<KeyContext, Map<string, string>>,
  layout: Layout,
): Msg | 'quit' | undefined {
  if ('mouse' in event) {
    const m = event.mouse;
    if (s.overlay) {
      const row = m.y - layout.main.listY;
      if (m.kind === 'click') return row >= 0 ? { type: 'click', pane: 'list', row } : undefined;
      return { type: 'wheel', pane: 'list', delta: m.kind === 'wheelUp' ? -3 : 3 };
    }
    const hit = hitTest(layout, m.x, m.y);
    if (m.kind === 'click') return hit ? { type: 'click', pane: hit.pane, row: hit.row } : undefined;
    const pane = hit?.pane ?? (m.x < layout.tree.x ? 'layers' : 'tree');
    return { type: 'wheel', pane, delta: m.kind === 'wheelUp' ? -3 : 3 };
  }
  const key = event.key;
  if (key === 'ctrl+c') return 'quit';
  if (s.prompt) return { type: 'prompt', key };
  const context: KeyContext = s.overlay ? 'list' : s.focus;
  const action = maps[context].get(key);
  return action ? { type: 'action', action: action as never } : undefined;
}

function useKeymaps(bindings: Bindings): Record<KeyContext, Map<string, string>> {
  return useMemo(() => {
    const norm = Object.fromEntries(
      Object.entries(bindings).map(([a, keys]) => [a, keys.map((k) => normaliseKey(k) ?? k)]),
    ) as Bindings;
    return { layers: keymap(norm, 'layers'), tree: keymap(norm, 'tree'), list: keymap(norm, 'list') };
  }, [bindings]);
}

function treeTitle(s: UiState, snap: Snapshot): string {
  const what = snap.compare
    ? `${snap.compare.name} against ${snap.name}`
    : s.mode === 'layer'
      ? `Layer ${s.layer}: its changes`
      : `Layer ${s.layer}: all changes since the base`;
  const notes = [
    s.sort === 'size' ? 'by size' : '',
    s.filter ? `filter /${s.filter}/` : '',
    s.hide.size > 0 ? `hiding ${[...s.hide].join(',')}` : '',
  ].filter(Boolean);
  return notes.length > 0 ? `${what} · ${notes.join(' · ')}` : what;
}

/** Reading progress for the status bar, or the search's position among its matches. */
function statusNote(snap: Snapshot, matches: number[] | undefined, cursor: number): string | undefined {
  if (snap.phase === 'opening') return 'opening…';
  if (snap.phase === 'scanning') {
    const done = snap.layers.filter((l) => l.status === 'done').length;
    return `reading layers ${done}/${snap.layers.length}`;
  }
  if (snap.phase === 'analysing') return 'counting waste…';
  if (matches) {
    const at = matches.indexOf(cursor);
    return `${at >= 0 ? `match ${at + 1} of ` : ''}${matches.length} matches`;
  }
  return undefined;
}

export function App({ loader, bindings, extractDir, onPlatform }: AppProps) {
  const snap = useSyncExternalStore(loader.subscribe, loader.getSnapshot);
  const model = snap.model;
  const { cols, rows: termRows } = useTerminalSize();
  // One line short of the terminal: a frame as tall as the screen makes ink clear it for every frame.
  const rows = Math.max(8, termRows - 1);
  const layout = computeLayout(cols, rows, snap.layers.length, snap.compare?.layers.length);
  // Compare mode has no layer to pick: the tree has the keys from the start.
  const [ui, setUi] = useState(() => ({
    ...initialState(),
    focus: snap.compare ? ('tree' as const) : ('layers' as const),
  }));
  const uiRef = useRef(ui);
  const ctxRef = useRef<Ctx>({ snap, model, layout });
  ctxRef.current = { snap, model, layout };
  const maps = useKeymaps(bindings);
  const { exit } = useApp();
  const { internal_eventEmitter: input, setRawMode, isRawModeSupported } = useStdin();

  // Every message goes through here, so several keys in one chunk see each other's effect.
  const dispatchRef = useRef<(msgs: Msg[]) => void>(() => {});
  dispatchRef.current = (msgs) => {
    let s = uiRef.current;
    const effects: Effect[] = [];
    for (const msg of msgs) {
      const [next, effect] = update(s, msg, envFor(s, ctxRef.current));
      s = next;
      if (effect) effects.push(effect);
    }
    uiRef.current = s;
    setUi(s);
    for (const effect of effects) {
      if (effect.kind === 'quit') exit();
      else if (effect.kind === 'platform') onPlatform?.(effect.index);
      else
        void runEffect(effect, loader, ctxRef.current.snap, extractDir).then((msg) =>
          dispatchRef.current([msg]),
        );
    }
  };

  useEffect(() => {
    if (isRawModeSupported) setRawMode(true);
    const onInput = (raw: string) => {
      markInput();
      const msgs: Msg[] = [];
      let s = uiRef.current;
      for (const event of decodeInput(raw)) {
        const msg = toMsg(event, s, maps, ctxRef.current.layout);
        if (msg === 'quit') return exit();
        if (!msg) continue;
        msgs.push(msg);
        // Later events of the chunk must see the prompt or overlay this one opens.
        s = update(s, msg, envFor(s, ctxRef.current))[0];
      }
      if (msgs.length > 0) dispatchRef.current(msgs);
    };
    input.on('input', onInput);
    return () => {
      input.off('input', onInput);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [input, maps, exit, setRawMode, isRawModeSupported]);

  const params = paramsOf(ui, snap);
  const treeRows = model.rows(params);
  const view = model.view(params.layer, params.mode);
  const cursor = resolveCursor(ui, treeRows);
  const top = keepVisible(cursor, Math.min(ui.top, cursor), layout.tree.listHeight);
  const search = compile(ui.search);
  const matches = useMemo(
    () => (search ? matchRows(snap.timeline, treeRows, search) : undefined),
    [search, treeRows, snap.timeline],
  );
  const overlay = ui.overlay;
  let main: ReactNode;
  if (overlay?.kind === 'viewer') main = <ViewerPane box={layout.main} viewer={overlay} />;
  else if (overlay?.kind === 'largest')
    main = (
      <LargestPane
        box={layout.main}
        timeline={snap.timeline}
        files={model.largest()}
        cursor={overlay.cursor}
        top={overlay.top}
      />
    );
  else if (overlay?.kind === 'platforms')
    main = (
      <PlatformsPane
        box={layout.main}
        platforms={snap.platforms}
        current={snap.platformIndex}
        cursor={overlay.cursor}
      />
    );
  else if (overlay?.kind === 'help')
    main = <HelpPane box={layout.main} bindings={bindings} top={overlay.top} />;
  else
    main = (
      <Box flexDirection="row">
        <Box flexDirection="column" width={layout.layers.width}>
          {snap.compare ? (
            <>
              <LayersPane
                box={layout.layers}
                layers={snap.layers}
                selected={-1}
                top={ui.layerTop}
                focused={ui.focus === 'layers'}
                mode="layer"
                title={`A: ${snap.name}`}
              />
              <LayersPane
                box={layout.details}
                layers={snap.compare.layers}
                selected={-1}
                top={0}
                focused={false}
                mode="layer"
                title={`B: ${snap.compare.name}`}
              />
              <CompareSummary box={layout.image} snap={snap} />
            </>
          ) : (
            <>
              <LayersPane
                box={layout.layers}
                layers={snap.layers}
                selected={ui.layer}
                top={ui.layerTop}
                focused={ui.focus === 'layers'}
                mode={ui.mode}
              />
              <LayerDetails box={layout.details} layer={snap.layers[ui.layer]} />
              <ImageDetails box={layout.image} snap={snap} />
            </>
          )}
        </Box>
        <Box width={1} />
        <FileTree
          box={layout.tree}
          title={treeTitle(ui, snap)}
          timeline={snap.timeline}
          view={view}
          rows={treeRows}
          cursor={cursor}
          top={top}
          focused={ui.focus === 'tree'}
          attributes={ui.attributes}
          collapsed={ui.collapsed}
          columns={snap.compare && ui.attributes ? compareColumns(model, view) : undefined}
          empty={snap.phase === 'failed' ? `failed: ${snap.error}` : `reading layer ${params.layer}…`}
        />
      </Box>
    );
  return (
    <Box flexDirection="column" width={cols} height={rows}>
      <Box height={layout.main.height} flexDirection="column">
        {main}
      </Box>
      <StatusBar ui={ui} bindings={bindings} width={cols} note={statusNote(snap, matches, cursor)} />
    </Box>
  );
}
