#!/usr/bin/env bash
# Lint everything: TypeScript (tsc, eslint, prettier) and every shell script (shellcheck).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx prettier --check "**/*.{ts,mjs,json}"
shellcheck -x scripts/*.sh hosts/*/*.sh hosts/*/lib/*.sh bench/*.sh bin/pulumi-resource-etcd
npx tsc -p tsconfig.json
node scripts/shellcheck-hosts.mjs
echo "lint: clean"
