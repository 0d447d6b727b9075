#!/usr/bin/env bash
# Installs @coral-xyz/anchor from the npm registry (pinned by package-lock.json) on first use,
# then loads every IDL with it. Needs Node.js 18 or newer and npm.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "idl-check: Node.js and npm are needed (Debian: apt-get install nodejs npm)" >&2
  exit 2
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
exec node check.mjs
