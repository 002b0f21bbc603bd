"""Python → lamin → Python: an instance the real lamindb 2.9.1 made, worked on by `lamin`, reopened by lamindb.

lamindb inits an instance (the default, seeded from its template with the bionty tables, and from scratch), saves
a DataFrame, two files, a folder, two versions of one key, a collection holding the DataFrame, and trashes one
artifact. `lamin` connects by name and by path, lists every branch with exactly lamindb's values, loads every
artifact's bytes, trashes, restores and purges the head of `data/v.txt`, is refused the purge of the collection's
member, purges the artifact lamindb trashed, saves a new file and a new version, and finds the instance consistent.
lamindb then reopens it and finds exactly what `lamin` left: the same rows, the purged ones and their files gone, the
new ones readable, hashed as lamindb hashes them; and what lamindb saves afterwards, `lamin` lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import tree_digest
from helpers import SETTINGS_KEYS, by_id, family, instants, one, project, read_env, write_inputs


def make_python_instance(world, from_scratch: bool):
    """An instance made and filled by lamindb; returns (init result, populate result, inputs folder)."""
    storage = world.tmp / "pymade"
    inputs = write_inputs(world.work / "inputs")
    init = world.py("init", storage=str(storage), from_scratch=from_scratch)

    # What lamindb made (the facts the rest of the test rests on).
    assert init["slug"] == "anonymous/pymade"
    assert init["storage_root"] == str(storage.resolve())
    assert init["lamindb_tables"] == 85
    assert init["bionty_tables"] == (0 if from_scratch else 56)
    assert Path(init["settings_file"]) == world.settings / "instance--anonymous--pymade.env"
    assert tuple(read_env(Path(init["settings_file"]))) == tuple("lamindb_instance_" + k for k in SETTINGS_KEYS)

    made = world.py("populate", slug=init["slug"], inputs=str(inputs))
    arts = made["artifacts"]
    assert sorted(a["key"] for a in arts) == sorted(
        ["mydf.parquet", "files/a.txt", "files/b.txt", "raw", "data/v.txt", "data/v.txt", "trash/t.txt"]
    )
    assert all(a["path_exists"] for a in arts)
    v0, v1 = family(arts, "data/v.txt")
    assert (v0["uid"][:16], v0["uid"][16:], v0["is_latest"]) == (v1["uid"][:16], "0000", False)
    assert (v1["uid"][16:], v1["is_latest"], v1["branch_id"]) == ("0001", True, 1)
    assert one(arts, key="trash/t.txt")["branch_id"] == -1
    raw = one(arts, key="raw")
    assert (raw["n_files"], raw["_hash_type"], raw["_overwrite_versions"]) == (3, "md5-d", True)
    df = one(arts, key="mydf.parquet")
    assert (df["suffix"], df["otype"], df["kind"]) == (".parquet", "DataFrame", "dataset")
    assert made["collections"] == [
        {
            "uid": made["collections"][0]["uid"],
            "key": "col1",
            "hash": made["collections"][0]["hash"],
            "branch_id": 1,
            "is_latest": True,
            "members": [df["uid"]],
        }
    ]
    return init, made, inputs


def lamin_list(world, *branch):
    return world.lamin_json("list", "artifact", *branch, "--limit", "0", "--json")


def assert_same_records(got, want):
    """lamin's records equal lamindb's, field by field, and the same creation instants."""
    assert by_id(got) == by_id(want)
    assert instants(got) == instants(want)


@pytest.mark.parametrize("init_mode", ["template", "from_scratch"])
def test_lamin_lists_loads_and_changes_a_python_made_instance_and_lamindb_reads_the_result(world, init_mode):
    init, made, inputs = make_python_instance(world, from_scratch=init_mode == "from_scratch")
    arts = made["artifacts"]
    slug, storage = init["slug"], Path(init["storage_root"])
    main = [a for a in arts if a["branch_id"] == 1]
    trash = [a for a in arts if a["branch_id"] == -1]

    # --- lamin opens what lamindb made: by name (lamindb's settings file), then by path (the storage root).
    world.lamin("connect", slug)
    assert_same_records(lamin_list(world), main)
    world.lamin("connect", str(storage))
    assert_same_records(lamin_list(world), main)
    assert_same_records(lamin_list(world, "--branch", "main"), main)
    assert_same_records(lamin_list(world, "--branch", "trash"), trash)
    assert_same_records(lamin_list(world, "--branch", "all"), arts)
    world.lamin("check")

    # --- lamin load prints a local path holding exactly the bytes lamindb stored.
    def loaded(*address):
        out = world.lamin("load", "artifact", *address).stdout
        assert out.endswith("\n") and out.count("\n") == 1, f"load must print one path and nothing else: {out!r}"
        return tree_digest(out.strip())

    df = one(arts, key="mydf.parquet")
    v0, v1 = family(arts, "data/v.txt")
    assert loaded("--key", "mydf.parquet") == tree_digest(df["path"])
    assert loaded("--key", "files/a.txt") == tree_digest(inputs / "a.txt")
    assert loaded("--key", "files/b.txt") == tree_digest(inputs / "b.txt")
    assert loaded("--key", "raw") == tree_digest(inputs / "raw")
    assert loaded("--key", "data/v.txt") == tree_digest(inputs / "v2.txt")  # newest version first
    assert loaded("--uid", v0["uid"]) == tree_digest(inputs / "v1.txt")
    assert loaded("--key", "trash/t.txt") == tree_digest(inputs / "t.txt")  # --key reaches the trash too

    # --- Trash, restore and purge the head of data/v.txt; the older version becomes the latest.
    want = {a["uid"]: project(a) for a in arts}

    def expect(uid, **fields):
        want[uid].update(fields)

    def assert_now():
        assert by_id(lamin_list(world, "--branch", "all")) == sorted(want.values(), key=lambda r: r["id"])

    world.lamin("delete", "artifact", "--key", "data/v.txt")  # the first delete trashes, without asking
    expect(v1["uid"], branch_id=-1, is_latest=False)
    expect(v0["uid"], is_latest=True)
    assert_now()
    assert Path(v1["path"]).exists()  # trash keeps the bytes

    world.lamin("restore", "artifact", "--uid", v1["uid"])
    expect(v1["uid"], branch_id=1)  # restore does not make it the head again (lamindb; docs/differences.md)
    assert_now()

    world.lamin("delete", "artifact", "--uid", v1["uid"], "--permanent")
    del want[v1["uid"]]
    assert_now()
    assert not Path(v1["path"]).exists()
    assert world.lamin("get", "artifact", v1["uid"], "--json", expect=3).stdout == ""

    # --- The collection's member is protected: the purge is refused (exit 4) and changes nothing.
    refused = world.lamin("delete", "artifact", "--key", "mydf.parquet", "--permanent", expect=4)
    assert "collection" in refused.stderr.lower(), refused.stderr
    assert_now()
    assert Path(df["path"]).exists()

    # --- The artifact lamindb trashed: a second delete asks, and "y" deletes it permanently, bytes too.
    t = one(arts, key="trash/t.txt")
    world.lamin("delete", "artifact", "--key", "trash/t.txt", input="y\n")
    del want[t["uid"]]
    assert_now()
    assert not Path(t["path"]).exists()

    # --- lamin saves a new file and a new version of data/v.txt.
    new = world.lamin_json("save", str(inputs / "new.txt"), "--key", "files/new.txt", "--json")
    v3 = world.lamin_json("save", str(inputs / "v3.txt"), "--key", "data/v.txt", "--json")
    assert (new["key"], new["suffix"], new["size"], new["is_latest"], new["branch_id"]) == (
        "files/new.txt",
        ".txt",
        (inputs / "new.txt").stat().st_size,
        True,
        1,
    )
    # A new version: the family's stem and the base-62 increment of its largest remaining suffix (spec §3.1).
    assert v3["uid"] == v0["uid"][:16] + "0001"
    assert (v3["key"], v3["is_latest"], v3["branch_id"], v3["size"]) == (
        "data/v.txt",
        True,
        1,
        (inputs / "v3.txt").stat().st_size,
    )
    expect(v0["uid"], is_latest=False)
    want[new["uid"]] = project(new)
    want[v3["uid"]] = project(v3)
    assert_now()
    world.lamin("check")
    final = lamin_list(world, "--branch", "all")

    # --- lamindb reopens the instance and finds exactly that.
    after = world.py("snapshot", slug=slug)
    assert_same_records(after["artifacts"], final)
    # The purged rows are gone (by id: lamin's new version took v1's free uid, as lamindb would).
    assert [a for a in after["artifacts"] if a["id"] in (v1["id"], t["id"])] == []
    assert all(a["path_exists"] for a in after["artifacts"])
    assert [c["members"] for c in after["collections"]] == [[df["uid"]]]
    for uid in (new["uid"], v3["uid"]):
        hidden = one(after["artifacts"], uid=uid)
        # lamindb's hidden fields, as lamindb itself writes them for a file saved under a key
        assert (hidden["_hash_type"], hidden["_key_is_virtual"], hidden["_real_key"], hidden["_overwrite_versions"]) == (
            "md5",
            True,
            None,
            False,
        )
        assert Path(hidden["path"]) == storage / ".lamindb" / f"{uid}.txt"

    read = world.py("read", slug=slug, uids=[new["uid"], v3["uid"], v0["uid"], df["uid"], one(arts, key="raw")["uid"]])
    sources = {
        new["uid"]: inputs / "new.txt",
        v3["uid"]: inputs / "v3.txt",
        v0["uid"]: inputs / "v1.txt",
        df["uid"]: Path(df["path"]),
        one(arts, key="raw")["uid"]: inputs / "raw",
    }
    for uid, source in sources.items():
        assert read[uid]["content"] == tree_digest(source), uid
        rec = one(after["artifacts"], uid=uid)
        h = read[uid]["lamindb_hash"]
        assert (h["hash"], h["size"], h["n_files"]) == (rec["hash"], rec["size"], rec["n_files"]), uid

    # --- lamindb keeps writing into the instance lamin worked on, and lamin follows.
    later = world.py("save", slug=slug, path=str(inputs / "later.txt"), key="files/later.txt")
    world.lamin("check")
    assert_same_records(lamin_list(world, "--branch", "all"), after["artifacts"] + [later])
