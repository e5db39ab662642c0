#!/usr/bin/env bash
# The cross-check against the training side's integer simulation needs Debian's python3 with numpy.
set -euo pipefail
if /usr/bin/python3 -c 'import numpy, regex' 2>/dev/null; then exit 0; fi
echo "Installing Debian's python3-numpy for the integer-simulation cross-check…" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-numpy python3-regex >/dev/null
