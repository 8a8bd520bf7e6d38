import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import type { LayerIndex } from '../../src/layer/index-types.js';
import { App } from '../../src/tui/components/App.js';
import { DEFAULT_KEYS } from '../../src/tui/keys.js';
import type { Image } from '../../src/image/image.js';
import { CompareLoader } from '../../src/tui/compare.js';
import { ImageLoader, type Loader, type Snapshot, platformsOf } from '../../src/tui/load.js';
import { TreeModel } from '../../src/tui/model.js';
import { timelineOf } from '../../src/tui/timeline.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { dir, file, layer, whiteout } from '../union/layers.js';

const SAMPLE = `docker-archive:${join(REPO_ROOT, 'fixtures', 'sample-image.tar')}`;
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** A loader over synthetic layers, all read. */
function staticLoader(stack: LayerIndex[]): Loader {
  const timeline = timelineOf(stack);
  const snap: Snapshot = {
    version: 1,
    phase: 'ready',
    name: 'synthetic',
    platforms: [],
    platformIndex: 0,
    timeline,
    model: new TreeModel(timeline),
    layers: stack.map((l, index) => ({
      index,
      diffID: l.diffID,
      chainID: l.diffID,
      createdBy: `/bin/sh -c step ${index}`,
      size: 1,
      status: 'done',
      bytesRead: 0,
    })),
  };
  return {
    subscribe: () => () => {},
    getSnapshot: () => snap,
    open: async () => {},
    read: async () => {},
    close: async () => {},
    indexes: async () => stack,
  };
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function mount(loader: Loader) {
  const app = render(<App loader={loader} bindings={DEFAULT_KEYS} extractDir="." />);
  cleanups.push(() => app.unmount());
  const screen = () => stripAnsi(app.lastFrame() ?? '');
  const until = async (check: (s: string) => boolean, what: string) => {
    for (let i = 0; i < 400 && !check(screen()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check(screen()), `${what}:\n${screen()}`).toBe(true);
  };
  const press = async (keys: string) => {
    app.stdin.write(keys);
    await new Promise((r) => setTimeout(r, 5));
  };
  return { app, screen, until, press };
}

describe('the explorer screen', () => {
  test('fills in from a real image: layers, details, waste, the tree; keys move through it', async () => {
    const loader = new ImageLoader(SAMPLE);
    const { screen, until, press } = mount(loader);
    expect(screen()).toMatch(/Layers/);
    await loader.open();
    await loader.read();
    await until((s) => s.includes('Efficiency 99.9950%'), 'the image details');
    expect(screen()).toMatch(/Wasted\s+10B in 1 stored copies/);
    expect(screen()).toMatch(/2→3\s+\/etc\/app\/app\.conf/);
    expect(screen()).toMatch(/└── README\.txt/);
    await press('\x1b[B\x1b[B\x1b[B');
    await until((s) => s.includes('Layer 3: its changes'), 'layer 3');
    expect(screen()).toMatch(/DiffID\s+sha256:542f22d635b4/);
    await press('\t\x15'); // the tree, then hide unmodified: only what layer 3 changed stays
    await until((s) => s.includes('hiding unmodified'), 'the hidden marks');
    expect(screen()).toMatch(/app\.conf/);
    expect(screen()).not.toMatch(/bundle\.js/);
    await loader.close();
  });

  test('removed paths stay in their layer, the filter prompt shows its errors, ? lists the keys', async () => {
    const { screen, until, press } = mount(
      staticLoader([layer(dir('/etc'), file('/etc/a', 3), file('/etc/b', 4)), layer(whiteout('/etc/b'))]),
    );
    await press('\x1b[B\t\x01\x15'); // layer 1, the tree, hide added and unmodified
    await until((s) => s.includes('hiding added,unmodified'), 'hidden marks');
    expect(screen()).toMatch(/└── b/);
    expect(screen()).not.toMatch(/── a/);
    await press('\x06(');
    await until((s) => s.includes('Filter (regex): ('), 'the prompt');
    expect(screen()).toMatch(/Invalid regular expression/);
    await press('\x1b');
    await press('?');
    await until((s) => s.includes('Keys (rebind them'), 'the help');
    expect(screen()).toMatch(/\^A\s+toggleAdded/);
  });

  test("compare mode: both images' layers, what differs, the tree with both sides' sizes", async () => {
    const loader = new CompareLoader([SAMPLE, SAMPLE]);
    const { screen, until } = mount(loader);
    await loader.open();
    await loader.read();
    await until((s) => s.includes('0 added (0B)'), 'the summary');
    expect(screen()).toMatch(/ A: docker-archive:/);
    expect(screen()).toMatch(/ B: docker-archive:/);
    expect(screen()).toMatch(/A size\s+B size\s+Filetree/);
    expect(screen()).toMatch(/200kB\s+200kB\s+└── srv/);
    await loader.close();
  });
});

describe('platforms', () => {
  test('a multi-platform index lists its platforms, attestations left out', () => {
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${'a'.repeat(64)}`,
          size: 1,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${'b'.repeat(64)}`,
          size: 1,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${'c'.repeat(64)}`,
          size: 1,
          platform: { os: 'unknown', architecture: 'unknown' },
        },
      ],
    };
    const image = {
      index: { bytes: Buffer.from(JSON.stringify(index)), digest: 'sha256:x', mediaType: index.mediaType },
    } as unknown as Image;
    expect(platformsOf(image).map((p) => `${p.platform.os}/${p.platform.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    expect(platformsOf({} as Image)).toEqual([]);
  });
});
