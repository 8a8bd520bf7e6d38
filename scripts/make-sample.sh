#!/usr/bin/env bash
# Rebuild fixtures/sample-image.tar, the image the README's first command explores, with the real
# Docker Engine's legacy builder from fixtures/sample-src. Needs DOCKER_HOST pointing at an engine.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER_BUILDKIT=0 docker build -q -t strata-sample:1.0 fixtures/sample-src
docker save strata-sample:1.0 -o fixtures/sample-image.tar
