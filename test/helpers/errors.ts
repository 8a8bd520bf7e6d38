import { isStrataError } from '../../src/errors.js';

/** The kind and message of the StrataError a promise rejects with; anything else fails the test. */
export async function errorOf(p: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isStrataError(err)) return { kind: err.kind, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}
