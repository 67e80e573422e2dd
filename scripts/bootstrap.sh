#!/usr/bin/env bash
# Installs the pinned pnpm and the workspace's dependencies, then runs "$@" (if given).
# Needs only Node 20 and npm: this is what `npm start` and `npm test` run first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
want="$(node -p 'require("./package.json").packageManager.split("@")[1]')"
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  echo "bootstrap: installing pnpm@$want" >&2
  npm install --global --no-audit --no-fund --save-exact "pnpm@$want" >&2
  PATH="$(npm prefix --global)/bin:$PATH"; export PATH
fi
# node-gyp (better-sqlite3, better-sqlite3-multiple-ciphers) cannot download Node headers here, and pnpm >= 11 ignores ~/.npmrc nodedir,
# so point it at the headers that ship with the running Node.
if [ -z "${npm_config_nodedir:-}" ]; then
  nodedir="$(node -p 'require("path").resolve(process.execPath, "../..")')"
  if [ -f "$nodedir/include/node/node_api.h" ]; then export npm_config_nodedir="$nodedir"; fi
fi
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  echo "bootstrap: installing dependencies (the first run compiles SQLite, about 2 minutes)" >&2
  # build_from_source: prebuild-install would first try to fetch a prebuilt binary from GitHub.
  npm_config_build_from_source=true pnpm install --frozen-lockfile >&2
fi
if [ "$#" -gt 0 ]; then exec "$@"; fi
