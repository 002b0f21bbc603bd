"""One step of the real Python lamindb 2.9.1, in a process of its own.

    python py_step.py STEP ARGS_JSON OUT_JSON

Applies the offline LaminHub stand-in (conftest.patch_lamindb_hub), then runs STEP and writes its result as JSON
to OUT_JSON (lamindb's own messages go to stdout/stderr, which the test shows when something fails). Every step
but `init` first connects with `ln.connect(slug)`, reading the settings file in $LAMIN_SETTINGS_DIR/.lamin, exactly
as a colleague's script would.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import patch_lamindb_hub, report_network_attempts, tree_digest  # noqa: E402

report_network_attempts()
patch_lamindb_hub()

import lamindb_setup  # noqa: E402

ARTIFACT_FIELDS = (
    "id",
    "uid",
    "key",
    "description",
    "suffix",
    "kind",
    "otype",
    "size",
    "hash",
    "_hash_type",
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
    "_key_is_virtual",
    "_real_key",
    "_overwrite_versions",
)


def lamindb_hash(path: Path) -> dict:
    """The hash lamindb computes for these bytes (what a fresh save would record)."""
    from lamindb_setup.core.hashing import hash_dir, hash_file

    path = Path(path)
    if path.is_dir():
        size, h, hash_type, n_files = hash_dir(path)
        return {"size": size, "hash": h, "_hash_type": hash_type, "n_files": n_files}
    size, h, hash_type = hash_file(path)
    return {"size": size, "hash": h, "_hash_type": hash_type, "n_files": None}


def artifact_record(a) -> dict:
    r = {f: getattr(a, f) for f in ARTIFACT_FIELDS}
    r["created_at"] = a.created_at.isoformat()
    r["path"] = str(a.path)
    r["path_exists"] = Path(str(a.path)).exists()
    return r


def snapshot(ln) -> dict:
    """Every artifact on every branch, every collection with its members, as lamindb reports them."""
    arts = [artifact_record(a) for a in ln.Artifact.filter(branch=None).order_by("id")]
    cols = []
    for c in ln.Collection.filter(branch=None).order_by("id"):
        cols.append(
            {
                "uid": c.uid,
                "key": c.key,
                "hash": c.hash,
                "branch_id": c.branch_id,
                "is_latest": c.is_latest,
                "members": sorted(link.artifact.uid for link in c.links_artifact.all()),  # any branch
            }
        )
    return {"artifacts": arts, "collections": cols}


def connect(args):
    import lamindb as ln

    ln.connect(args["slug"])
    return ln


# ---------------------------------------------------------------------------------------------------------------


def step_init(args):
    import lamindb as ln

    ln.setup.init(storage=args["storage"])
    iset = lamindb_setup.settings.instance
    db = Path(iset.storage.root_as_str) / ".lamindb" / "lamin.db"
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        migrations = con.execute("select app, name from django_migrations order by id").fetchall()
    finally:
        con.close()
    settings_file = iset._get_settings_file()
    return {
        "slug": iset.slug,
        "name": iset.name,
        "owner": iset.owner,
        "id": iset._id.hex,
        "uid": iset.uid,
        "storage_root": iset.storage.root_as_str,
        "storage_uid": iset.storage.uid,
        "settings_file": str(settings_file),
        "settings_text": Path(settings_file).read_text(),
        "bionty_tables": sum(t.startswith("bionty_") for t in tables),
        "lamindb_tables": sum(t.startswith("lamindb_") for t in tables),
        "migrations": [list(m) for m in migrations],
    }


def step_populate(args):
    """The instance of the issue: a DataFrame, two files, a folder, two versions of one key, a collection holding
    the DataFrame, and one artifact in the trash."""
    import pandas as pd

    ln = connect(args)
    inputs = Path(args["inputs"])
    df = pd.DataFrame(
        {
            "n": pd.array([1, 2, 3], dtype="int64"),
            "name": ["x", "y", "z"],
            "score": [0.5, 1.5, float("nan")],
            "ok": [True, False, True],
        }
    )
    df_art = ln.Artifact.from_dataframe(df, key="mydf.parquet").save()
    ln.Artifact(inputs / "a.txt", key="files/a.txt").save()
    ln.Artifact(inputs / "b.txt", key="files/b.txt").save()
    ln.Artifact(inputs / "raw", key="raw").save()
    ln.Artifact(inputs / "v1.txt", key="data/v.txt").save()
    ln.Artifact(inputs / "v2.txt", key="data/v.txt").save()  # same key: lamindb makes it the new version
    ln.Collection(df_art, key="col1").save()
    ln.Artifact(inputs / "t.txt", key="trash/t.txt").save().delete()  # first delete: to the trash
    out = snapshot(ln)
    out["dataframe"] = {"columns": list(df.columns), "dtypes": {c: str(t) for c, t in df.dtypes.items()}}
    return out


def step_snapshot(args):
    return snapshot(connect(args))


def step_read(args):
    """For each uid: the bytes lamindb hands out (`.cache()`), their digest, and the hash lamindb computes of them."""
    ln = connect(args)
    out = {}
    for uid in args["uids"]:
        a = ln.Artifact.get(uid)  # by uid: any branch
        local = Path(str(a.cache()))
        out[uid] = {"local_path": str(local), "content": tree_digest(local), "lamindb_hash": lamindb_hash(local)}
    return out


def step_load_dataframe(args):
    """Load a table artifact with `.load()` and compare it with pandas' own reading of the CSV it came from."""
    import pandas as pd

    ln = connect(args)
    a = ln.Artifact.get(key=args["key"])
    got = a.load()
    want = pd.read_csv(args["csv"])
    try:
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        mismatch = None
    except AssertionError as e:
        mismatch = str(e)
    return {
        "type": type(got).__name__,
        "mismatch": mismatch,
        "columns": list(map(str, got.columns)),
        "dtypes": {str(c): str(t) for c, t in got.dtypes.items()},
        "want_dtypes": {str(c): str(t) for c, t in want.dtypes.items()},
        "values": json.loads(got.to_json(orient="split", index=False)),
        "want_values": json.loads(want.to_json(orient="split", index=False)),
    }


def step_trash_and_purge(args):
    """Trash an artifact (first delete), then delete it permanently (second delete, storage too)."""
    ln = connect(args)
    a = ln.Artifact.get(key=args["key"])
    uid, path = a.uid, Path(str(a.path))
    existed = path.exists()
    a.delete()
    trashed = ln.Artifact.get(uid)
    branch_after_trash = trashed.branch_id
    trashed.delete(permanent=True)
    return {
        "uid": uid,
        "path": str(path),
        "existed": existed,
        "branch_after_trash": branch_after_trash,
        "exists_after_purge": path.exists(),
        "row_after_purge": ln.Artifact.filter(uid=uid, branch=None).count(),
    }


def step_save(args):
    ln = connect(args)
    a = ln.Artifact(args["path"], key=args["key"]).save()
    return artifact_record(a)


STEPS = {name[len("step_") :]: f for name, f in globals().items() if name.startswith("step_")}


def main():
    step, args, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    result = STEPS[step](args)
    out.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
