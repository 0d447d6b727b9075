#!/usr/bin/env bash
# Regenerates idl/*.json from the programs' code (no Anchor CLI or SBF toolchain needed).
# Usage: scripts/gen-idl.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet --target-dir target/idl -p idl-gen -- "$@"
