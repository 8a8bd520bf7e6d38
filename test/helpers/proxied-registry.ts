import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { RegistrySourceOptions } from '../../src/transports/registry.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { type RunningRegistry, startRegistry } from './registry.js';

/** Retries that wait milliseconds, not seconds: fault tests retry a lot. */
export const FAST_RETRY: RegistrySourceOptions = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

export interface ProxiedRegistry {
  reg: RunningRegistry;
  /** A test may stop it and put a new one here. */
  proxy: FaultProxy;
}

/**
 * A real registry behind a fault proxy for one test file: started before its tests (call this before
 * the file's own beforeAll, which may push fixtures), stopped after them, the proxy's rules and log
 * cleared before each test.
 */
export function proxiedRegistry(): ProxiedRegistry {
  const env = {} as ProxiedRegistry;
  beforeAll(async () => {
    env.reg = await startRegistry();
    env.proxy = await startFaultProxy(env.reg.host);
  });
  afterAll(async () => {
    await env.proxy?.stop();
    await env.reg?.stop();
  });
  beforeEach(() => {
    env.proxy.clearRules();
    env.proxy.log.length = 0;
  });
  return env;
}
