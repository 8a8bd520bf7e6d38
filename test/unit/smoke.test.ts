import { expect, test } from 'vitest';
import { startRegistry } from '../helpers/registry.js';
import { chainIDs } from '../../src/oci/chainid.js';

test('a registry starts and answers /v2/', async () => {
  const reg = await startRegistry();
  try {
    const res = await fetch(`${reg.url}/v2/`);
    expect(res.status).toBe(200);
  } finally {
    await reg.stop();
  }
});

test('chain IDs follow the layer database rule', () => {
  // The check value from the format notes: sha256("sha256:aaaa sha256:bbbb").
  const a = 'sha256:aaaa';
  const b = 'sha256:bbbb';
  const ids = chainIDs([a, b]);
  expect(ids[0]).toBe(a);
  expect(ids[1]).toMatch(/^sha256:2c4d8760/);
});
