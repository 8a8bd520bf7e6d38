// undici takes ~170 ms to import on its own (less inside strata, where it shares work with the rest of
// the start-up: `strata --version` went from 430 to 410 ms); commands that never touch the network
// should not pay for it, so it is loaded on the first request.
import { setFlagsFromString } from 'node:v8';

let loading: Promise<typeof import('undici')> | undefined;

export function loadUndici(): Promise<typeof import('undici')> {
  // undici parses HTTP with a WebAssembly module, which V8 compiles again with its optimising tier in
  // the background: ~300 ms of a core that a pull needs for hashing, and the process could not exit
  // until it was done (`strata manifest` on a local registry: 0.80 s, 0.45 s of it after the answer).
  // The baseline tier is enough for the few small answers undici still parses (blobs bypass it).
  // Wasm only: strata has no other WebAssembly.
  if (loading === undefined) setFlagsFromString('--liftoff-only');
  loading ??= import('undici');
  return loading;
}
