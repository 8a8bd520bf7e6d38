import { expect, test } from 'vitest';
import { peers } from '../setup/peers.js';
test('x', () => {
  console.log(JSON.stringify(peers(), null, 1));
  expect(peers().images.length).toBe(6);
});
