#!/usr/bin/env bash
# Every test: type checks, the layering check, unit tests (vitest), browser
# tests (Playwright on Debian Chromium, against the production build).
# Every step runs even when an earlier one fails, and the run ends with one
# "N passed, N failed" line over all of them (each check step counts as one);
# the exit code is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .reports
rm -f .reports/unit.json .reports/browser.json .reports/steps.txt

# step NAME COMMAND…: runs it, records "NAME ok|failed" for the summary
step() {
  local name=$1
  shift
  echo "── $name"
  if "$@"; then echo "$name ok" >> .reports/steps.txt; else echo "$name failed" >> .reports/steps.txt; echo "── $name FAILED"; fi
}

step setup-python bash scripts/ensure-python.sh
step setup-chromium bash scripts/ensure-chromium.sh
step wasm-build node scripts/build-wasm.mjs
step node-worker-build node scripts/build-node-worker.mjs
step types npx tsc --noEmit -p tsconfig.json
step svelte-check npx svelte-check --tsconfig ./tsconfig.json --threshold error --output human
step layering npx depcruise src --config .dependency-cruiser.cjs --output-type err
# (test failures are counted from the JSON reports, not from these exit codes)
npx vitest run --reporter=default --reporter=json --outputFile=.reports/unit.json
step production-build npx vite build --logLevel warn
if grep -q '^production-build ok' .reports/steps.txt; then
  PLAYWRIGHT_JSON_OUTPUT_NAME=.reports/browser.json npx playwright test --reporter=list,json
fi
node scripts/test-summary.mjs .reports/steps.txt .reports/unit.json .reports/browser.json
