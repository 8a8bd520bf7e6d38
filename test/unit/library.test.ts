// `import { … } from 'strata'` works as the README shows (the built package, self-referenced by name).
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

test("the package's own name resolves to the library, and reading the sample image works", () => {
  const script = `
    import { openImage, historyRows, layerSizes, copyImage, buildUnion, analyseWaste } from 'strata';
    const { image, source } = await openImage('docker-archive:fixtures/sample-image.tar');
    const rows = historyRows(image, await layerSizes(source, image));
    await source.close();
    console.log(JSON.stringify({ id: image.id, rows: rows.length, fns: [copyImage, buildUnion, analyseWaste].map((f) => typeof f) }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
  expect(r.stderr.toString()).toBe('');
  expect(JSON.parse(r.stdout.toString())).toEqual({
    id: 'sha256:65a83465685ebb2fe94eec26d27cabd4419235aa01271d3aad92a0b29d71b86c',
    rows: 9,
    fns: ['function', 'function', 'function'],
  });
});
