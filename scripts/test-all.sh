#!/usr/bin/env bash
# The whole test suite on a fresh machine: peers from Debian, dependencies from the lock file, build,
# lint, type check, then every test (unit, conformance against Docker Engine/registry/skopeo, faults).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
npm ci --no-audit --no-fund
npm run build
npm run lint
npm run typecheck
mkdir -p bench/out
set +e
npx vitest run --reporter=default --reporter=json --outputFile=bench/out/test-results.json "$@"
status=$?
set -e
# CI reads a closing "N passed, N failed" line; vitest's own summary is not one it knows.
node -e '
  const r = JSON.parse(require("fs").readFileSync("bench/out/test-results.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || echo "0 passed, 1 failed"
exit $status
