// The base image an image says it was built on, from the OCI base-image annotations of its manifest.

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

/**
 * The base image's reference from a manifest's annotations: its name pinned to its digest when both are
 * there (`name@digest`), else the name. Undefined without a base name, or for bytes that are not JSON.
 */
export function annotatedBase(manifestBytes: Uint8Array): string | undefined {
  let annotations: unknown;
  try {
    annotations = (JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as { annotations?: unknown })
      .annotations;
  } catch {
    return undefined;
  }
  if (typeof annotations !== 'object' || annotations === null) return undefined;
  const { [BASE_NAME]: name, [BASE_DIGEST]: digest } = annotations as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return undefined;
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) return name;
  // A name already pinned keeps its own digest; a tag gives way to the digest.
  if (name.includes('@')) return name;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const repository = colon > slash ? name.slice(0, colon) : name;
  return `${repository}@${digest}`;
}
