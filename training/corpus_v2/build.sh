#!/usr/bin/env bash
# Corpus v2, part 1 (issue #16): licence-clean text of the kinds the first
# corpus lacks — code in Go, Rust, C++, Java and TypeScript, JSON data, HTML
# documentation, and other languages (Russian, German, French, Spanish,
# Chinese) — taken from Debian packages (apt-get download: nothing is
# installed) and npm packages (npm pack). Reproducible on a fresh machine.
#
#   bash training/corpus_v2/build.sh OUT      (e.g. /work/data/v2; needs apt-get update once)
#
# Writes OUT/<source>.txt (documents separated by a blank line, as
# ../shared/corpus/train/train.txt) and OUT/sources.tsv (source, kind, MB,
# licence). Held out, never taken: the sources of ../shared/corpus/dev/realworld/
# (cobra, serde_json, gson, imgui, vue, backbone, browser-compat-data,
# country-codes, helm-charts, Chekhov, Lu Xun, Pardo Bazán, linux-uvc).
set -euo pipefail
OUT=$(realpath -m "${1:?usage: build.sh OUT}")
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/debs" "$OUT/x" "$OUT/npm"
cd "$OUT/debs"
PKGS="golang-1.19-src rust-src libboost1.81-dev openjdk-17-source rust-doc iso-codes
      manpages-ru manpages-de manpages-fr manpages-es manpages-zh
      debian-reference-de debian-reference-fr debian-reference-es debian-reference-zh-cn"
for p in $PKGS; do ls "$p"_*.deb > /dev/null 2>&1 || apt-get download -q "$p"; done
for d in *.deb; do p=${d%%_*}; [ -d "$OUT/x/$p" ] || dpkg-deb -x "$d" "$OUT/x/$p"; done
cd "$OUT/npm"
for p in typescript@5.6.3 @types/node@22.10.0; do ls "$(echo "$p" | tr -d @ | tr / - | sed 's/[0-9.]*$//')"*.tgz > /dev/null 2>&1 || npm pack -q "$p" > /dev/null; done
for t in *.tgz; do [ -d "${t%.tgz}" ] || (mkdir "${t%.tgz}" && tar -xzf "$t" -C "${t%.tgz}"); done
python3 "$HERE/collect.py" "$OUT"
