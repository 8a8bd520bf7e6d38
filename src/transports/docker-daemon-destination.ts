import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { loadUndici } from '../registry/undici.js';
import { tagReference } from '../archive/docker-archive-writer.js';
import { StrataError, fromSystemError } from '../errors.js';
import { EngineClient, apiPrefix } from '../engine/client.js';
import { type EngineEndpoint, resolveEndpoint } from '../engine/endpoint.js';
import { connectionError, engineHttpError } from '../engine/errors.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { stagedArchiveDestination } from './docker-archive-destination.js';
import type { ImageDestination, SourceOptions } from './types.js';

/** One message of the engine's streamed JSON answer to a load. */
interface LoadMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Read the engine's answer to POST /images/load: JSON messages, one per line. An error comes as a
 * message with errorDetail, after a 200; it becomes a StrataError. Returns the engine's own lines
 * ("Loaded image: …").
 */
export async function readLoadAnswer(body: Readable, what: string): Promise<string[]> {
  const lines: string[] = [];
  let text = '';
  const take = (line: string) => {
    if (line.trim() === '') return;
    let msg: LoadMessage;
    try {
      msg = JSON.parse(line) as LoadMessage;
    } catch {
      lines.push(line.trim());
      return;
    }
    const failure = msg.errorDetail?.message ?? msg.error;
    if (failure !== undefined)
      throw new StrataError('invalid', `the Docker Engine could not load ${what}: ${failure.trim()}`);
    if (msg.stream !== undefined && msg.stream.trim() !== '') lines.push(msg.stream.trim());
  };
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    const parts = text.split('\n');
    text = parts.pop() ?? '';
    for (const part of parts) take(part);
  }
  take(text);
  return lines;
}

/** Stream an archive into POST /images/load and wait for the engine to have loaded it. */
async function postLoad(engine: EngineClient, archive: Readable, what: string): Promise<string[]> {
  const endpoint: EngineEndpoint = engine.endpoint;
  // EngineClient only GETs; a load needs a POST with a streamed body, on its own connection.
  const { Client } = await loadUndici();
  const http = new Client(endpoint.origin, {
    ...(endpoint.socketPath === undefined ? {} : { socketPath: endpoint.socketPath }),
    headersTimeout: 10 * 60_000,
    bodyTimeout: 10 * 60_000,
  });
  try {
    const res = await http.request({
      path: `${apiPrefix(engine.apiVersion)}/images/load?quiet=1`,
      method: 'POST',
      headers: { 'content-type': 'application/x-tar' },
      body: archive,
    });
    if (res.statusCode !== 200)
      throw engineHttpError(res.statusCode, await res.body.text(), `loading ${what}`);
    return await readLoadAnswer(res.body, what);
  } catch (err) {
    archive.destroy();
    throw connectionError(err, endpoint);
  } finally {
    await http.close().catch(() => {});
  }
}

/**
 * Load an image into the Docker Engine (`docker-daemon:NAME:TAG`): blobs are staged in a temp
 * directory, and at close the same archive `strata save` writes is streamed into POST /images/load,
 * tagged NAME:TAG. The engine is reached at creation, so an unreachable engine fails before any copy.
 */
export async function createDockerDaemonDestination(
  loc: Extract<ImageLocation, { transport: 'docker-daemon' }>,
  options: SourceOptions = {},
): Promise<ImageDestination> {
  const name = formatLocation(loc);
  tagReference(loc.name, name);
  const engine = await EngineClient.connect(resolveEndpoint(options.dockerHost));
  let stageDir: string;
  try {
    stageDir = await mkdtemp(join(tmpdir(), 'strata-load-'));
  } catch (err) {
    await engine.close();
    throw fromSystemError(err, `${name}: temp directory`);
  }
  return stagedArchiveDestination({
    name,
    stageDir,
    what: name,
    override: loc.name,
    deliver: async (archive) => {
      await postLoad(engine, archive, name);
    },
    cleanup: async () => {
      await rm(stageDir, { recursive: true, force: true });
      await engine.close().catch(() => {});
    },
  });
}
