#!/usr/bin/env bash
# Writes golden archives (tests/golden/) with the llmz code of COMMIT — the
# code that released MODEL — so they are the bytes that release really made.
# Old commits run from a temporary git worktree that borrows this checkout's
# node_modules; HEAD runs here.
#
#   bash scripts/make-golden.sh COMMIT MODEL DIR [steering]
#   e.g. bash scripts/make-golden.sh 9fc7f76 llmz-base llmz-base@3 steering
#
# Each DIR gets: message.llmz (72-byte message: compact form where the release
# had it), multichunk.llmz (32-token chunks: full form with a chunk table),
# random.llmz (stored bytes), steering.llmz (domain prompts, when the release
# had them), message.link (a share link of message.llmz). Inputs: tests/golden/inputs/.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=$1 model=$2 dir=$3 steering=${4:-}
root=$PWD
out="$root/tests/golden/$dir"
inputs="$root/tests/golden/inputs"
mkdir -p "$out"
if [ "$(git rev-parse "$commit")" = "$(git rev-parse HEAD)" ]; then
  tree=$root
else
  tree=$(mktemp -d /tmp/llmz-golden-XXXXXX)
  git worktree add -q --detach "$tree" "$commit"
  ln -s "$root/node_modules" "$tree/node_modules"
  [ -f "$tree/scripts/build-wasm.mjs" ] && (cd "$tree" && node scripts/build-wasm.mjs > /dev/null)
  trap 'git worktree remove --force "$tree"' EXIT
fi
cli() { (cd "$tree" && npx tsx src/cli/main.ts "$@"); }
threads=()
grep -q "threads" "$tree/src/cli/main.ts" && threads=(--threads 1)
cli compress "$inputs/message.txt" -o "$out/message.llmz" --model "$model" "${threads[@]}" -f 2>/dev/null || cli compress "$inputs/message.txt" -o "$out/message.llmz" --model "$model"
cli compress "$inputs/multichunk.txt" -o "$out/multichunk.llmz" --model "$model" --chunk 32 "${threads[@]}" -f 2>/dev/null || cli compress "$inputs/multichunk.txt" -o "$out/multichunk.llmz" --model "$model" --chunk 32
cli compress "$inputs/random.bin" -o "$out/random.llmz" --model "$model" "${threads[@]}" -f 2>/dev/null || cli compress "$inputs/random.bin" -o "$out/random.llmz" --model "$model"
[ -n "$steering" ] && cli compress "$inputs/multichunk.txt" -o "$out/steering.llmz" --model "$model" --chunk 32 --steering auto "${threads[@]}" -f
node -e "const fs=require('fs');fs.writeFileSync(process.argv[2],'https://llmz.example/#z='+fs.readFileSync(process.argv[1]).toString('base64url')+'\n')" "$out/message.llmz" "$out/message.link"
echo "$(git rev-parse --short "$commit") $model" > "$out/MADE-BY"  # the commit itself, also when named HEAD
ls -l "$out"
