#!/usr/bin/env bash
# Refreshes the repository's copy of the recorded Moodle cases (contract/) from the shared recording folder
# (default ../shared/moodle-contract, or the folder given as $1). Tests read only the copy, so a clone runs alone.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${1:-../shared/moodle-contract}"
[ -f "$SRC/index.json" ] || { echo "no recorded cases at $SRC (index.json missing)" >&2; exit 1; }
rm -rf contract.new && mkdir contract.new
cp -R "$SRC"/. contract.new/
chmod -R u+w,go-w contract.new
rm -rf contract && mv contract.new contract
echo "contract/ refreshed from $SRC: $(find contract -name '*.json' ! -name index.json | wc -l) cases"
