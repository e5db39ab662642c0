#!/usr/bin/env bash
# Browser tests drive Debian's Chromium; install it when missing (never a downloaded browser build).
# The WebGPU engine's Node tests run Dawn (the webgpu package) on Chromium's
# SwiftShader Vulkan driver, which needs the Vulkan loader (libvulkan1).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
/sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || need+=(libvulkan1)
if [ ${#need[@]} = 0 ]; then exit 0; fi
echo "Installing Debian's ${need[*]} for the browser and WebGPU tests…" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
