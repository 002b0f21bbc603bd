-- Our own tables, beside lamindb's, at the newest schema version. New instances
-- and instances made by Python lamindb get them as they are here; instances of
-- earlier releases reach the same shape through the migrations. None has a
-- foreign key to a lamindb table: Python lamindb deletes rows without knowing
-- ours, so each of these tolerates a row whose lamindb row is gone.

-- lamin_storing marks artifact rows whose bytes are being written (two-phase
-- save): the row is inserted with its mark in one transaction, the bytes are
-- written under a temporary name and renamed, then the mark is removed. A folder
-- save records phase 1 when it begins to replace its family's tree, and the head
-- it demoted. A mark whose owner process is gone is repaired on the next open.
CREATE TABLE lamin_storing (
    artifact_id integer PRIMARY KEY,
    owner varchar(255) NOT NULL,
    tmp_path text NULL,
    started_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    phase integer NOT NULL DEFAULT 0,
    demoted_id integer NULL
);

-- lamin_purge_intent records bytes to delete after a permanent delete commits;
-- written in the same transaction that removes the rows, cleared once the bytes
-- are gone.
CREATE TABLE lamin_purge_intent (
    id integer PRIMARY KEY AUTOINCREMENT,
    storage_root varchar(255) NOT NULL,
    path text NOT NULL,
    is_dir bool NOT NULL DEFAULT 0,
    size bigint NULL,
    owner varchar(255) NOT NULL,
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text NULL
);

-- lamin_audit_event is the audit log: one row per record and action, written in
-- the transaction that makes the change.
CREATE TABLE lamin_audit_event (
    id integer PRIMARY KEY AUTOINCREMENT,
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    user_handle varchar(30) NOT NULL,
    action varchar(20) NOT NULL,
    registry varchar(30) NOT NULL,
    record_uid varchar(20) NOT NULL,
    record_id integer NULL,
    from_branch_id integer NULL,
    to_branch_id integer NULL,
    bytes bigint NULL,
    detail text NULL
);
CREATE INDEX lamin_audit_event_created_at ON lamin_audit_event (created_at);

-- lamin_setting holds instance-wide settings, e.g. the default storage location.
CREATE TABLE lamin_setting (
    key varchar(64) PRIMARY KEY,
    value text NOT NULL
);

-- lamin_artifact_sha256 is the full-content SHA-256 of an artifact (of a
-- folder: of its files' hashes), which deduplication needs beside lamindb's
-- hash (sha1-fl reads only the first and last 50 MiB) and the size. Artifacts
-- that Python lamindb saved have none until a dedup candidate is hashed once.
-- Artifact ids are never reused (AUTOINCREMENT), so a row whose artifact is
-- gone can never describe another one. hash is the artifact's lamindb hash the
-- SHA-256 was taken with: Python's artifact.replace() keeps the id and changes
-- the bytes and the hash, which makes the row stale (ignored, learned again).
CREATE TABLE lamin_artifact_sha256 (
    artifact_id integer PRIMARY KEY,
    sha256 char(64) NOT NULL,
    hash varchar(22) NOT NULL
);
