#!/usr/bin/env bash
# Builds the EasyNets API documentation (the DocC catalog Sources/EasyNets/EasyNets.docc and every
# public symbol's doc comment) into .build/docs; any DocC warning fails the build.
# Usage: scripts/docs.sh   (then open .build/docs/index.html through a web server, or browse the archive)
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --allow-writing-to-directory .build/docs generate-documentation --target EasyNets \
    --output-path .build/docs --warnings-as-errors --disable-indexing --transform-for-static-hosting
echo "docs: built .build/docs"
