#!/usr/bin/env bash
# Builds a self-contained Furrow release tarball for the EC2 modules' furrow_artifact_s3_uri: the sources plus
# production node_modules installed exactly from package-lock.json, so instances need no package registry.
#
#   terraform/scripts/build-release.sh [OUT_DIR]        (run from a clean checkout, on Linux x86_64 or arm64
#                                                        matching the instances' architecture)
#   aws s3 cp OUT_DIR/furrow-<version>.tgz s3://my-artifacts/furrow/
#
# Prints the tarball's path and SHA-256 (furrow_artifact_sha256).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)
VERSION=$(node -p "require('$ROOT/package.json').version")
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

cp -R "$ROOT/bin" "$ROOT/pipeline" "$ROOT/emulator" "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT/tsconfig.json" "$STAGE/"
(cd "$STAGE" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund)
# The bundle the apps run (bin/build.mjs; --ignore-scripts skipped the `prepare` script that makes it).
(cd "$STAGE" && node bin/build.mjs)
# Tests are not part of a release.
find "$STAGE/pipeline" "$STAGE/emulator" -name '*.test.ts' -delete

TARBALL="$OUT/furrow-$VERSION.tgz"
tar -czf "$TARBALL" -C "$STAGE" .
echo "$TARBALL"
sha256sum "$TARBALL" | cut -d' ' -f1
