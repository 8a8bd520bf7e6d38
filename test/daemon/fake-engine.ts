// A stand-in engine for export shapes the real one here (Engine 20.10) cannot produce: it answers the
// save endpoint itself and passes every other request through to the real engine.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pack, extract } from 'tar-stream';

export interface TarFile {
  name: string;
  data: Buffer;
  /** For symlinks. */
  linkname?: string;
  type?: 'file' | 'directory' | 'symlink';
}

export interface FakeEngine {
  host: string;
  stop(): Promise<void>;
}

/** Start a fake engine on a unix socket; `exportBody` is sent for every /images/…/get. */
export async function startFakeEngine(realSocket: string, exportBody: Buffer): Promise<FakeEngine> {
  const dir = mkdtempSync('/tmp/strata-fake-');
  const socketPath = join(dir, 'sock');
  const server = createServer((req, res) => {
    if (/\/images\/.+\/get$/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/x-tar' });
      res.end(exportBody);
      return;
    }
    const upstream = request(
      { socketPath: realSocket, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every entry of a (small) tar file, data included. */
export async function readTar(path: string): Promise<TarFile[]> {
  const ex = extract();
  createReadStream(path).pipe(ex);
  const files: TarFile[] = [];
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry as unknown as Readable) chunks.push(c as Buffer);
    const type =
      entry.header.type === 'directory' || entry.header.type === 'symlink' ? entry.header.type : 'file';
    files.push({
      name: entry.header.name,
      data: Buffer.concat(chunks),
      linkname: entry.header.linkname,
      type,
    });
  }
  return files;
}

export async function packTar(files: TarFile[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as unknown as Readable) chunks.push(c as Buffer);
  })();
  for (const f of files) {
    const type = f.type ?? 'file';
    if (type === 'file') p.entry({ name: f.name, size: f.data.length, mode: 0o644 }, f.data);
    else p.entry({ name: f.name, type, linkname: f.linkname, mode: 0o755 });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
