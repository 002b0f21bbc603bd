-- +goose Up
-- lamindb's core registries with lamindb's table and column names (spec §5).
-- Foreign keys carry no ON DELETE clause, as in lamindb: PROTECT and CASCADE are
-- enforced by the delete planner (internal/registry.Relations), which names the
-- blocking relation in its error.

CREATE TABLE lamindb_space (
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(12) NOT NULL UNIQUE,
    name varchar(100) NOT NULL,
    description text NULL,
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    created_by_id integer NULL
);
CREATE UNIQUE INDEX lamindb_space_lower_name ON lamindb_space (LOWER(name));

CREATE TABLE lamindb_user (
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(8) NOT NULL UNIQUE,
    handle varchar(30) NOT NULL UNIQUE,
    name varchar(150) NULL,
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))
);

CREATE TABLE lamindb_branch (
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(12) NOT NULL UNIQUE,
    name varchar(100) NOT NULL,
    description text NULL,
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    space_id smallint NOT NULL DEFAULT 1 REFERENCES lamindb_space (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED,
    _status_code smallint NOT NULL DEFAULT 0,
    _aux text NULL DEFAULT 'null'
);
CREATE UNIQUE INDEX lamindb_branch_lower_name ON lamindb_branch (LOWER(name));

CREATE TABLE lamindb_storage (
    is_locked bool NOT NULL DEFAULT 0,
    _aux text NULL DEFAULT 'null',
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(12) NOT NULL UNIQUE,
    root varchar(255) NOT NULL UNIQUE,
    description text NULL,
    type varchar(30) NOT NULL,
    region varchar(64) NULL,
    instance_uid varchar(12) NULL,
    branch_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    created_on_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    run_id bigint NULL REFERENCES lamindb_run (id) DEFERRABLE INITIALLY DEFERRED,
    space_id smallint NOT NULL DEFAULT 1 REFERENCES lamindb_space (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE lamindb_transform (
    version_tag varchar(30) NULL,
    is_latest bool NOT NULL DEFAULT 1,
    is_locked bool NOT NULL DEFAULT 0,
    _aux text NULL DEFAULT 'null',
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(16) NOT NULL UNIQUE,
    key varchar(1024) NOT NULL,
    description text NULL,
    kind varchar(20) NOT NULL DEFAULT 'pipeline',
    source_code text NULL,
    hash varchar(22) NULL,
    reference varchar(255) NULL,
    reference_type varchar(25) NULL,
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    branch_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    created_on_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    environment_id integer NULL REFERENCES lamindb_artifact (id) DEFERRABLE INITIALLY DEFERRED,
    plan_id integer NULL REFERENCES lamindb_artifact (id) DEFERRABLE INITIALLY DEFERRED,
    space_id smallint NOT NULL DEFAULT 1 REFERENCES lamindb_space (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED,
    run_id bigint NULL REFERENCES lamindb_run (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (key, hash)
);
CREATE INDEX lamindb_transform_branch_id ON lamindb_transform (branch_id, id);
CREATE INDEX lamindb_transform_key ON lamindb_transform (key);

CREATE TABLE lamindb_run (
    is_locked bool NOT NULL DEFAULT 0,
    _aux text NULL DEFAULT 'null',
    updated_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(20) NOT NULL UNIQUE,
    name varchar(150) NULL,
    description text NULL,
    entrypoint varchar(255) NULL,
    started_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    finished_at datetime NULL,
    params text NULL,
    reference varchar(255) NULL,
    reference_type varchar(25) NULL,
    cli_args varchar(1024) NULL,
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    _is_consecutive bool NULL,
    _status_code smallint NOT NULL DEFAULT -3,
    branch_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    created_on_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    environment_id integer NULL REFERENCES lamindb_artifact (id) DEFERRABLE INITIALLY DEFERRED,
    plan_id integer NULL REFERENCES lamindb_artifact (id) DEFERRABLE INITIALLY DEFERRED,
    report_id integer NULL REFERENCES lamindb_artifact (id) DEFERRABLE INITIALLY DEFERRED,
    space_id smallint NOT NULL DEFAULT 1 REFERENCES lamindb_space (id) DEFERRABLE INITIALLY DEFERRED,
    transform_id integer NOT NULL REFERENCES lamindb_transform (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED,
    initiated_by_run_id bigint NULL REFERENCES lamindb_run (id) DEFERRABLE INITIALLY DEFERRED,
    extra_data text NULL
);
CREATE INDEX lamindb_run_branch_id ON lamindb_run (branch_id, id);
CREATE INDEX lamindb_run_transform_id ON lamindb_run (transform_id);

CREATE TABLE lamindb_artifact (
    version_tag varchar(30) NULL,
    is_latest bool NOT NULL,
    is_locked bool NOT NULL DEFAULT 0,
    _aux text NULL DEFAULT 'null',
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(20) NOT NULL UNIQUE,
    key varchar(1024) NULL,
    _real_key varchar(1024) NULL,
    description text NULL,
    suffix varchar(30) NOT NULL,
    kind varchar(20) NULL,
    otype varchar(64) NULL,
    size bigint NULL,
    hash varchar(22) NULL,
    n_files bigint NULL,
    n_observations bigint NULL,
    _hash_type varchar(30) NULL,
    _key_is_virtual bool NOT NULL,
    _overwrite_versions bool NOT NULL,
    branch_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    created_on_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    run_id bigint NULL REFERENCES lamindb_run (id) DEFERRABLE INITIALLY DEFERRED,
    schema_id integer NULL,
    space_id smallint NOT NULL DEFAULT 1 REFERENCES lamindb_space (id) DEFERRABLE INITIALLY DEFERRED,
    storage_id integer NOT NULL REFERENCES lamindb_storage (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED,
    extra_data text NULL
);
-- lamindb's unique indexes would merge two different files whose sha1-fl hashes collide
-- (DESIGN, deliberate differences); ours include the size and the full-content SHA-256,
-- kept in _aux, so only truly identical content collides. Empty files never
-- deduplicate (lamindb), so they are outside the indexes.
CREATE UNIQUE INDEX unique_artifact_storage_key_hash_not_null ON lamindb_artifact
    (storage_id, key, hash, size, json_extract(_aux, '$.sha256')) WHERE key IS NOT NULL AND size <> 0 AND json_extract(_aux, '$.sha256') IS NOT NULL;
CREATE UNIQUE INDEX unique_artifact_storage_hash_null_key ON lamindb_artifact
    (storage_id, hash, size, json_extract(_aux, '$.sha256')) WHERE key IS NULL AND size <> 0 AND json_extract(_aux, '$.sha256') IS NOT NULL;
-- (branch_id, id, kind) serves the default first page (newest on main, hidden kinds
-- filtered in the index) and counts per branch without touching the table.
CREATE INDEX lamindb_artifact_branch_id ON lamindb_artifact (branch_id, id, kind);
CREATE INDEX lamindb_artifact_key ON lamindb_artifact (key, created_at);
CREATE INDEX lamindb_artifact_storage_key ON lamindb_artifact (storage_id, key);
CREATE INDEX lamindb_artifact_real_key ON lamindb_artifact (storage_id, _real_key);
CREATE INDEX lamindb_artifact_hash ON lamindb_artifact (hash);
CREATE INDEX lamindb_artifact_created_at ON lamindb_artifact (created_at);
CREATE INDEX lamindb_artifact_description ON lamindb_artifact (description);
CREATE INDEX lamindb_artifact_run_id ON lamindb_artifact (run_id);
-- Fewer indexes than lamindb's (one per column): each one costs every insert;
-- kind lives in the branch index, and size/suffix/creator are rarely selective.

CREATE TABLE lamindb_collection (
    version_tag varchar(30) NULL,
    is_latest bool NOT NULL,
    is_locked bool NOT NULL DEFAULT 0,
    _aux text NULL DEFAULT 'null',
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(20) NOT NULL UNIQUE,
    key varchar(255) NOT NULL,
    description text NULL,
    hash varchar(22) NULL,
    reference varchar(255) NULL,
    reference_type varchar(25) NULL,
    branch_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    created_on_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    meta_artifact_id integer NULL UNIQUE REFERENCES lamindb_artifact (id) DEFERRABLE INITIALLY DEFERRED,
    run_id bigint NULL REFERENCES lamindb_run (id) DEFERRABLE INITIALLY DEFERRED,
    space_id smallint NOT NULL DEFAULT 1 REFERENCES lamindb_space (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED,
    schema_id integer NULL,
    CONSTRAINT unique_collection_key_hash_not_null UNIQUE (key, hash)
);
CREATE INDEX lamindb_collection_branch_id ON lamindb_collection (branch_id, id);
CREATE INDEX lamindb_collection_key ON lamindb_collection (key, created_at);
CREATE INDEX lamindb_collection_hash ON lamindb_collection (hash);

CREATE TABLE lamindb_collectionartifact (
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    id integer PRIMARY KEY AUTOINCREMENT,
    artifact_id integer NOT NULL REFERENCES lamindb_artifact (id) DEFERRABLE INITIALLY DEFERRED,
    collection_id integer NOT NULL REFERENCES lamindb_collection (id) DEFERRABLE INITIALLY DEFERRED,
    run_id bigint NULL REFERENCES lamindb_run (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (collection_id, artifact_id)
);
CREATE INDEX lamindb_collectionartifact_artifact_id ON lamindb_collectionartifact (artifact_id);

CREATE TABLE lamindb_ulabel (
    is_locked bool NOT NULL DEFAULT 0,
    _aux text NULL DEFAULT 'null',
    created_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    id integer PRIMARY KEY AUTOINCREMENT,
    uid varchar(8) NOT NULL UNIQUE,
    name varchar(150) NOT NULL,
    description text NULL,
    reference varchar(255) NULL,
    reference_type varchar(25) NULL,
    is_type bool NOT NULL DEFAULT 0,
    type_id integer NULL REFERENCES lamindb_ulabel (id) DEFERRABLE INITIALLY DEFERRED,
    branch_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    created_on_id integer NOT NULL DEFAULT 1 REFERENCES lamindb_branch (id) DEFERRABLE INITIALLY DEFERRED,
    space_id smallint NOT NULL DEFAULT 1 REFERENCES lamindb_space (id) DEFERRABLE INITIALLY DEFERRED,
    created_by_id integer NOT NULL REFERENCES lamindb_user (id) DEFERRABLE INITIALLY DEFERRED,
    run_id bigint NULL REFERENCES lamindb_run (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX lamindb_ulabel_branch_id ON lamindb_ulabel (branch_id, id);
CREATE INDEX lamindb_ulabel_name ON lamindb_ulabel (name);
CREATE INDEX lamindb_ulabel_type_id ON lamindb_ulabel (type_id);

-- Our own tables, beside lamindb's.

-- lamin_storing marks artifact rows whose bytes are being written (two-phase save):
-- the row is inserted with its mark in one transaction, the bytes are written under
-- a temporary name and renamed, then the mark is removed. A mark whose owner process
-- is gone is repaired on the next open (row and partial bytes removed).
CREATE TABLE lamin_storing (
    artifact_id integer PRIMARY KEY,
    owner varchar(255) NOT NULL,
    tmp_path text NULL,
    started_at datetime NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))
);

-- lamin_purge_intent records bytes to delete after a permanent delete commits; written
-- in the same transaction that removes the rows, cleared once the bytes are gone.
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

-- lamin_audit_event is the audit log: one row per record and action, written in the
-- transaction that makes the change.
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

-- +goose Down
DROP TABLE lamin_setting;
DROP TABLE lamin_audit_event;
DROP TABLE lamin_purge_intent;
DROP TABLE lamin_storing;
DROP TABLE lamindb_ulabel;
DROP TABLE lamindb_collectionartifact;
DROP TABLE lamindb_collection;
DROP TABLE lamindb_artifact;
DROP TABLE lamindb_run;
DROP TABLE lamindb_transform;
DROP TABLE lamindb_storage;
DROP TABLE lamindb_branch;
DROP TABLE lamindb_user;
DROP TABLE lamindb_space;
