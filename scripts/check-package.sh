#!/usr/bin/env bash
# Packs the library as `npm pack` does on a fresh clone (no dist: the prepack script builds it), checks what
# the tarball holds, then lints it with publint and @arethetypeswrong/cli. Fails on any error of either.
#
# attw runs with no ignored rule. The package ships its own CommonJS build (require) and ESM build (import),
# each with its own .d.ts, so every problem kind attw reports would break a real consumer: types of the wrong
# module kind (false-cjs, false-esm), require() reaching ESM (cjs-resolves-to-esm), missing or untyped
# entry points (no-resolution, untyped-resolution), named exports that do not exist at run time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A fresh clone: the files git would check out (uncommitted edits included), no dist, the shared node_modules.
mkdir "$work/clone"
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
  while IFS= read -r -d '' file; do [ -e "$root/$file" ] && printf '%s\0' "$file"; done |
  (cd "$root" && xargs -0 cp --parents -t "$work/clone")
ln -s "$(readlink -f "$root/node_modules")" "$work/clone/node_modules"
[ ! -e "$work/clone/dist" ] || { echo "check:package: the clone should have no dist" >&2; exit 1; }

tarball="$work/$(cd "$work/clone" && npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "check:package: packed $(basename "$tarball") from a fresh copy of the sources"

(cd "$root" && node - "$tarball") <<'NODE'
// What a user installs: the two builds with types and source maps that carry their sources, the license.
const { execFileSync } = require('node:child_process');
const ts = require(require.resolve('typescript', { paths: [process.cwd()] }));
const tarball = process.argv[2];
const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
const problems = [];
for (const file of ['LICENSE', 'README.md', 'package.json', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json',
  'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/esm/package.json']) {
  if (!files.includes(file)) problems.push(`missing ${file}`);
}
for (const file of files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f))) {
  problems.push(`unexpected ${file}`);
}
const maps = files.filter((f) => f.endsWith('.js.map'));
if (maps.length === 0) problems.push('no source maps');
for (const map of maps) {
  const { sources, sourcesContent } = JSON.parse(execFileSync('tar', ['-xOzf', tarball, `package/${map}`], { encoding: 'utf8' }));
  if (!Array.isArray(sourcesContent) || sourcesContent.length !== sources.length || sourcesContent.some((s) => typeof s !== 'string')) {
    problems.push(`${map} points at sources it does not carry`);
  }
}
const manifest = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
for (const name of Object.keys(manifest.dependencies ?? {})) {
  if (name.startsWith('@types/')) problems.push(`${name} is a runtime dependency`);
}
for (const declaration of files.filter((f) => f.endsWith('.d.ts'))) {
  const text = execFileSync('tar', ['-xOzf', tarball, `package/${declaration}`], { encoding: 'utf8' });
  for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
    if (specifier.startsWith('.')) continue;
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    const declared = { ...manifest.dependencies, ...manifest.peerDependencies };
    if (!name.startsWith('node:') && !(name in declared)) problems.push(`${declaration} imports ${specifier}, which users do not install`);
  }
}
if (problems.length > 0) {
  console.error(`check:package: the tarball is wrong:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`check:package: ${files.length} files, ${maps.length} source maps with their sources, no @types at run time`);
NODE

cd "$root"
npx --no-install publint run --strict "$tarball"
npx --no-install attw --profile strict --format table "$tarball"
echo "check:package: publint and attw passed"
