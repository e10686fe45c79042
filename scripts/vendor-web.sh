#!/usr/bin/env bash
# Copies the dashboard's JavaScript libraries from npm, at the versions pinned in
# cmd/reel/internal/web/npm/package-lock.json, into the embedded assets
# (cmd/reel/internal/web/assets/vendor). Run it after changing a pin; the copies
# are committed, so building and testing reel never needs npm or the network.
set -euo pipefail
cd "$(dirname "$0")/../cmd/reel/internal/web/npm"
npm ci --ignore-scripts --no-audit --no-fund
dst=../assets/vendor/uplot
mkdir -p "$dst"
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE "$dst/"
echo "vendored uplot $(node -p 'require("./node_modules/uplot/package.json").version') into $dst"
