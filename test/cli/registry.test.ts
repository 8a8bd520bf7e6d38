// The registry seen through the CLI: what the metadata commands fetch, and every registry failure as a
// user meets it (one line, a distinct exit code, no stack trace).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { expectCleanError, runCli } from '../helpers/cli.js';
import { type FaultProxy, flipByte, startFaultProxy } from '../helpers/fault-proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { makeLayer, pushImage } from '../helpers/registry-fixtures.js';
import { peerImage } from '../setup/peers.js';

let proxy: FaultProxy;
const fixture = peerImage('large');
const repoPath = fixture.registryRef.slice(fixture.registryRef.indexOf('/') + 1); // strata-fixture/large:1
const viaProxy = () => `${proxy.host}/${repoPath}`;

beforeAll(async () => {
  proxy = await startFaultProxy(fixture.registryRef.slice(0, fixture.registryRef.indexOf('/')));
});
afterAll(async () => {
  await proxy.stop();
});

describe('cheap by design: metadata commands fetch no layer blob', () => {
  const layerBlobGets = (digests: string[]) =>
    proxy.log.filter((e) => e.method === 'GET' && digests.some((d) => e.path.endsWith(`/blobs/${d}`))).length;

  test('manifest, config, history -q, templates without sizes, inspect -f without sizes', async () => {
    process.env.STRATA_ROOT = mkdtempSync(join(tmpdir(), 'strata-cheap-'));
    const manifest = JSON.parse((await runCli(['manifest', viaProxy()])).stdout);
    const layerDigests: string[] = manifest.layers.map((l: { digest: string }) => l.digest);
    expect(layerDigests.length).toBeGreaterThan(1);
    proxy.log.length = 0;
    for (const args of [
      ['manifest'],
      ['config'],
      ['history', '-q'],
      ['history', '--format', '{{.ID}} {{.CreatedBy}}'],
      ['inspect', '--format', '{{.Id}} {{.Config.Cmd}} {{.RootFS.Layers}}'],
      ['layers', '--format', '{{.ChainID}} {{.Digest}} {{.CompressedSize}}'],
    ]) {
      const r = await runCli([...args, viaProxy()]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(layerBlobGets(layerDigests)).toBe(0);
    // Each command fetched the manifest and at most the config blob.
    expect(proxy.log.filter((e) => e.path.includes('/blobs/')).length).toBeLessThanOrEqual(6);

    // Sizes need one scan per layer; after that, no image sharing the layers pays again.
    const first = await runCli(['history', viaProxy()]);
    expect(first.code, first.stderr).toBe(0);
    expect(layerBlobGets(layerDigests)).toBe(layerDigests.length);
    proxy.log.length = 0;
    for (const args of [['history'], ['inspect'], ['layers']]) {
      const r = await runCli([...args, viaProxy()]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(layerBlobGets(layerDigests)).toBe(0);
  });
});

describe('registry failures', () => {
  test('unknown repository', async () => {
    const r = await runCli(['inspect', `${proxy.host}/strata-fixture/no-such-repo:1`]);
    expectCleanError(r, EXIT_CODES['not-found'], /unknown|not found/i);
  });

  test('unknown tag', async () => {
    const r = await runCli(['history', `${proxy.host}/strata-fixture/large:no-such-tag`]);
    expectCleanError(r, EXIT_CODES['not-found'], /no-such-tag|unknown/);
  });

  test('a manifest fetched by digest that does not match it', async () => {
    const digest = JSON.parse((await runCli(['inspect', '--format', '{{json .Strata}}', viaProxy()])).stdout)
      .ManifestDigest as string;
    proxy.addRule({
      path: /\/manifests\/sha256:/,
      times: 1,
      fault: { kind: 'rewrite', transform: flipByte(20) },
    });
    try {
      const r = await runCli(['manifest', `${proxy.host}/strata-fixture/large@${digest}`]);
      expectCleanError(r, EXIT_CODES['digest-mismatch'], /digest mismatch/);
    } finally {
      proxy.clearRules();
    }
  });

  test('a config blob whose bytes do not match its digest', async () => {
    proxy.addRule({ path: /\/blobs\//, times: 1, fault: { kind: 'rewrite', transform: flipByte(-3) } });
    try {
      const r = await runCli(['config', viaProxy()]);
      expectCleanError(r, EXIT_CODES['digest-mismatch'], /digest mismatch/);
    } finally {
      proxy.clearRules();
    }
  });

  test('a layer blob whose bytes do not match its digest (read for sizes)', async () => {
    process.env.STRATA_ROOT = mkdtempSync(join(tmpdir(), 'strata-layer-mismatch-'));
    const manifest = JSON.parse((await runCli(['manifest', viaProxy()])).stdout);
    const top = manifest.layers.at(-1).digest as string;
    proxy.addRule({
      path: new RegExp(`/blobs/${top}$`),
      fault: { kind: 'rewrite', transform: flipByte(100) },
    });
    try {
      const r = await runCli(['history', viaProxy()]);
      expectCleanError(r, EXIT_CODES['digest-mismatch'], new RegExp(top.slice(7, 19)));
    } finally {
      proxy.clearRules();
    }
  });

  test('malformed and truncated manifests', async () => {
    proxy.addRule({
      path: /\/manifests\/1$/,
      times: 1,
      fault: {
        kind: 'replace',
        body: '{"schemaVersion": 2, "config": [',
        contentType: 'application/vnd.oci.image.manifest.v1+json',
      },
    });
    const truncated = await runCli(['history', viaProxy()]);
    expectCleanError(truncated, EXIT_CODES.invalid, /manifest/);
    proxy.addRule({
      path: /\/manifests\/1$/,
      times: 1,
      fault: {
        kind: 'replace',
        body: '<html>oops</html>',
        contentType: 'application/vnd.oci.image.manifest.v1+json',
      },
    });
    const garbage = await runCli(['history', viaProxy()]);
    expectCleanError(garbage, EXIT_CODES.invalid, /not valid JSON/);
    proxy.clearRules();
  });

  test('a schema 1 manifest is refused', async () => {
    const schema1 = JSON.stringify({
      schemaVersion: 1,
      name: 'x',
      tag: '1',
      architecture: 'amd64',
      fsLayers: [],
      history: [],
    });
    proxy.addRule({
      path: /\/manifests\/1$/,
      times: 1,
      fault: {
        kind: 'replace',
        body: schema1,
        contentType: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
      },
    });
    const r = await runCli(['history', viaProxy()]);
    expectCleanError(r, EXIT_CODES.unsupported, /schema 1/);
    proxy.clearRules();
  });
});

describe('registries of their own', () => {
  let reg: RunningRegistry;
  let authReg: RunningRegistry;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-htpasswd-'));
    writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', 'alice', 'right-password']));
    [reg, authReg] = await Promise.all([
      startRegistry(),
      startRegistry({ authYaml: `  htpasswd:\n    realm: strata-test\n    path: ${join(dir, 'htpasswd')}` }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([reg.stop(), authReg.stop()]);
  });

  test('wrong credentials', async () => {
    const r = await runCli(['manifest', '--creds', 'alice:wrong-password', `${authReg.host}/app:1`]);
    expectCleanError(r, EXIT_CODES.auth, new RegExp(authReg.host.replace(/\./g, '\\.')));
  });

  test('no credentials for a registry that wants them', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'strata-authfile-')), 'config.json');
    writeFileSync(config, '{"auths": {}}');
    const r = await runCli(['manifest', '--authfile', config, `${authReg.host}/app:1`]);
    expectCleanError(r, EXIT_CODES.auth, /auth/i);
  });

  test('a named auth file that does not exist', async () => {
    const r = await runCli([
      'manifest',
      '--authfile',
      join(tmpdir(), 'no-such-config.json'),
      `${authReg.host}/app:1`,
    ]);
    expectCleanError(r, EXIT_CODES['not-found'], /no-such-config\.json/);
  });

  test('a malformed config (with a matching digest)', async () => {
    const layer = await makeLayer([{ name: 'a.txt', content: 'a' }]);
    await pushImage({ url: reg.url }, 'badconfig', '1', {
      layers: [layer],
      config: Buffer.from('{"rootfs": {"diff_ids": ['),
    });
    const r = await runCli(['inspect', `${reg.host}/badconfig:1`]);
    expectCleanError(r, EXIT_CODES.invalid, /config/);
  });

  test('a config whose rootfs does not match the manifest', async () => {
    const layer = await makeLayer([{ name: 'a.txt', content: 'a' }]);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    await pushImage({ url: reg.url }, 'mismatch', '1', { layers: [layer], config });
    const r = await runCli(['history', `${reg.host}/mismatch:1`]);
    expectCleanError(r, EXIT_CODES.invalid, /diff_ids|layers/);
  });

  test('a layer media type strata does not read', async () => {
    const layer = await makeLayer([{ name: 'a.txt', content: 'a' }]);
    await pushImage({ url: reg.url }, 'odd', '1', {
      layers: [{ ...layer, mediaType: 'application/x-not-a-layer' }],
    });
    const r = await runCli(['history', `${reg.host}/odd:1`]);
    expectCleanError(r, EXIT_CODES.unsupported, /application\/x-not-a-layer/);
  });
});
