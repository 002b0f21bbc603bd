#!/usr/bin/env bash
# Makes testdata/v3-instance.tar.gz: an instance made by the release before
# lamindb's schema (commit 794dfbe, our schema version 3), with a row of every
# kind it wrote: files, a DataFrame, a folder with two versions, two versions
# of a file, a collection, a ulabel, a locked artifact, one in the trash, one
# purged (audit log), an empty file. TestMigrateV3Instance migrates a copy.
#   usage: make-v3-instance.sh LAMIN_V3_BINARY
set -euo pipefail
lamin="$1"
out="$(cd "$(dirname "$0")" && pwd)/v3-instance.tar.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export LAMIN_SETTINGS_DIR="$work/settings" HOME="$work/home"
cd "$work"
mkdir -p src/raw
printf 'a,b\n1,x\n2,y\n' > src/t.csv
printf 'one\n' > src/one.txt
printf 'v1\n' > src/v.txt
printf 'r1\n' > src/raw/r1.txt
printf 'r2\n' > src/raw/r2.txt
: > src/empty.txt
"$lamin" init --storage "$work/v3inst"
"$lamin" save src/t.csv --dataframe --key tables/t.parquet --description "a table"
"$lamin" save src/one.txt --key one.txt
"$lamin" save src/v.txt --key data/v.txt
printf 'v2\n' > src/v.txt
"$lamin" save src/v.txt --key data/v.txt
"$lamin" save src/raw --key raw
printf 'r3\n' > src/raw/r3.txt
"$lamin" save src/raw --key raw
"$lamin" save src/empty.txt --description empty
one=$("$lamin" get artifact --key one.txt --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["uid"])')
tab=$("$lamin" get artifact --key tables/t.parquet --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["uid"])')
"$lamin" create collection --key coll --artifact "$tab" --artifact "$one"
"$lamin" create ulabel Experiment
printf 'gone\n' > src/gone.txt
"$lamin" save src/gone.txt --key gone.txt
"$lamin" delete artifact --key gone.txt --permanent
printf 'trash\n' > src/trash.txt
"$lamin" save src/trash.txt --key trash.txt
"$lamin" delete artifact --key trash.txt
"$lamin" update artifact --uid "$one" --locked true
cd "$work/v3inst/.lamindb" && sqlite3 lamin.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
cd "$work" && tar czf "$out" v3inst
echo "wrote $out"
