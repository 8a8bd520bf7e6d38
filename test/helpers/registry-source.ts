import { parseLocation } from '../../src/reference/transport.js';
import { type RegistrySourceOptions, createRegistrySource } from '../../src/transports/registry.js';
import type { ImageSource } from '../../src/transports/types.js';

/** Open a registry source for a reference, run fn on it, and always close it. */
export async function withRegistrySource<T>(
  text: string,
  options: RegistrySourceOptions,
  fn: (src: ImageSource) => Promise<T>,
): Promise<T> {
  const loc = parseLocation(text);
  if (loc.transport !== 'docker') throw new Error('not a registry reference');
  const src = await createRegistrySource(loc, options);
  try {
    return await fn(src);
  } finally {
    await src.close();
  }
}
