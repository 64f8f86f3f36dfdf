#!/usr/bin/env bash
# Installs the packed library next to NestJS 12 (ESM-only) in a temporary project and serves a guarded
# route and an OpenAPI document from it. Needs a build (`npm run build`) and the npm registry.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "./$tarball" \
  @nestjs/common@^12 @nestjs/core@^12 @nestjs/platform-express@^12 @nestjs/swagger@^12 reflect-metadata rxjs
cp "$root/test/nestjs12/app.mjs" "$root/test/smoke/fixtures/build-app.cjs" .

expected='{"denied":[401,"APIKey"],"allowed":{"format":"nestjs12"}}
{"schemes":{"APIKeyHeader":{"type":"apiKey","in":"header","name":"X-API-Key"}},"security":[{"APIKeyHeader":[]}]}'
actual="$(node app.mjs)"
if [ "$actual" != "$expected" ]; then
  printf 'NestJS 12 check failed.\nexpected:\n%s\nactual:\n%s\n' "$expected" "$actual" >&2
  exit 1
fi
echo "NestJS 12 check passed: $(node -p "require('@nestjs/core/package.json').version") (ESM build, guard and OpenAPI writer)"
