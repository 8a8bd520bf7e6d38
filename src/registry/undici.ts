// undici takes ~170 ms to load (two thirds of strata's start-up); commands that never touch the network
// should not pay for it, so it is loaded on the first request.
let loading: Promise<typeof import('undici')> | undefined;

export function loadUndici(): Promise<typeof import('undici')> {
  loading ??= import('undici');
  return loading;
}
