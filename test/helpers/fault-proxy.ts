import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP proxy on 127.0.0.1 in front of a real registry. It logs every request and, for
 * requests matching a rule, injects a fault: an error status, a connection dropped after K bytes,
 * a body rewritten (flipped or truncated bytes), a body replaced, a redirect, or a Range header removed.
 */

export type Fault =
  /** Answer with this status without asking the registry. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Forward, but cut the connection after this many body bytes (headers promise the full length). */
  | { kind: 'drop'; afterBytes: number }
  /** Forward, then rewrite the body; Docker-Content-Digest is removed unless keepDigestHeader. */
  | { kind: 'rewrite'; transform: (body: Buffer) => Buffer; keepDigestHeader?: boolean }
  /** Answer with this body and content type without asking the registry. */
  | { kind: 'replace'; body: Buffer | string; contentType: string }
  /** Answer with a redirect to this URL. */
  | { kind: 'redirect'; status?: number; location: string }
  /** Forward without the Range header, so the registry answers 200 with the whole blob. */
  | { kind: 'strip-range' }
  /** Forward this many body bytes, then hang without closing (a client to be killed mid-download). */
  | { kind: 'stall'; afterBytes: number };

export interface FaultRule {
  method?: string;
  path: RegExp;
  /** How many matching requests get the fault; default all. */
  times?: number;
  fault: Fault;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  status: number;
  range?: string;
  authorization?: string;
  fault?: Fault['kind'];
}

export interface FaultProxy {
  /** host:port of the proxy */
  host: string;
  url: string;
  log: ProxyLogEntry[];
  addRule(rule: FaultRule): void;
  clearRules(): void;
  stop(): Promise<void>;
}

/** Flip every bit of the byte at `offset` (negative counts from the end). */
export function flipByte(offset: number): (body: Buffer) => Buffer {
  return (body) => {
    const out = Buffer.from(body);
    const i = offset < 0 ? out.length + offset : offset;
    out[i] = (out[i] ?? 0) ^ 0xff;
    return out;
  };
}

export function truncate(length: number): (body: Buffer) => Buffer {
  return (body) => body.subarray(0, length);
}

async function collect(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const rules: Array<FaultRule & { used: number }> = [];
  const log: ProxyLogEntry[] = [];

  const take = (req: IncomingMessage): Fault | undefined => {
    const rule = rules.find(
      (r) =>
        (r.method === undefined || r.method === req.method) &&
        r.path.test(req.url ?? '') &&
        (r.times === undefined || r.used < r.times),
    );
    if (rule === undefined) return undefined;
    rule.used++;
    return rule.fault;
  };

  const forward = (req: IncomingMessage, fault: Fault | undefined): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      if (fault?.kind === 'strip-range') delete headers.range;
      const up = request(
        { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers },
        resolve,
      );
      up.on('error', reject);
      req.pipe(up);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: ProxyLogEntry): Promise<void> => {
    const fault = take(req);
    entry.fault = fault?.kind;
    if (fault?.kind === 'status') {
      entry.status = fault.status;
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected failure' }] }));
      return;
    }
    if (fault?.kind === 'replace') {
      entry.status = 200;
      const body = Buffer.from(fault.body);
      res.writeHead(200, { 'content-type': fault.contentType, 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    if (fault?.kind === 'redirect') {
      entry.status = fault.status ?? 307;
      res.writeHead(entry.status, { location: fault.location, 'content-length': '0' });
      res.end();
      return;
    }
    const up = await forward(req, fault);
    entry.status = up.statusCode ?? 0;
    const headers = { ...up.headers };
    if (fault?.kind === 'rewrite') {
      const body = fault.transform(await collect(up));
      if (!fault.keepDigestHeader) delete headers['docker-content-digest'];
      delete headers['transfer-encoding'];
      headers['content-length'] = String(body.length);
      res.writeHead(entry.status, headers);
      res.end(body);
      return;
    }
    res.writeHead(entry.status, headers);
    if (fault?.kind === 'stall') {
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        if (sent >= fault.afterBytes) return;
        const part = chunk.subarray(0, fault.afterBytes - sent);
        sent += part.length;
        res.write(part);
        if (sent >= fault.afterBytes) up.destroy();
      });
      return;
    }
    if (fault?.kind === 'drop') {
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        if (sent >= fault.afterBytes) return;
        const part = chunk.subarray(0, fault.afterBytes - sent);
        sent += part.length;
        res.write(part);
        if (sent >= fault.afterBytes) {
          up.destroy();
          // Let the written bytes leave, then cut the connection without finishing the response.
          setTimeout(() => res.socket?.destroy(), 20);
        }
      });
      return;
    }
    up.pipe(res);
  };

  const server: Server = createServer((req, res) => {
    const entry: ProxyLogEntry = {
      method: req.method ?? '',
      path: req.url ?? '',
      status: 0,
      range: req.headers.range,
      authorization: req.headers.authorization,
    };
    log.push(entry);
    handle(req, res, entry).catch(() => {
      res.socket?.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    log,
    addRule(rule) {
      rules.push({ ...rule, used: 0 });
    },
    clearRules() {
      rules.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
