#!/usr/bin/env bash
# Installs what MediaSpread needs on Debian/Ubuntu, idempotently: system packages first
# (only those missing), then npm packages, then the TypeScript build (and the native addon
# once it exists). Prints what it did. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

SYSTEM_PACKAGES=(
  rabbitmq-server        # RPC broker for cluster mode and its tests
  ffmpeg                 # streaming in/out and recording
  chromium               # real-browser end-to-end tests
  nginx libnginx-mod-rtmp  # real RTMP/HLS sink in tests
  gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base gstreamer1.0-plugins-good  # real RTSP server in tests
  gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav  # its x264, x265, AAC encoders
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev  # native addon
  pkg-config build-essential python3
  iproute2 nftables ethtool  # network namespaces for impairment tests
)

packages=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    packages+=("$p")
  fi
done

if ((${#packages[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  say "installing system packages: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # rabbitmq-server's postinst would try to start the service; we start brokers ourselves.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
  say "system packages installed"
else
  say "system packages already present"
fi

lock_stamp=node_modules/.package-lock.stamp
if [[ ! -d node_modules || ! -f $lock_stamp ]] || ! cmp -s package-lock.json "$lock_stamp"; then
  # npm install rather than npm ci: npm 11 leaves other platforms' optional packages (biome's
  # binaries) out of the lock file and npm ci then refuses the lock as out of sync.
  say "installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
  cp package-lock.json "$lock_stamp"
else
  say "npm packages up to date"
fi

# Rebuilt when a source is newer than the addon or node changed (its ABI).
addon=$(ls native/build/Release/*.node 2>/dev/null | head -1 || true)
built_for=$(cat native/build/node-version 2>/dev/null || true)
if [[ -f native/binding.gyp && -n $addon && $built_for == "$(node --version)" &&
  -z $(find native/src native/binding.gyp -newer "$addon" 2>/dev/null) ]]; then
  say "native addon up to date"
elif [[ -f native/binding.gyp ]]; then
  say "building the native addon"
  # Build against the running node's own headers when it ships them (Debian's nodejs and the
  # official tarballs do): node-gyp would otherwise download them, and there may be no internet.
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  gyp_args=()
  if [[ -f "$node_prefix/include/node/node_api.h" ]]; then gyp_args+=("--nodedir=$node_prefix"); fi
  (cd native && npx --no-install node-gyp rebuild "${gyp_args[@]}" --silent >/dev/null)
  node --version >native/build/node-version
fi

say "compiling TypeScript"
npx --no-install tsc -p tsconfig.json

say "building the browser SDK and demo page (client/dist)"
node client/build.mjs
say "done"
