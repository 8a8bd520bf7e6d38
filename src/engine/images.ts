/** The three image endpoints the docker-daemon source needs: inspect, history and save. */
import type { Readable } from 'node:stream';
import { StrataError, invalid, notFound } from '../errors.js';
import { isDigest } from '../oci/digest.js';
import { type EngineClient, type ErrorAnswerHandler, encodeImageName } from './client.js';

export interface EngineImage {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Empty when the engine keeps no parent (pulled and loaded images). */
  Parent: string;
}

export interface EngineHistoryRow {
  /** An image ID, or '<missing>'. */
  Id: string;
  Size: number;
  Created: number;
  CreatedBy: string;
  Comment: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const stringList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/** How Docker names the image in its own "No such image" message: a bare name gets ":latest". */
export function imageDisplayName(name: string): string {
  if (/^(sha256:)?[a-f0-9]{12,64}$/.test(name) || name.includes('@')) return name;
  const tail = name.slice(name.lastIndexOf('/') + 1);
  return tail.includes(':') ? name : `${name}:latest`;
}

export function parseInspect(json: unknown): EngineImage {
  if (!isObject(json) || typeof json.Id !== 'string' || !isDigest(json.Id)) {
    throw invalid('the Docker Engine answered an image inspect without a valid Id');
  }
  return {
    Id: json.Id,
    RepoTags: stringList(json.RepoTags),
    RepoDigests: stringList(json.RepoDigests),
    Parent: typeof json.Parent === 'string' ? json.Parent : '',
  };
}

export function parseHistory(json: unknown): EngineHistoryRow[] {
  if (!Array.isArray(json))
    throw invalid('the Docker Engine answered image history with something not a list');
  return json.map((row, i) => {
    if (!isObject(row) || typeof row.Id !== 'string' || typeof row.Size !== 'number') {
      throw invalid(`the Docker Engine's image history row ${i} has no Id or Size`);
    }
    return {
      Id: row.Id,
      Size: row.Size,
      Created: typeof row.Created === 'number' ? row.Created : 0,
      CreatedBy: typeof row.CreatedBy === 'string' ? row.CreatedBy : '',
      Comment: typeof row.Comment === 'string' ? row.Comment : '',
    };
  });
}

/** 404: no such image; 400: a name the engine will not parse (its message says why). */
const imageErrors =
  (name: string): ErrorAnswerHandler =>
  (status, message) => {
    if (status === 404) return notFound(`no such image in the Docker Engine: ${imageDisplayName(name)}`);
    if (status === 400) {
      const reason = message.replace(/^no such image: .*?: (?=invalid reference format)/, '');
      return new StrataError(
        'usage',
        `invalid image name "${name}": ${reason || 'the Docker Engine refused it'}`,
      );
    }
    return undefined;
  };

export async function inspectImage(client: EngineClient, name: string): Promise<EngineImage> {
  const path = `/images/${encodeImageName(name)}/json`;
  return parseInspect(await client.getJSON(path, `image inspect of ${name}`, imageErrors(name)));
}

export async function imageHistory(client: EngineClient, name: string): Promise<EngineHistoryRow[]> {
  const path = `/images/${encodeImageName(name)}/history`;
  return parseHistory(await client.getJSON(path, `image history of ${name}`, imageErrors(name)));
}

/** The `docker save` tar of one image, as a stream. */
export function exportImage(client: EngineClient, name: string): Promise<Readable> {
  return client.getOK(`/images/${encodeImageName(name)}/get`, `image save of ${name}`, imageErrors(name));
}
