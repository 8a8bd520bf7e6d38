/**
 * The conformance harness: one private Docker Engine and one registry for the whole run, and the
 * fixture images in every shape the peers produce (engine, registry, docker save tar, OCI layout, OCI
 * archive). Tests read what it made through peers() from ./peers.ts.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { docker, importBusyboxBase, type RunningDocker, run, startDocker } from '../helpers/docker.js';
import { type RunningRegistry, startRegistry } from '../helpers/registry.js';
import { FIXTURE_NAMES, type FixtureName, type PeerImage, type Peers } from './peers.js';

const CONTEXTS = fileURLToPath(new URL('../fixtures/dockerfiles/', import.meta.url));
const BASE_IMAGE = 'strata-fixture/busybox:1';
const LOCAL_IMAGE = 'strata-fixture/local:1';
const TAG = '1';

/** Paths and names of one fixture; pure, so the layout of workDir is decided in one place. */
export function planImage(name: FixtureName, registry: string, workDir: string): PeerImage {
  const registryRef = `${registry}/strata-fixture/${name}:${TAG}`;
  return {
    name,
    dockerRef: registryRef,
    registryRef,
    archive: join(workDir, 'archives', `${name}.tar`),
    ociDir: join(workDir, 'oci', name),
    ociTag: TAG,
    ociArchive: join(workDir, 'oci-archives', `${name}.tar`),
    ociConvertedDir: join(workDir, 'oci-converted', name),
  };
}

/** The legacy builder commits one image per step, which is what gives local history real IDs. */
function build(host: string, context: string, tag: string): Promise<string> {
  return docker(host, ['build', '-q', '-t', tag, join(CONTEXTS, context)], { env: { DOCKER_BUILDKIT: '0' } });
}

/**
 * Copy from the registry with skopeo. With preserveDigests the Docker manifest and config are kept
 * byte for byte (the same image, same ID); without, skopeo converts them to OCI, rewriting the config.
 */
function skopeoFromRegistry(image: PeerImage, dest: string, preserveDigests = true): Promise<string> {
  return run('skopeo', [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    ...(preserveDigests ? ['--preserve-digests'] : []),
    `docker://${image.registryRef}`,
    dest,
  ]);
}

/**
 * Spread one built image into every shape, then make the engine hold it as a pulled image: without
 * the build's intermediate images, so `docker history` shows <missing> below the top row.
 */
async function distribute(host: string, image: PeerImage): Promise<void> {
  await docker(host, ['push', '-q', image.registryRef]);
  await Promise.all([
    docker(host, ['save', '-o', image.archive, image.registryRef]),
    skopeoFromRegistry(image, `oci:${image.ociDir}:${image.ociTag}`),
    skopeoFromRegistry(image, `oci-archive:${image.ociArchive}:${image.ociTag}`),
    skopeoFromRegistry(image, `oci:${image.ociConvertedDir}:${image.ociTag}`, false),
  ]);
  await docker(host, ['rmi', image.registryRef]);
  await docker(host, ['pull', '-q', image.dockerRef]);
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const steps: string[] = [];
  let engine: RunningDocker | undefined;
  let registry: RunningRegistry | undefined;
  const workDir = mkdtempSync(join(tmpdir(), 'strata-peers-'));
  const teardown = async () => {
    const results = await Promise.allSettled([engine?.stop(), registry?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    let t = performance.now();
    [engine, registry] = await Promise.all([startDocker(), startRegistry()]);
    steps.push(`engine+registry ${seconds(t)}`);
    const host = engine.host;

    t = performance.now();
    await importBusyboxBase(host, BASE_IMAGE);
    steps.push(`base ${seconds(t)}`);

    t = performance.now();
    const images = FIXTURE_NAMES.map((name) => planImage(name, registry!.host, workDir));
    for (const dir of ['archives', 'oci', 'oci-archives', 'oci-converted']) mkdirSync(join(workDir, dir));
    // Builds spend most of their time starting and committing containers, so they overlap well.
    await Promise.all([
      ...images.map((image) => build(host, image.name, image.registryRef)),
      build(host, 'local', LOCAL_IMAGE),
    ]);
    steps.push(`build ${seconds(t)}`);

    t = performance.now();
    await Promise.all(images.map((image) => distribute(host, image)));
    steps.push(`push/save/skopeo/pull ${seconds(t)}`);

    const peers: Peers = {
      dockerHost: host,
      dockerDataRoot: engine.dataRoot,
      registry: registry.host,
      workDir,
      images,
      localImage: LOCAL_IMAGE,
      baseImage: BASE_IMAGE,
    };
    project.provide('peers', peers);
    console.log(`[peers] ready in ${seconds(started)} (${steps.join(', ')})`);
    return teardown;
  } catch (err) {
    await teardown().catch(() => {});
    throw err;
  }
}
