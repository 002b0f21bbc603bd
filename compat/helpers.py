"""Small shared pieces of the compatibility tests: inputs, and how the two clients' records are compared."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

# The columns `lamin list artifact --json` prints (DESIGN.md, "Output"), all of them lamindb's; created_at is
# compared separately, as an instant, since lamin prints RFC 3339 and Python an isoformat with an offset.
LIST_FIELDS = (
    "id",
    "uid",
    "key",
    "description",
    "suffix",
    "kind",
    "otype",
    "size",
    "hash",
    "n_files",
    "n_observations",
    "version_tag",
    "is_latest",
    "is_locked",
    "branch_id",
    "space_id",
    "storage_id",
    "created_on_id",
    "created_by_id",
    "run_id",
    "schema_id",
)

# The 14 keys of lamindb's instance settings file, in the order lamindb writes them.
SETTINGS_KEYS = (
    "owner",
    "name",
    "storage_root",
    "storage_region",
    "db",
    "schema_str",
    "id",
    "git_repo",
    "keep_artifacts_local",
    "api_url",
    "schema_id",
    "fine_grained_access",
    "db_permissions",
    "is_clone",
)


def write_inputs(folder: Path) -> Path:
    """The files both directions save: two small files, a folder of three, two versions of one file, one for the
    trash, and later a new file, a third version and one more file."""
    folder.mkdir(parents=True)
    files = {
        "a.txt": "alpha\n",
        "b.txt": "bravo bravo\n",
        "v1.txt": "version one\n",
        "v2.txt": "version two, longer\n",
        "v3.txt": "version three, saved by the other client\n",
        "t.txt": "for the trash\n",
        "new.txt": "a new file\n",
        "later.txt": "saved by lamindb after lamin\n",
        "raw/r1.txt": "raw 1\n",
        "raw/r2.txt": "raw two\n",
        "raw/sub/r3.txt": "raw three, nested\n",
    }
    for name, text in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return folder


def project(record: dict) -> dict:
    return {f: record[f] for f in LIST_FIELDS}


def by_id(records) -> list:
    return sorted((project(r) for r in records), key=lambda r: r["id"])


def instants(records) -> dict:
    """uid -> created_at as an aware datetime."""
    return {r["uid"]: datetime.fromisoformat(r["created_at"]) for r in records}


def one(records, **match) -> dict:
    found = [r for r in records if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, f"expected one record with {match}, found {len(found)}: {found}"
    return found[0]


def family(records, key: str) -> list:
    """The records of one key, oldest version first."""
    return sorted((r for r in records if r["key"] == key), key=lambda r: r["uid"])


def read_env(path: Path) -> dict:
    """A settings file as lamindb writes it: key=value lines."""
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            k, _, v = line.partition("=")
            out[k] = v
    return out


def instance_id(owner: str, name: str) -> str:
    """lamindb_setup's id of a new instance: uuid5(NAMESPACE_URL, "owner/name"), 32 hex."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{owner}/{name}").hex
