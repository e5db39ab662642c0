#!/usr/bin/env bash
# Every test: type checks, unit tests (vitest), browser tests (Playwright on Debian Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-python.sh
bash scripts/ensure-chromium.sh
npx tsc --noEmit -p tsconfig.json
npx svelte-check --tsconfig ./tsconfig.json --threshold error --output human
npx vitest run
npx vite build --logLevel warn
npx playwright test
