#!/usr/bin/env bash
# Installs the pinned pnpm and the workspace's dependencies, then runs "$@" (if given).
# Needs only Node 20 and npm: this is what `npm start` and `npm test` run first.
# With --build first, also compiles the packages the `aviso` and `aviso-relay` commands run from
# (tsc -b, into packages/*/dist) when any of their sources changed since the last build, so
# `npm run aviso` runs built JavaScript with plain node from a fresh clone on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=0
if [ "${1:-}" = "--build" ]; then build=1; shift; fi
# The stamp is touched after each build; a source, tsconfig or package.json newer than it (or no
# build at all) means build again. find stops at the first one: this costs milliseconds.
stamp=node_modules/.aviso-cli-build
build_stale() {
  local sources=(tsconfig.base.json) p
  for p in protocol client agent cli server; do sources+=("packages/$p/src" "packages/$p/package.json" "packages/$p/tsconfig.json"); done
  [ ! -f "$stamp" ] || [ ! -f packages/cli/dist/main.js ] || [ ! -f packages/server/dist/cli/main.js ] \
    || [ -n "$(find "${sources[@]}" -newer "$stamp" \( -name '*.ts' -o -name '*.json' \) -print -quit)" ]
}
# `npm run aviso` / `npm run relay` with everything installed and built: start at once (asking pnpm
# its version alone costs a third of a second, and the command does not need pnpm).
if [ "$build" = 1 ] && [ "$#" -gt 0 ] && [ -f node_modules/.modules.yaml ] && [ ! pnpm-lock.yaml -nt node_modules/.modules.yaml ] && ! build_stale; then
  exec "$@"
fi
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
if [ "$build" = 1 ] && build_stale; then
  echo "bootstrap: building the command line (tsc -b; the first build takes a minute or two)" >&2
  touch "$stamp.next"
  pnpm exec tsc -b packages/cli packages/server >&2
  mv "$stamp.next" "$stamp" # the time the build started: a file saved during it counts as newer
fi
if [ "$#" -gt 0 ]; then exec "$@"; fi
