import { type Image, openImage } from '../../image/image.js';
import type { ImageSource } from '../../transports/types.js';
import { type ImageCommandOptions, toOpenOptions } from '../options.js';

/** Open the image a command names, run fn, and always close the source. */
export async function withImage<T>(
  ref: string,
  opts: ImageCommandOptions,
  fn: (image: Image, source: ImageSource) => Promise<T>,
): Promise<T> {
  const { image, source } = await openImage(ref, toOpenOptions(opts));
  try {
    return await fn(image, source);
  } finally {
    await source.close();
  }
}

/**
 * Whether a template shows any of the given fields, or the whole object: costly fields (unpacked sizes
 * need a layer scan) are computed only when the output shows them.
 */
export function templateNeeds(template: string, fields: string[]): boolean {
  return /\{\{-?\s*(json\s+)?\.\s*-?\}\}/.test(template) || fields.some((f) => template.includes(`.${f}`));
}
