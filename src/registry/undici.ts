// undici takes ~170 ms to import on its own (less inside strata, where it shares work with the rest of
// the start-up: `strata --version` went from 430 to 410 ms); commands that never touch the network
// should not pay for it, so it is loaded on the first request.
let loading: Promise<typeof import('undici')> | undefined;

export function loadUndici(): Promise<typeof import('undici')> {
  loading ??= import('undici');
  return loading;
}
