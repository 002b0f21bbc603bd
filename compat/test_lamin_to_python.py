"""lamin → Python → lamin: an instance `lamin` made, opened and changed by the real lamindb 2.9.1, checked by `lamin`.

`lamin init` makes the instance and saves a CSV as a DataFrame (Parquet), a file, a folder and two versions of one
key. lamindb connects by name (the settings file `lamin` wrote in the shared settings folder), lists the same
records, loads the DataFrame equal to pandas' reading of the CSV (values and dtypes), reads every file, computes the
same hashes from the stored bytes, trashes and purges one artifact and saves one of its own. `lamin check` then
finds the instance consistent and `lamin` lists, loads and manages lamindb's artifact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from conftest import tree_digest
from helpers import SETTINGS_KEYS, by_id, family, instance_id, instants, one, read_env, write_inputs


def test_lamindb_opens_a_lamin_made_instance_loads_trashes_purges_saves_and_lamin_stays_consistent(world):
    storage = world.tmp / "gomade"
    inputs = write_inputs(world.work / "inputs")
    csv = inputs / "data.csv"
    df = pd.DataFrame(
        {
            "n": [1, 2, 3, 40],
            "name": ["x", "y", "z", "w"],
            "score": [0.5, 1.5, None, -2.25],
            "ok": [True, False, True, True],
        }
    )
    df.to_csv(csv, index=False)
    want_dtypes = {"n": "int64", "name": "object", "score": "float64", "ok": "bool"}
    assert {c: str(t) for c, t in pd.read_csv(csv).dtypes.items()} == want_dtypes

    # --- lamin makes the instance, with lamindb's settings file in the shared settings folder.
    world.lamin("init", "--storage", str(storage))
    settings_file = world.settings / "instance--anonymous--gomade.env"
    assert settings_file.is_file(), sorted(p.name for p in world.settings.glob("*")) if world.settings.exists() else []
    env = read_env(settings_file)
    assert tuple(env) == tuple("lamindb_instance_" + k for k in SETTINGS_KEYS)
    assert {k: env["lamindb_instance_" + k] for k in ("owner", "name", "storage_root", "db", "id")} == {
        "owner": "anonymous",
        "name": "gomade",
        "storage_root": str(storage.resolve()),
        "db": "null",
        "id": instance_id("anonymous", "gomade"),
    }

    saved = {
        "df": world.lamin_json("save", str(csv), "--dataframe", "--key", "df.parquet", "--json"),
        "a": world.lamin_json("save", str(inputs / "a.txt"), "--key", "files/a.txt", "--json"),
        "b": world.lamin_json("save", str(inputs / "b.txt"), "--key", "files/b.txt", "--json"),
        "raw": world.lamin_json("save", str(inputs / "raw"), "--key", "raw", "--json"),
        "v1": world.lamin_json("save", str(inputs / "v1.txt"), "--key", "data/v.txt", "--json"),
        "v2": world.lamin_json("save", str(inputs / "v2.txt"), "--key", "data/v.txt", "--json"),
    }
    assert saved["v2"]["uid"] == saved["v1"]["uid"][:16] + "0001"
    assert (saved["df"]["suffix"], saved["df"]["otype"], saved["df"]["kind"]) == (".parquet", "DataFrame", "dataset")
    assert saved["raw"]["n_files"] == 3
    made = world.lamin_json("list", "artifact", "--branch", "all", "--limit", "0", "--json")
    assert sorted(a["uid"] for a in made) == sorted(s["uid"] for s in saved.values())
    v1, v2 = family(made, "data/v.txt")
    assert (v1["is_latest"], v2["is_latest"]) == (False, True)

    # --- lamindb connects by name and lists exactly these records.
    slug = "anonymous/gomade"
    seen = world.py("snapshot", slug=slug)
    assert by_id(seen["artifacts"]) == by_id(made)
    assert instants(seen["artifacts"]) == instants(made)
    assert seen["collections"] == []
    for a in seen["artifacts"]:
        assert a["path_exists"], a
        folder = a["n_files"] is not None
        # lamindb's storage layout and hidden fields, as lamindb itself writes them for the same saves
        assert Path(a["path"]) == storage / ".lamindb" / (a["uid"][:16] if folder else a["uid"] + a["suffix"]), a
        assert (a["_hash_type"], a["_key_is_virtual"], a["_real_key"], a["_overwrite_versions"]) == (
            "md5-d" if folder else "md5",
            True,
            None,
            folder,
        ), a

    # --- lamindb reads every artifact's bytes and hashes them as it would hash a save of its own.
    read = world.py("read", slug=slug, uids=[a["uid"] for a in made])
    sources = {
        saved["a"]["uid"]: inputs / "a.txt",
        saved["b"]["uid"]: inputs / "b.txt",
        saved["raw"]["uid"]: inputs / "raw",
        saved["v1"]["uid"]: inputs / "v1.txt",
        saved["v2"]["uid"]: inputs / "v2.txt",
    }
    for uid, source in sources.items():
        assert read[uid]["content"] == tree_digest(source), uid
    for a in made:
        h = read[a["uid"]]["lamindb_hash"]
        assert (h["hash"], h["size"], h["n_files"]) == (a["hash"], a["size"], a["n_files"]), a["key"]

    # --- lamindb loads the DataFrame: equal to pandas' reading of the CSV, values and dtypes.
    loaded = world.py("load_dataframe", slug=slug, key="df.parquet", csv=str(csv))
    assert loaded["type"] == "DataFrame"
    assert loaded["dtypes"] == want_dtypes
    assert loaded["values"] == loaded["want_values"]
    assert loaded["mismatch"] is None, loaded["mismatch"]

    # --- lamindb trashes and purges one of lamin's artifacts, and saves one of its own.
    purged = world.py("trash_and_purge", slug=slug, key="files/a.txt")
    assert purged == {
        "uid": saved["a"]["uid"],
        "path": str(storage / ".lamindb" / (saved["a"]["uid"] + ".txt")),
        "existed": True,
        "branch_after_trash": -1,
        "exists_after_purge": False,
        "row_after_purge": 0,
    }
    mine = world.py("save", slug=slug, path=str(inputs / "new.txt"), key="py/new.txt")
    assert (mine["key"], mine["branch_id"], mine["is_latest"], mine["path_exists"]) == ("py/new.txt", 1, True, True)

    # --- lamin finds the instance consistent and shows lamindb's changes.
    world.lamin("check")
    now = world.lamin_json("list", "artifact", "--branch", "all", "--limit", "0", "--json")
    assert sorted(a["uid"] for a in now) == sorted(
        [a["uid"] for a in made if a["uid"] != saved["a"]["uid"]] + [mine["uid"]]
    )
    assert by_id([one(now, uid=mine["uid"])]) == by_id([mine])
    assert instants([one(now, uid=mine["uid"])]) == instants([mine])
    assert by_id([a for a in now if a["uid"] != mine["uid"]]) == by_id(
        [a for a in made if a["uid"] != saved["a"]["uid"]]
    )
    path = world.lamin("load", "artifact", "--key", "py/new.txt").stdout.strip()
    assert tree_digest(path) == tree_digest(inputs / "new.txt")
    after = world.py("snapshot", slug=slug)
    assert by_id(after["artifacts"]) == by_id(now)
