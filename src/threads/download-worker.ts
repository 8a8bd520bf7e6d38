// A download worker: fetches blobs into files (registry/blob-download.ts), so receiving, hashing and
// writing a layer run on a core of their own and its bytes never cross to the main thread. It loads
// only what a download needs: a worker starting beside a pull's first requests is on its critical path.
import { parentPort } from 'node:worker_threads';
import { type DownloadSpec, downloadBlob } from '../registry/blob-download.js';
import type { RequestInfo } from '../registry/http.js';
import { type FromWorker, type ToWorker, serialError } from './protocol.js';

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const downloads = new Map<number, AbortController>();

function startDownload(id: number, spec: DownloadSpec): void {
  const aborted = new AbortController();
  downloads.set(id, aborted);
  const hooks = {
    onProgress: (bytes: number) => post({ t: 'progress', id, bytes }),
    onRequest: (info: RequestInfo) => post({ t: 'request', id, info }),
    signal: aborted.signal,
  };
  downloadBlob(spec, hooks)
    .then(
      (outcome) => post({ t: 'downloaded', id, outcome }),
      (err: unknown) => post({ t: 'fail', id, error: serialError(err) }),
    )
    .finally(() => downloads.delete(id));
}

port.on('message', (message: ToWorker) => {
  if (message.t === 'download') startDownload(message.id, message.spec);
  else if (message.t === 'abort') downloads.get(message.id)?.abort(new Error('download aborted'));
});
