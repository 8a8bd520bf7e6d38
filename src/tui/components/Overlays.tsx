/** Full-screen views over the panes: a file's content, the largest files, the platforms, the keys. */
import { formatPlatform } from '../../oci/platform.js';
import { ACTIONS, type Action, type Bindings } from '../keys.js';
import { sizeText } from '../format.js';
import type { PaneBox } from '../layout.js';
import type { PlatformChoice } from '../load.js';
import type { LargestFile } from '../model.js';
import type { Viewer } from '../state.js';
import type { Timeline } from '../timeline.js';
import { Line, Pane, Title } from './common.js';
import { keyLabel } from './StatusBar.js';

export function ViewerPane({ box, viewer }: { box: PaneBox; viewer: Viewer }) {
  const shown = viewer.lines.slice(viewer.top, viewer.top + box.listHeight);
  return (
    <Pane width={box.width} height={box.height}>
      <Title text={`${viewer.path} @ layer ${viewer.layer}`} width={box.width} focused />
      <Line
        width={box.width}
        segments={[
          {
            text: `${viewer.note}${viewer.lines.length > 0 ? ` — lines ${viewer.top + 1}-${viewer.top + shown.length} of ${viewer.lines.length}` : ''}`,
            dim: viewer.status !== 'error',
            color: viewer.status === 'error' ? 'red' : undefined,
          },
        ]}
      />
      {shown.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a line of a file is known by its number
        <Line key={viewer.top + i} width={box.width} segments={[{ text: line }]} />
      ))}
    </Pane>
  );
}

export interface LargestProps {
  box: PaneBox;
  timeline: Timeline;
  files: readonly LargestFile[];
  cursor: number;
  top: number;
}

export function LargestPane({ box, timeline, files, cursor, top }: LargestProps) {
  const shown = files.slice(top, top + box.listHeight);
  return (
    <Pane width={box.width} height={box.height}>
      <Title text={`Largest files of the image (${files.length})`} width={box.width} focused />
      <Line width={box.width} segments={[{ text: `${'Size'.padStart(9)}  Layer  Path`, dim: true }]} />
      {shown.map((f, i) => (
        <Line
          key={f.id}
          width={box.width}
          segments={[
            {
              text: `${sizeText(f.size).padStart(9)}  ${String(f.layer).padEnd(5)}  ${timeline.paths[f.id]}`,
              inverse: top + i === cursor,
            },
          ]}
        />
      ))}
    </Pane>
  );
}

export function PlatformsPane(props: {
  box: PaneBox;
  platforms: PlatformChoice[];
  current: number;
  cursor: number;
}) {
  const { box, platforms, current, cursor } = props;
  return (
    <Pane width={box.width} height={box.height}>
      <Title text="Platforms of this image" width={box.width} focused />
      <Line width={box.width} segments={[{ text: '   Platform              Manifest', dim: true }]} />
      {platforms.slice(0, box.listHeight).map((p, i) => (
        <Line
          key={p.digest}
          width={box.width}
          segments={[
            {
              text: `${i === current ? '*' : ' '}  ${formatPlatform(p.platform).padEnd(20)}  ${p.digest}`,
              inverse: i === cursor,
            },
          ]}
        />
      ))}
    </Pane>
  );
}

export function HelpPane({ box, bindings, top }: { box: PaneBox; bindings: Bindings; top: number }) {
  const rows = (Object.keys(ACTIONS) as Action[]).map((a) => ({
    keys: bindings[a].map(keyLabel).join(', '),
    action: a,
    what: ACTIONS[a],
  }));
  return (
    <Pane width={box.width} height={box.height}>
      <Title
        text="Keys (rebind them in $XDG_CONFIG_HOME/strata/explore.json or --keys FILE)"
        width={box.width}
        focused
      />
      <Line
        width={box.width}
        segments={[{ text: `${'Keys'.padEnd(16)}${'Action'.padEnd(20)}What it does`, dim: true }]}
      />
      {rows.slice(top, top + box.listHeight).map((r) => (
        <Line
          key={r.action}
          width={box.width}
          segments={[
            { text: r.keys.padEnd(16), bold: true },
            { text: r.action.padEnd(20) },
            { text: r.what },
          ]}
        />
      ))}
    </Pane>
  );
}
