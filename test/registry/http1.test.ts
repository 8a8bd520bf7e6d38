// The raw-socket download's response parser: every framing, fed whole and split at every byte.
import { describe, expect, test } from 'vitest';
import { HEAD_LIMIT, ResponseParser, parseHead } from '../../src/registry/http1.js';
import { wireExchange } from '../../src/registry/wire.js';

/** Feed `wire` in pieces of `step` bytes; the head, the body and whether the parser called it done. */
function parse(wire: string | Buffer, step = Number.POSITIVE_INFINITY, closed = false) {
  const bytes = Buffer.isBuffer(wire) ? wire : Buffer.from(wire, 'latin1');
  const body: Buffer[] = [];
  let heads = 0;
  const parser = new ResponseParser(
    () => heads++,
    (slice) => body.push(Buffer.from(slice)),
  );
  for (let at = 0; at < bytes.length; at += Math.min(step, bytes.length))
    parser.push(bytes.subarray(at, at + step));
  const complete = closed ? parser.end() : parser.done;
  return { head: parser.head, heads, body: Buffer.concat(body).toString('latin1'), complete };
}

const everyStep = (wire: string, check: (r: ReturnType<typeof parse>) => void, closed = false) => {
  for (const step of [1, 2, 3, 7, 1000]) check(parse(wire, step, closed));
};

describe('ResponseParser', () => {
  test('Content-Length: exactly that many body bytes, whatever the pieces', () => {
    everyStep('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello', (r) => {
      expect(r.head?.status).toBe(200);
      expect(r.head?.headers['x-a']).toBe('1');
      expect(r.body).toBe('hello');
      expect(r.complete).toBe(true);
      expect(r.heads).toBe(1);
    });
  });

  test('a body cut short is not complete', () => {
    const r = parse('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello', 1000, true);
    expect(r.body).toBe('hello');
    expect(r.complete).toBe(false);
  });

  test('chunked: sizes in hex, extensions and trailers, split anywhere', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\nc\r\n, wide world\r\n0\r\nX-Trailer: t\r\n\r\n';
    everyStep(wire, (r) => {
      expect(r.body).toBe('hello, wide world');
      expect(r.complete).toBe(true);
    });
  });

  test('chunked, cut in the middle of a chunk, is not complete', () => {
    const r = parse('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel', 1000, true);
    expect(r.body).toBe('hel');
    expect(r.complete).toBe(false);
  });

  test('no length and no chunks: the body runs to the end of the connection', () => {
    everyStep(
      'HTTP/1.1 200 OK\r\n\r\nall of it',
      (r) => {
        expect(r.body).toBe('all of it');
        expect(r.complete).toBe(true);
      },
      true,
    );
  });

  test('a 100 Continue before the answer is skipped; 204 has no body', () => {
    everyStep('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}', (r) => {
      expect(r.head?.status).toBe(404);
      expect(r.body).toBe('{}');
      expect(r.heads).toBe(1);
    });
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n').complete).toBe(true);
  });

  test('repeated headers are joined; names are lower-cased', () => {
    expect(
      parseHead('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nwww-authenticate: Bearer').headers,
    ).toEqual({
      'www-authenticate': 'Basic, Bearer',
    });
  });

  test('malformed answers are refused with a registry error', () => {
    expect(() => parse('SMTP ready\r\n\r\n')).toThrow(/malformed HTTP response: status line/);
    expect(() => parse('HTTP/1.1 200 OK\r\nno colon\r\n\r\n')).toThrow(/header line/);
    expect(() => parse('HTTP/1.1 200 OK\r\ncontent-length: 5, 6\r\n\r\n')).toThrow(/Content-Length/);
    expect(() => parse('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n')).toThrow(/chunk size/);
    expect(() => parse('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n')).toThrow(/CRLF/);
    expect(() => parse(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(HEAD_LIMIT)}`)).toThrow(/head larger/);
  });
});

describe('wireExchange', () => {
  test('a header value with a line break is refused before anything is sent', () => {
    const timeouts = { connectMs: 1000, headersMs: 1000, bodyMs: 1000 };
    const req = {
      url: new URL('http://127.0.0.1:9/'),
      headers: { authorization: 'Bearer x\r\nX-Evil: 1' },
      timeouts,
    };
    expect(() =>
      wireExchange(
        req,
        () => {},
        () => {},
      ),
    ).toThrow(/refusing to send the header "authorization"/);
  });
});
