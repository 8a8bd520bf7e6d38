/**
 * Start the explorer on the terminal: the alternate screen and mouse reports on, the app up at once,
 * the image opened and read behind it; everything restored on the way out, whatever happens.
 * Picking another platform starts a fresh explorer on it.
 */
import { render } from 'ink';
import type { OpenImageOptions } from '../image/image.js';
import type { Platform } from '../oci/platform.js';
import { App } from './components/App.js';
import type { Bindings } from './keys.js';
import { CompareLoader } from './compare.js';
import { rememberFrames } from './ink-output.js';
import { ImageLoader, type Loader } from './load.js';
import { markRender, writeTrace } from './trace.js';

export interface ExploreOptions {
  ref: string;
  compare?: string;
  open: OpenImageOptions;
  bindings: Bindings;
  extractDir: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** Every layer is in and the waste counted (or reading failed): from here on the app only answers keys. */
  onLoaded?: () => void;
  /** Where loading has left much garbage (LoaderOptions.collect). */
  collect?: () => void;
}

/** Alternate screen, SGR mouse reports (clicks and the wheel). */
const ENTER = '\x1b[?1049h\x1b[?1000h\x1b[?1006h';
const LEAVE = '\x1b[?1000l\x1b[?1006l\x1b[?1049l';

/** One explorer until it quits; resolves to the platform to start the next one on, if one was picked. */
async function once(opts: ExploreOptions, loader: Loader): Promise<Platform | undefined> {
  let picked: number | undefined;
  const app = render(
    <App
      loader={loader}
      bindings={opts.bindings}
      extractDir={opts.extractDir}
      onPlatform={(index) => {
        picked = index;
        app.unmount();
      }}
    />,
    {
      stdin: opts.stdin ?? process.stdin,
      stdout: opts.stdout ?? process.stdout,
      exitOnCtrlC: false,
      patchConsole: false,
      // Not incrementalRendering: in ink 6.8 it lands one line low when a frame ends with a newline.
      maxFps: 60,
      onRender: markRender,
    },
  );
  try {
    await loader.open();
  } catch (err) {
    app.unmount();
    await loader.close();
    throw err;
  }
  const reading = loader.read().finally(() => opts.onLoaded?.());
  await app.waitUntilExit();
  await loader.close();
  await reading.catch(() => {});
  return picked === undefined ? undefined : loader.getSnapshot().platforms[picked]?.platform;
}

export async function runExplorer(opts: ExploreOptions): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  await rememberFrames();
  stdout.write(ENTER);
  try {
    let open = opts.open;
    for (;;) {
      const loader = opts.compare
        ? new CompareLoader([opts.ref, opts.compare], open)
        : new ImageLoader(opts.ref, { ...open, collect: opts.collect });
      const platform = await once(opts, loader);
      if (!platform) return;
      open = { ...open, platform };
    }
  } finally {
    stdout.write(LEAVE);
    writeTrace();
  }
}
