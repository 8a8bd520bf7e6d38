import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StrataError, fromSystemError, invalid } from '../errors.js';
import { DOCKER_HUB } from '../reference/reference.js';

/** What strata can log in with. */
export type Credential =
  | { kind: 'basic'; username: string; password: string }
  /** A refresh token from `docker login` against an OAuth-capable registry. */
  | { kind: 'identity-token'; token: string; username?: string };

export interface CredentialOptions {
  username?: string;
  password?: string;
  /** Docker client config file; default $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
  authFile?: string;
  /** Environment for DOCKER_CONFIG, HOME and PATH (credential helpers); default process.env. */
  env?: NodeJS.ProcessEnv;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Docker Hub's historical key in config.json and the address its helpers are asked about. */
export const HUB_SERVER_ADDRESS = 'https://index.docker.io/v1/';
const HUB_ALIASES = [DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io'];
const HELPER_TIMEOUT_MS = 30_000;

export function dockerConfigPath(options: CredentialOptions): string {
  if (options.authFile) return options.authFile;
  const env = options.env ?? process.env;
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME || homedir(), '.docker', 'config.json');
}

/** The address Docker files a registry's credentials under. */
export function serverAddress(domain: string): string {
  return domain === DOCKER_HUB ? HUB_SERVER_ADDRESS : domain;
}

/** Reduce a config key (host, http(s)://host, https://host/v1/) to its host, as Docker does. */
export function keyHost(key: string): string {
  const bare = key.replace(/^https?:\/\//i, '');
  return (bare.split('/')[0] ?? '').toLowerCase();
}

function matchesDomain(key: string, domain: string): boolean {
  const host = keyHost(key);
  return domain === DOCKER_HUB ? HUB_ALIASES.includes(host) : host === domain.toLowerCase();
}

/** The value for this registry in a config map keyed by server address (exact key first). */
export function lookupByHost<T>(map: Record<string, T> | undefined, domain: string): T | undefined {
  if (map === undefined) return undefined;
  const exact = map[serverAddress(domain)] ?? map[domain];
  if (exact !== undefined) return exact;
  const key = Object.keys(map).find((k) => matchesDomain(k, domain));
  return key === undefined ? undefined : map[key];
}

/** Turn an `auths` entry into a credential; undefined for an entry without secrets. */
export function credentialFromEntry(entry: AuthEntry, where: string): Credential | undefined {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalid(`${where}: "auth" is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (entry.identitytoken)
    return { kind: 'identity-token', token: entry.identitytoken, username: username || undefined };
  if (username === '' && password === '') return undefined;
  return { kind: 'basic', username, password };
}

/** Credentials as a helper prints them: {Username, Secret}; Username "<token>" marks an identity token. */
export function credentialFromHelperOutput(stdout: string, helper: string): Credential {
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new StrataError('auth', `credential helper ${helper} printed something that is not JSON`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (username === '<token>') return { kind: 'identity-token', token: secret };
  return { kind: 'basic', username, password: secret };
}

async function readConfig(path: string, explicit: boolean): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // No config file simply means no stored credentials, unless the user named the file.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return undefined;
    throw fromSystemError(err, `auth file ${path}`);
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('not a JSON object');
    return json as DockerConfig;
  } catch (err) {
    throw invalid(`auth file ${path} is not valid JSON: ${(err as Error).message}`, err);
  }
}

/** Run `docker-credential-<name> get`; undefined when the helper knows no credentials for the server. */
export function runCredentialHelper(
  name: string,
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credential | undefined> {
  const helper = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(helper, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.stdin.on('error', () => {
      // the helper may exit before reading stdin; its exit status tells the story
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new StrataError(
          'auth',
          missing
            ? `credential helper ${helper} not found on PATH`
            : `credential helper ${helper}: ${err.message}`,
          {
            hint: missing
              ? 'install it, or remove it from credHelpers/credsStore in your Docker config'
              : undefined,
            cause: err,
          },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        try {
          resolve(credentialFromHelperOutput(stdout, helper));
        } catch (err) {
          reject(err);
        }
        return;
      }
      const said = (stdout.trim() || stderr.trim()).split('\n')[0] ?? '';
      if (/credentials not found/i.test(said)) {
        resolve(undefined);
        return;
      }
      const why = signal ? `killed by ${signal}` : `exit status ${code}`;
      reject(
        new StrataError(
          'auth',
          `credential helper ${helper} failed for ${server} (${why})${said ? `: ${said}` : ''}`,
        ),
      );
    });
    child.stdin.end(server);
  });
}

/**
 * Find credentials for a registry domain the way the Docker CLI does: explicit ones first, then a
 * per-registry helper, then the default store, then the `auths` entries of the config file.
 */
export async function lookupCredentials(
  domain: string,
  options: CredentialOptions = {},
): Promise<Credential | undefined> {
  if (options.username !== undefined || options.password !== undefined) {
    if (!options.username || options.password === undefined) {
      throw new StrataError('usage', 'a username needs a password and a password needs a username');
    }
    return { kind: 'basic', username: options.username, password: options.password };
  }
  const path = dockerConfigPath(options);
  const config = await readConfig(path, options.authFile !== undefined);
  if (config === undefined) return undefined;
  const helper = lookupByHost(config.credHelpers, domain) ?? config.credsStore;
  if (helper) return runCredentialHelper(helper, serverAddress(domain), options.env ?? process.env);
  const entry = lookupByHost(config.auths, domain);
  return entry === undefined
    ? undefined
    : credentialFromEntry(entry, `auth file ${path}, entry for ${domain}`);
}
