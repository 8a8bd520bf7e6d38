import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { parseImageConfig } from '../../src/oci/config.js';
import { parseLocation } from '../../src/reference/transport.js';
import { createOciLayoutSource } from '../../src/transports/oci-layout.js';
import { type PushedManifest, createRegistryDestination } from '../../src/transports/registry-destination.js';
import type { RegistrySourceOptions } from '../../src/transports/registry.js';
import type { ImageDestination, ImageSource } from '../../src/transports/types.js';
import type { PeerImage } from '../setup/peers.js';

/** A repository name no other test (or earlier run against the same registry) has used. */
export function freshRepo(label: string): string {
  return `push-${randomUUID().slice(0, 8)}/${label}`;
}

export async function openDest(text: string, options: RegistrySourceOptions = {}): Promise<ImageDestination> {
  const loc = parseLocation(`docker://${text}`);
  if (loc.transport !== 'docker') throw new Error('not a registry reference');
  return createRegistryDestination(loc, options);
}

export function openFixture(image: PeerImage): Promise<ImageSource> {
  const loc = parseLocation(`oci:${image.ociDir}:${image.ociTag}`);
  if (loc.transport !== 'oci') throw new Error('not an OCI layout');
  return createOciLayoutSource(loc, {});
}

export interface PushOutcome extends PushedManifest {
  /** Blobs that were sent with putBlob (the config included). */
  uploaded: number;
}

/**
 * The smallest copy loop: every layer and the config that the destination lacks is streamed to it,
 * then the image is committed. It stands in for the copy engine, which is written elsewhere.
 */
export async function pushImage(src: ImageSource, dest: ImageDestination): Promise<PushOutcome> {
  const image = await src.resolve();
  const diffIDs = parseImageConfig(image.config.bytes).rootfs.diff_ids;
  let uploaded = 0;
  const layers = [];
  for (const [i, layer] of image.layers.entries()) {
    const info = { mediaType: layer.mediaType, digest: layer.digest!, size: layer.size! };
    if (!(await dest.hasBlob(info))) {
      await dest.putBlob(info, await src.openLayer(layer, i));
      uploaded++;
    }
    layers.push({ blob: info, diffID: diffIDs[i]! });
  }
  const config = {
    mediaType: image.config.mediaType,
    digest: image.config.digest,
    size: image.config.bytes.length,
  };
  if (!(await dest.hasBlob(config))) {
    await dest.putBlob(config, Readable.from([image.config.bytes]));
    uploaded++;
  }
  const committed = (await dest.commitImage({
    manifest: image.manifest,
    config: image.config,
    layers,
    tags: [],
  })) as PushedManifest;
  return { ...committed, uploaded };
}

export { errorOf } from '../helpers/errors.js';

export interface DropProxy {
  host: string;
  /** PATCH requests seen, and how many of their bytes arrived before the cut. */
  patches: number[];
  stop(): Promise<void>;
}

/**
 * A proxy that cuts the connection of the first `times` PATCH requests after `afterBytes` of their
 * body, without answering; everything else is forwarded unchanged (Host included, so the registry's
 * Location headers keep pointing here).
 */
export async function startDropProxy(target: string, afterBytes: number, times = 1): Promise<DropProxy> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const patches: number[] = [];
  const forward = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const up = request(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'PATCH' || patches.length >= times) {
      forward(req, res);
      return;
    }
    const slot = patches.push(0) - 1;
    req.on('data', (chunk: Buffer) => {
      patches[slot] = (patches[slot] ?? 0) + chunk.length;
      if ((patches[slot] ?? 0) >= afterBytes) req.socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    patches,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
