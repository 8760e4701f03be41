#!/usr/bin/env bash
# Packaging test, run by .ci/run after the tests: what `npm pack` makes installs and runs on its own, as on a clean
# machine. The tarball is installed globally into a throwaway prefix (its dependencies from the npm cache npm ci
# filled, or the registry), then the installed mdlsync (not the clone's) prints its version, writes a config with
# `mdlsync init` and runs the quick start against its sandbox from a folder outside the repository.
# better-sqlite3 downloads a prebuilt binary, or compiles (python3, make, g++) when none can be fetched: that is most
# of the time this takes, and it is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
version="$(node -p "require('./package.json').version")"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/mdlsync-pack.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "pack-test: FAIL: $*" >&2; exit 1; }

started=$SECONDS
# npm pack runs prepare (the build), so dist/ is what this commit compiles to.
npm pack --silent --pack-destination "$tmp" >/dev/null
tarball="$tmp/mdlsync-$version.tgz"
[ -f "$tarball" ] || fail "npm pack wrote no $tarball"
listing="$(tar -tzf "$tarball")"
for needed in package/bin/mdlsync.js package/dist/cli/main.js package/dist/bundle/main.js package/dist/sandbox/server.js package/fixtures/persons.txt package/README.md; do
  grep -qx "$needed" <<<"$listing" || fail "the tarball lacks $needed"
done
# Nothing a user cannot run: source maps (their sources are not shipped), the benchmark, compiled tests.
extra="$(grep -E '\.map$|^package/dist/bench/|\.test\.js$|^package/(src|test|contract)/' <<<"$listing" || true)"
[ -z "$extra" ] || fail "the tarball holds files no user runs: $(head -3 <<<"$extra" | tr '\n' ' ')"
echo "pack-test: $(basename "$tarball"): $(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) kB, packed in $((SECONDS - started)) s"

installing=$SECONDS
# From the temp folder, so no node_modules of the clone is within reach; a tarball's prepare is not run on install,
# which is why dist/ must be in it. --allow-scripts: better-sqlite3's install script fetches or builds its binary.
if ! (cd "$tmp" && npm install -g --prefix "$tmp/prefix" --prefer-offline --no-audit --no-fund \
  --allow-scripts=better-sqlite3 "$tarball" >"$tmp/install.log" 2>&1); then
  tail -40 "$tmp/install.log" >&2
  fail "npm install -g of the tarball failed"
fi
# node-gyp leaves its object files beside the binary; a downloaded prebuilt binary comes alone.
built="prebuilt binary"
[ -d "$tmp/prefix/lib/node_modules/mdlsync/node_modules/better-sqlite3/build/Release/obj.target" ] && built="compiled from source"
echo "pack-test: installed in $((SECONDS - installing)) s (better-sqlite3: $built)"

mdlsync="$tmp/prefix/bin/mdlsync"
[ -x "$mdlsync" ] || fail "no mdlsync in $tmp/prefix/bin"
shown="$("$mdlsync" --version)"
[ "$shown" = "$version" ] || fail "mdlsync --version says $shown, package.json $version"

# The quick start, from a folder outside the repository, with the installed package's own fixture.
work="$tmp/work"
mkdir "$work"
cp "$tmp/prefix/lib/node_modules/mdlsync/fixtures/persons.txt" "$work/"
cd "$work"
case "$work" in "$repo"/*) fail "the work folder $work is inside the repository" ;; esac
printf 'unused-with-the-sandbox\n' >token
chmod 600 token
"$mdlsync" init --url https://moodle.example.edu --token-file token --yes >/dev/null || fail "mdlsync init exited $?"
"$mdlsync" run persons.txt --sandbox -q >"$tmp/run1.txt" || fail "mdlsync run persons.txt --sandbox exited $?"
grep -q 'rows 5: create 5' "$tmp/run1.txt" || fail "the first run did not create the 5 persons: $(cat "$tmp/run1.txt")"
"$mdlsync" run persons.txt --sandbox -q >"$tmp/run2.txt" || fail "the second run exited $?"
grep -q 'unchanged 5' "$tmp/run2.txt" || fail "the second run did not find the 5 persons unchanged: $(cat "$tmp/run2.txt")"
echo "pack-test: ok: mdlsync $shown installed from the tarball ran the quick start twice (in $((SECONDS - started)) s in all)"
