/** Layer details (IDs and the full command) and image details (size, waste, the top wasted files). */
import type { WasteReport } from '../../analysis/waste.js';
import { formatPlatform } from '../../oci/platform.js';
import { commandText, fitWidth, percent, sizeText, wrap } from '../format.js';
import type { PaneBox } from '../layout.js';
import type { LayerInfo, Snapshot } from '../load.js';
import { Line, Pane, Title } from './common.js';

const field = (name: string, value: string, width: number, key = name) => (
  <Line key={key} width={width} segments={[{ text: fitWidth(name, 11), bold: true }, { text: value }]} />
);

export function LayerDetails({ box, layer }: { box: PaneBox; layer?: LayerInfo }) {
  const w = box.width;
  const lines = layer
    ? [
        field('Digest', layer.digest ?? '(not known)', w),
        field('DiffID', layer.diffID, w),
        field('ChainID', layer.chainID, w),
        field(
          'Size',
          `${layer.size === undefined ? '…' : sizeText(layer.size)} unpacked${layer.compressedSize === undefined ? '' : `, ${sizeText(layer.compressedSize)} stored`}`,
          w,
        ),
        ...wrap(
          commandText(layer.createdBy) || '(no history)',
          Math.max(1, w - 11),
          Math.max(1, box.listHeight - 4),
        ).map((part, i) => field(i === 0 ? 'Command' : ' ', part, w, `command-${i}`)),
      ]
    : [];
  return (
    <Pane width={w} height={box.height}>
      <Title text={layer ? `Layer ${layer.index} details` : 'Layer details'} width={w} />
      {lines.slice(0, box.listHeight)}
    </Pane>
  );
}

function progressLine(snap: Snapshot): string {
  const done = snap.layers.filter((l) => l.status === 'done').length;
  if (snap.phase === 'opening') return 'opening the image…';
  if (snap.phase === 'failed') return `failed: ${snap.error}`;
  if (snap.phase === 'scanning') return `reading layers: ${done} of ${snap.layers.length} in`;
  if (snap.phase === 'analysing') return 'counting wasted space…';
  return '';
}

function wasteLines(waste: WasteReport, width: number, room: number) {
  const rows = waste.files.slice(0, Math.max(0, room));
  return [
    <Line key="head" width={width} segments={[{ text: 'Wasted    Layer    Path', dim: true }]} />,
    ...rows.map((f) => (
      <Line
        key={`${f.path}:${f.storedIn}:${f.removedIn}`}
        width={width}
        segments={[
          { text: `${sizeText(f.size).padEnd(9)} ${`${f.storedIn}→${f.removedIn}`.padEnd(8)} ${f.path}` },
        ]}
      />
    )),
  ];
}

export function ImageDetails({ box, snap }: { box: PaneBox; snap: Snapshot }) {
  const w = box.width;
  const platform = snap.platforms[snap.platformIndex];
  const waste = snap.waste;
  const lines = [
    field('Image', `${snap.name}${platform ? ` (${formatPlatform(platform.platform)})` : ''}`, w),
  ];
  if (waste) {
    lines.push(field('Size', `${sizeText(waste.imageBytes)} (all layers, unpacked)`, w));
    lines.push(field('Wasted', `${sizeText(waste.wastedBytes)} in ${waste.fileCount} stored copies`, w));
    lines.push(field('Efficiency', percent(waste.efficiency), w));
    lines.push(...wasteLines(waste, w, box.listHeight - 5));
  } else lines.push(<Line key="progress" width={w} segments={[{ text: progressLine(snap), dim: true }]} />);
  return (
    <Pane width={w} height={box.height}>
      <Title text="Image details" width={w} />
      {lines.slice(0, box.listHeight)}
    </Pane>
  );
}
