#!/usr/bin/env bash
# Puts `aviso` and `aviso-relay` on your PATH: bash scripts/install-path.sh [DIR]   (default ~/.local/bin)
# Builds the command line first if needed (scripts/bootstrap.sh --build), then writes two small
# launchers into DIR that start this checkout's built JavaScript with plain node: no npm, no
# TypeScript compiler at each start. Run it again after moving the checkout; remove the two files
# to undo. Nothing outside DIR is touched, and no root is needed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$HOME/.local/bin}"
bash "$repo/scripts/bootstrap.sh" --build
mkdir -p "$dir"
for pair in "aviso:packages/cli/dist/main.js" "aviso-relay:packages/server/dist/cli/main.js"; do
  name="${pair%%:*}"
  target="$repo/${pair#*:}"
  # A CommonJS launcher (no file extension, no package.json beside it) that imports the ES module:
  # unlike a symlink it keeps working when a rebuild drops the executable bit, and the command is
  # still named `aviso` in process.argv, which is how aviso writes its `next:` hints.
  node -e '
    const [file, target] = process.argv.slice(1);
    const url = require("node:url").pathToFileURL(target).href;
    require("node:fs").writeFileSync(file, `#!/usr/bin/env node\n// Written by scripts/install-path.sh: runs ${target}\nimport(${JSON.stringify(url)});\n`, { mode: 0o755 });
  ' "$dir/$name" "$target"
  chmod 755 "$dir/$name"
  echo "installed $dir/$name -> $target"
done
case ":$PATH:" in
  *":$dir:"*) ;;
  *) echo "note: $dir is not on your PATH; add it, e.g.: echo 'export PATH=\"$dir:\$PATH\"' >> ~/.profile (then open a new terminal)" ;;
esac
