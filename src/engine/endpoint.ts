/**
 * Where the Docker Engine listens, found the way the docker CLI finds it: an explicit host, else
 * DOCKER_HOST, else the current context, else the default socket.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StrataError, fromSystemError, invalid, notFound, unsupported } from '../errors.js';
import { parseJSON } from '../oci/manifest.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export type EndpointSource = 'option' | 'DOCKER_HOST' | 'context' | 'default';

export interface EngineEndpoint {
  /** The host as Docker writes it: unix:///var/run/docker.sock or tcp://1.2.3.4:2375. */
  host: string;
  /** Set for unix sockets. */
  socketPath?: string;
  /** HTTP origin requests go to (a placeholder for unix sockets). */
  origin: string;
  /** Where the host came from, for messages. */
  source: EndpointSource;
  /** The context that named it, when source is 'context'. */
  context?: string;
}

/** What endpoint resolution reads from the outside, so the core stays pure and testable. */
export interface EndpointEnv {
  env: Record<string, string | undefined>;
  home: string;
  /** File contents, or undefined when the file does not exist. */
  readFile(path: string): string | undefined;
}

/** Parse a Docker host URL into an endpoint; only plain unix sockets and plain TCP are supported. */
export function parseDockerHost(host: string, source: EndpointSource, context?: string): EngineEndpoint {
  const m = /^([a-z]+):\/\/(.*)$/.exec(host.trim());
  if (!m)
    throw new StrataError('usage', `invalid Docker host "${host}": want unix:///path or tcp://host:port`);
  const [, scheme, rest = ''] = m;
  const base = { source, ...(context === undefined ? {} : { context }) };
  if (scheme === 'unix') {
    const socketPath = rest === '' ? '/var/run/docker.sock' : rest;
    return { ...base, host: `unix://${socketPath}`, socketPath, origin: 'http://localhost' };
  }
  if (scheme === 'tcp' || scheme === 'http') {
    const hostPort = rest.replace(/\/+$/, '');
    if (hostPort === '') throw new StrataError('usage', `invalid Docker host "${host}": no address`);
    // Docker's default port for plain TCP.
    const address = /:\d+$/.test(hostPort) ? hostPort : `${hostPort}:2375`;
    return { ...base, host: `tcp://${address}`, origin: `http://${address}` };
  }
  throw unsupported(
    `Docker host ${host}: the ${scheme}:// scheme is not supported`,
    'use a unix socket (unix:///var/run/docker.sock) or plain tcp://host:port',
  );
}

/** The directory of a context's metadata, named by the sha256 of the context name. */
export function contextMetaPath(configDir: string, name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return join(configDir, 'contexts', 'meta', hex, 'meta.json');
}

function dockerConfigDir(e: EndpointEnv): string {
  return e.env.DOCKER_CONFIG || join(e.home, '.docker');
}

function readJSONObject(e: EndpointEnv, path: string, what: string): Record<string, unknown> | undefined {
  const text = e.readFile(path);
  if (text === undefined) return undefined;
  const json = parseJSON(Buffer.from(text), what);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalid(`${what} is not a JSON object`);
  return json as Record<string, unknown>;
}

/** The context the CLI would use: DOCKER_CONTEXT, else currentContext of config.json. */
function currentContext(e: EndpointEnv): string | undefined {
  if (e.env.DOCKER_CONTEXT) return e.env.DOCKER_CONTEXT;
  const path = join(dockerConfigDir(e), 'config.json');
  const config = readJSONObject(e, path, `Docker config ${path}`);
  const name = config?.currentContext;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function contextHost(e: EndpointEnv, name: string): string {
  const path = contextMetaPath(dockerConfigDir(e), name);
  const meta = readJSONObject(e, path, `Docker context ${name} (${path})`);
  if (meta === undefined) {
    throw notFound(
      `Docker context "${name}" does not exist: no ${path}`,
      'check `docker context ls`, or set DOCKER_HOST',
    );
  }
  const endpoints = meta.Endpoints as { docker?: { Host?: unknown } } | undefined;
  const host = endpoints?.docker?.Host;
  if (typeof host !== 'string' || host === '')
    throw invalid(`Docker context "${name}" has no Endpoints.docker.Host`);
  return host;
}

/** Pick the endpoint from an explicit host, the environment and the CLI's context store. */
export function pickEndpoint(dockerHost: string | undefined, e: EndpointEnv): EngineEndpoint {
  if (dockerHost) return parseDockerHost(dockerHost, 'option');
  if (e.env.DOCKER_HOST) {
    if (e.env.DOCKER_TLS_VERIFY) {
      throw unsupported(
        'DOCKER_TLS_VERIFY is set: TLS to the Docker Engine is not supported',
        'use the unix socket',
      );
    }
    return parseDockerHost(e.env.DOCKER_HOST, 'DOCKER_HOST');
  }
  const context = currentContext(e);
  if (context !== undefined && context !== 'default') {
    return parseDockerHost(contextHost(e, context), 'context', context);
  }
  return parseDockerHost(DEFAULT_DOCKER_HOST, 'default');
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, path);
  }
}

/** Resolve the endpoint against this process's environment and files. */
export function resolveEndpoint(
  dockerHost?: string,
  env: Record<string, string | undefined> = process.env,
): EngineEndpoint {
  return pickEndpoint(dockerHost, { env, home: homedir(), readFile: readIfExists });
}
