-- +goose Up
-- Fixed planner statistics (sqlite_stat1) describing a large instance: few distinct
-- branches, nearly unique keys, uids and hashes. Without them a fresh database has
-- no statistics, and SQLite may answer "key = ?" through the branch index, scanning
-- every row on main. A later ANALYZE replaces them with measured ones.
ANALYZE; -- creates sqlite_stat1
DELETE FROM sqlite_stat1 WHERE tbl LIKE 'lamindb_%';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('lamindb_artifact', 'lamindb_artifact_branch_id', '1000000 300000 1 1'),
    ('lamindb_artifact', 'lamindb_artifact_key', '1000000 2 1'),
    ('lamindb_artifact', 'lamindb_artifact_storage_key', '1000000 500000 2'),
    ('lamindb_artifact', 'lamindb_artifact_real_key', '1000000 500000 100000'),
    ('lamindb_artifact', 'lamindb_artifact_hash', '1000000 2'),
    ('lamindb_artifact', 'lamindb_artifact_created_at', '1000000 2'),
    ('lamindb_artifact', 'lamindb_artifact_description', '1000000 20'),
    ('lamindb_artifact', 'lamindb_artifact_run_id', '1000000 1000'),
    ('lamindb_artifact', 'unique_artifact_storage_key_hash_not_null', '1000000 500000 2 1 1 1'),
    ('lamindb_artifact', 'unique_artifact_storage_hash_null_key', '1000000 500000 2 1 1'),
    ('lamindb_artifact', 'sqlite_autoindex_lamindb_artifact_1', '1000000 1'),
    ('lamindb_collection', 'lamindb_collection_branch_id', '100000 30000 1'),
    ('lamindb_collection', 'lamindb_collection_key', '100000 2 1'),
    ('lamindb_collection', 'lamindb_collection_hash', '100000 2'),
    ('lamindb_collection', 'sqlite_autoindex_lamindb_collection_1', '100000 1'),
    ('lamindb_collectionartifact', 'lamindb_collectionartifact_artifact_id', '1000000 3'),
    ('lamindb_ulabel', 'lamindb_ulabel_branch_id', '100000 30000 1'),
    ('lamindb_ulabel', 'lamindb_ulabel_name', '100000 2'),
    ('lamindb_ulabel', 'lamindb_ulabel_type_id', '100000 100'),
    ('lamindb_transform', 'lamindb_transform_branch_id', '100000 30000 1'),
    ('lamindb_transform', 'lamindb_transform_key', '100000 3'),
    ('lamindb_run', 'lamindb_run_branch_id', '100000 30000 1'),
    ('lamindb_run', 'lamindb_run_transform_id', '100000 10');
ANALYZE sqlite_schema; -- reload the statistics

-- +goose Down
DELETE FROM sqlite_stat1 WHERE tbl LIKE 'lamindb_%';
