/** A small Docker Engine API client over its socket (or plain TCP), with undici. */
import type { Readable } from 'node:stream';
import type { Client } from 'undici';
import { loadUndici } from '../registry/undici.js';
import type { StrataError } from '../errors.js';
import { parseJSON } from '../oci/manifest.js';
import type { EngineEndpoint } from './endpoint.js';
import { connectionError, engineHttpError, engineMessage } from './errors.js';

/** Turns an error answer (status, the engine's message) into a better error, or leaves it (undefined). */
export type ErrorAnswerHandler = (status: number, message: string) => StrataError | undefined;

export interface EngineResponse {
  status: number;
  body: Readable;
}

/** Read a small response body as text (error answers, JSON documents). */
async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The API version to speak: the engine's own, from its /_ping answer; no prefix if it names none. */
export function apiPrefix(version: string | undefined): string {
  return version !== undefined && /^\d+\.\d+$/.test(version) ? `/v${version}` : '';
}

/** Docker names may hold '/', ':' and '@', which the engine's router takes as they are. */
export function encodeImageName(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}

export class EngineClient {
  private constructor(
    readonly endpoint: EngineEndpoint,
    private readonly client: Client,
    readonly apiVersion: string | undefined,
  ) {}

  /** Connect and ask the engine which API version it speaks. */
  static async connect(endpoint: EngineEndpoint): Promise<EngineClient> {
    const { Client } = await loadUndici();
    const client = new Client(endpoint.origin, {
      ...(endpoint.socketPath === undefined ? {} : { socketPath: endpoint.socketPath }),
      // Saving a large image can take minutes before its first byte and between chunks.
      headersTimeout: 10 * 60_000,
      bodyTimeout: 10 * 60_000,
    });
    try {
      const res = await client.request({ path: '/_ping', method: 'GET' });
      const version = res.headers['api-version'];
      await res.body.dump();
      if (res.statusCode !== 200) throw engineHttpError(res.statusCode, '', 'a ping');
      return new EngineClient(endpoint, client, typeof version === 'string' ? version : undefined);
    } catch (err) {
      await client.close().catch(() => {});
      throw connectionError(err, endpoint);
    }
  }

  /** GET an API path (without the version prefix); any status, body unread. */
  async get(path: string): Promise<EngineResponse> {
    try {
      const res = await this.client.request({ path: apiPrefix(this.apiVersion) + path, method: 'GET' });
      return { status: res.statusCode, body: res.body };
    } catch (err) {
      throw connectionError(err, this.endpoint);
    }
  }

  /**
   * GET and fail unless 200. `onError` may turn an error answer into a better error (a 404 into
   * "no such image"); otherwise the engine's own message is used.
   */
  async getOK(path: string, what: string, onError?: ErrorAnswerHandler): Promise<Readable> {
    const res = await this.get(path);
    if (res.status === 200) return res.body;
    const text = await readText(res.body).catch(() => '');
    throw onError?.(res.status, engineMessage(text)) ?? engineHttpError(res.status, text, what);
  }

  async getJSON(path: string, what: string, onError?: ErrorAnswerHandler): Promise<unknown> {
    const body = await this.getOK(path, what, onError);
    try {
      return parseJSON(Buffer.from(await readText(body)), `the Docker Engine's answer to ${what}`);
    } catch (err) {
      throw connectionError(err, this.endpoint);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
