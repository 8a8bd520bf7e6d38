// Placeholder: the conformance harness (Docker Engine, registry, fixture images) is set up here.
export default async function setup(): Promise<void> {}
