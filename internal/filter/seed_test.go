package filter_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lamindb-go/lamindb/internal/filter"
	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// seedSQL is an instance's seed rows (space 1, user 1, branches -1/0/1,
// storage 1) plus a few rows of every registry on several branches. Ids are
// explicit so tests can name them.
var seedSQL = []string{
	`INSERT INTO lamindb_space (id, uid, name, description, created_at, created_by_id) VALUES
		(1, 'aaaaaaaaaaaa', 'all', NULL, '2023-12-01 00:00:00.000000', 1),
		(2, 'bbbbbbbbbbbb', 'Lab Space', 'Team Space', '2023-12-02 00:00:00.000000', 2)`,
	`INSERT INTO lamindb_user (id, uid, handle, name, created_at, updated_at) VALUES
		(1, '00000000', 'anonymous', NULL, '2023-12-01 00:00:00.000000', '2023-12-01 00:00:00.000000'),
		(2, 'Alice001', 'Alice', 'Alice Smith', '2023-12-02 00:00:00.000000', '2023-12-03 00:00:00.000000')`,
	`INSERT INTO lamindb_branch (id, uid, name, description, created_at, space_id, created_by_id, _status_code) VALUES
		(-1, 'tttttttttttt', 'trash', NULL, '2023-12-01 00:00:00.000000', 1, 1, 0),
		(0, 'aaaaaaaaaaaa', 'archive', NULL, '2023-12-01 00:00:00.000000', 1, 1, 0),
		(1, 'mmmmmmmmmmmm', 'main', NULL, '2023-12-01 00:00:00.000000', 1, 1, 0),
		(2, 'ffffffffffff', 'Feature-X', 'A Branch', '2023-12-05 00:00:00.000000', 2, 2, 1)`,
	`INSERT INTO lamindb_storage (id, uid, root, description, type, region, instance_uid, branch_id, created_on_id, run_id, space_id, created_by_id, created_at, updated_at, is_locked) VALUES
		(1, 'sssssssssss1', '/data/Store', 'Default Storage', 'local', 'Host-A', 'iiiiiiiiiiii', 1, 1, NULL, 1, 1, '2023-12-01 00:00:00.000000', '2023-12-01 00:00:00.000000', 0),
		(2, 'sssssssssss2', 's3://bucket/Root', NULL, 's3', 'us-east-1', NULL, 1, 1, 1, 2, 2, '2023-12-10 00:00:00.000000', '2023-12-11 00:00:00.000000', 1),
		(3, 'sssssssssss3', '/old/store', NULL, 'local', NULL, NULL, 0, 1, NULL, 1, 1, '2023-12-12 00:00:00.000000', '2023-12-12 00:00:00.000000', 0)`,
	`INSERT INTO lamindb_transform (id, uid, key, description, kind, source_code, hash, reference, reference_type, version_tag, is_latest, is_locked, created_at, updated_at, branch_id, created_on_id, environment_id, plan_id, space_id, created_by_id, run_id, _aux) VALUES
		(1, 'TTTTtrans0000000', 'pipelines/Train.py', NULL, 'script', 'print(1)', 'thashA', NULL, NULL, NULL, 1, 0, '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000', 1, 1, NULL, NULL, 1, 1, NULL, 'null'),
		(2, 'UUUUtrans0000000', 'notebooks/Explore.ipynb', 'Explore Data', 'notebook', NULL, 'thashB', 'Ref-2', 'DOI', 'v1', 0, 1, '2024-02-01 00:00:00.000000', '2024-02-02 00:00:00.000000', -1, 1, 3, 3, 2, 2, 1, '{"k":1}'),
		(3, 'VVVVtrans0000000', 'pipelines/train.py', NULL, 'pipeline', NULL, NULL, NULL, NULL, NULL, 1, 0, '2024-03-01 00:00:00.000000', '2024-03-01 00:00:00.000000', 0, 2, NULL, NULL, 1, 1, NULL, 'null')`,
	`INSERT INTO lamindb_run (id, uid, name, description, entrypoint, started_at, finished_at, params, reference, reference_type, cli_args, created_at, updated_at, _is_consecutive, _status_code, branch_id, created_on_id, environment_id, plan_id, report_id, space_id, transform_id, created_by_id, initiated_by_run_id, extra_data, is_locked, _aux) VALUES
		(1, 'RRRRrun000000001', 'First Run', 'Daily Run', 'main', '2024-01-01 10:00:00.000000', '2024-01-01 11:00:00.123456', '{"lr": 0.1}', 'Ref-R', 'URL', '--fast', '2024-01-01 10:00:00.000000', '2024-01-01 11:00:00.000000', 1, 0, 1, 1, 3, 3, 3, 1, 1, 1, NULL, '{"x":"y"}', 0, 'null'),
		(2, 'RRRRrun000000002', NULL, NULL, NULL, '2024-02-01 10:00:00.000', NULL, NULL, NULL, NULL, NULL, '2024-02-01 10:00:00.000', '2024-02-01 10:00:00.000', NULL, -3, -1, 1, NULL, NULL, NULL, 2, 2, 2, 1, NULL, 1, 'null'),
		(3, 'RRRRrun000000003', 'third', NULL, NULL, '2024-03-01 10:00:00.000000', NULL, NULL, NULL, NULL, NULL, '2024-03-01 10:00:00.000000', '2024-03-01 10:00:00.000000', NULL, 0, 0, 1, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, 0, 'null')`,
	`INSERT INTO lamindb_schema (id, uid, minimal_set, ordered_set, maximal_set, created_by_id) VALUES (7, 'SSSSschema000000', 1, 0, 0, 1)`,
	`INSERT INTO lamindb_artifact (id, uid, key, _real_key, description, suffix, kind, otype, size, hash, n_files, n_observations, _hash_type, _key_is_virtual, _overwrite_versions, branch_id, created_on_id, run_id, schema_id, space_id, storage_id, created_by_id, extra_data, version_tag, is_latest, is_locked, created_at, updated_at, _aux) VALUES
		(1, 'AAAAart0000000000000', 'raw/Data.csv', NULL, 'My Data', '.csv', 'dataset', 'DataFrame', 100, 'hashA1', NULL, 10, 'md5', 1, 0, 1, 1, 1, NULL, 1, 1, 1, NULL, 'v1', 0, 0, '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000', 'null'),
		(2, 'AAAAart0000000000001', 'raw/Data.csv', NULL, 'My Data v2', '.csv', 'dataset', 'DataFrame', 200, 'hashA2', NULL, 20, 'md5', 1, 0, -1, 1, NULL, NULL, 2, 2, 2, NULL, 'v2', 1, 0, '2024-02-01 00:00:00.000000', '2024-02-01 00:00:00.000000', 'null'),
		(3, 'BBBBart0000000000000', '.lamindb/report.html', NULL, NULL, '.html', '__lamindb_run__', NULL, 5, 'hashB', NULL, NULL, 'md5', 0, 0, 1, 1, 1, NULL, 1, 1, 1, NULL, NULL, 1, 0, '2024-03-01 00:00:00.000000', '2024-03-01 00:00:00.000000', 'null'),
		(4, 'CCCCart0000000000000', 'processed/data.parquet', 'real/x.parquet', 'Processed', '.parquet', 'dataset', 'DataFrame', 300, 'hashC', 3, NULL, 'sha1-fl', 1, 1, 0, 1, 2, 7, 2, 1, 2, '{"a": 1}', NULL, 1, 1, '2024-04-01 12:30:45.500000', '2024-04-02 00:00:00.000000', '{"sha256":"c"}'),
		(5, 'DDDDart0000000000000', 'raw/data.csv', NULL, 'my data', '.csv', NULL, NULL, 50, 'hashD', NULL, NULL, 'md5', 1, 0, 1, 2, 3, NULL, 1, 3, 1, NULL, NULL, 1, 0, '2024-05-01 00:00:00.000', '2024-05-01 00:00:00.000', 'null'),
		(6, 'EEEEart0000000000000', NULL, NULL, '100%_done', '.txt', 'model', NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1, 1, NULL, NULL, 1, 1, 1, NULL, NULL, 1, 0, '2024-06-01 00:00:00.000000', '2024-06-01 00:00:00.000000', 'null')`,
	`INSERT INTO lamindb_collection (id, uid, key, description, hash, reference, reference_type, version_tag, is_latest, is_locked, created_at, updated_at, branch_id, created_on_id, meta_artifact_id, run_id, space_id, created_by_id, schema_id, _aux) VALUES
		(1, 'CoLLcoll000000000000', 'My Collection', 'Cells', 'chash1', 'Ref-C', 'DOI', 'v1', 1, 0, '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000', 1, 1, 1, 1, 1, 1, NULL, 'null'),
		(2, 'CoLLcoll000000000001', 'my collection', NULL, 'chash2', NULL, NULL, NULL, 1, 1, '2024-02-01 00:00:00.000000', '2024-02-01 00:00:00.000000', -1, 1, NULL, NULL, 2, 2, NULL, '{"n":2}'),
		(3, 'DoLLcoll000000000000', 'Archived Set', NULL, NULL, NULL, NULL, NULL, 0, 0, '2024-03-01 00:00:00.000000', '2024-03-01 00:00:00.000000', 0, 2, NULL, 2, 1, 1, 7, 'null')`,
	`INSERT INTO lamindb_collectionartifact (id, collection_id, artifact_id, created_by_id) VALUES (1, 1, 1, 1), (2, 1, 5, 1)`,
	`INSERT INTO lamindb_ulabel (id, uid, name, description, reference, reference_type, is_type, type_id, branch_id, created_on_id, space_id, created_by_id, run_id, created_at, updated_at, is_locked, _aux) VALUES
		(1, 'ULab0001', 'Project', 'A Type', NULL, NULL, 1, NULL, 1, 1, 1, 1, NULL, '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000', 0, 'null'),
		(2, 'ULab0002', 'Experiment-1', NULL, 'Ref-U', 'URL', 0, 1, 1, 1, 2, 2, 1, '2024-02-01 00:00:00.000000', '2024-02-01 00:00:00.000000', 1, 'null'),
		(3, 'ULab0003', 'experiment-2', NULL, NULL, NULL, 0, 1, -1, 2, 1, 1, 2, '2024-03-01 00:00:00.000000', '2024-03-01 00:00:00.000000', 0, '{"z":0}')`,
}

var (
	seedOnce sync.Once
	seedDB   *sqldb.DB
	seedErr  error
)

// seeded returns one shared read-only database with seedSQL applied; the
// tests only read, so one database serves them all and keeps them fast.
func seeded(t testing.TB) *sqldb.DB {
	t.Helper()
	seedOnce.Do(func() {
		dir, err := tempDir()
		if err != nil {
			seedErr = err
			return
		}
		ctx := context.Background()
		db, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "lamin.db"))
		if err != nil {
			seedErr = err
			return
		}
		seedErr = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			for _, s := range seedSQL {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
		seedDB = db
	})
	if seedErr != nil {
		t.Fatalf("seed: %v", seedErr)
	}
	return seedDB
}

func mustReg(t testing.TB, name string) *registry.Registry {
	t.Helper()
	r, err := registry.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ids runs q.Select(id) and returns the ids in result order.
func ids(t testing.TB, db *sqldb.DB, q *filter.Query) []int64 {
	t.Helper()
	s, args, err := q.Select([]string{"id"})
	if err != nil {
		t.Fatalf("Select: %v", err)
	}
	rows, err := db.Query(s, args...)
	if err != nil {
		t.Fatalf("query %s %v: %v", s, args, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
