#!/usr/bin/env bash
# Every test: type checks, unit tests (vitest), browser tests (Playwright on Debian Chromium).
# Ends with one "N passed, N failed" line over both runners.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-python.sh
bash scripts/ensure-chromium.sh
node scripts/build-wasm.mjs
npx tsc --noEmit -p tsconfig.json
npx svelte-check --tsconfig ./tsconfig.json --threshold error --output human
mkdir -p .reports
npx vitest run --reporter=default --reporter=json --outputFile=.reports/unit.json
npx vite build --logLevel warn
PLAYWRIGHT_JSON_OUTPUT_NAME=.reports/browser.json npx playwright test --reporter=list,json
node scripts/test-summary.mjs .reports/unit.json .reports/browser.json
