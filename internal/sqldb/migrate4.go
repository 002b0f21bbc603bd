package sqldb

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// goMigrations are a dialect's migrations written in Go: those SQL alone
// cannot say. PostgreSQL has none (its migration 4 is a baseline file).
func goMigrations(dialect string) []*goose.Migration {
	if dialect != "sqlite" {
		return nil
	}
	return []*goose.Migration{
		goose.NewGoMigration(4, &goose.GoFunc{RunDB: migrateToLamindb}, nil),
	}
}

// v3Tables are the lamindb tables that releases before migration 4 created,
// in an order where each table's parents come first.
var v3Tables = []string{
	"lamindb_space", "lamindb_user", "lamindb_branch", "lamindb_storage", "lamindb_transform",
	"lamindb_run", "lamindb_artifact", "lamindb_collection", "lamindb_collectionartifact", "lamindb_ulabel",
}

// v3Prefix names a table of the old schema while migration 4 copies it.
const v3Prefix = "lamin_v3_"

// migrateToLamindb is migration 4: it rebuilds the ten lamindb tables of our
// earlier releases into lamindb 2.9.1's own schema (its columns, constraints,
// 607 indexes, the 75 tables we lacked, django_migrations), keeping every
// row and every id, and moves our full-content SHA-256 out of lamindb's _aux
// into lamin_artifact_sha256.
//
// SQLite cannot change a table's constraints in place: each old table is
// renamed aside, lamindb's DDL creates the new ones, the rows are copied by
// column name, and the old tables are dropped; all in one transaction, with
// foreign keys checked before it commits. A migration cut off rolls back.
func migrateToLamindb(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// goose records the version in a statement of its own after this
	// migration committed: a process killed in between left the migration
	// done and version 3 recorded. Done is done.
	var done int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'`).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	// Foreign keys cannot be switched inside a transaction; with them on,
	// dropping the old tables would check every reference to them.
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := rebuild(ctx, tx); err != nil {
		return err
	}
	var bad int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&bad); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("migration 4 would leave %d rows with a dangling foreign key; nothing was changed", bad)
	}
	return tx.Commit()
}

func rebuild(ctx context.Context, tx *sql.Tx) error {
	seqs := map[string]int64{}
	for _, t := range v3Tables {
		idx, err := scanStrings(ctx, tx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, t)
		if err != nil {
			return err
		}
		for _, i := range idx {
			if _, err := tx.ExecContext(ctx, `DROP INDEX "`+i+`"`); err != nil {
				return err
			}
		}
		var seq sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(seq) FROM sqlite_sequence WHERE name = ?`, t).Scan(&seq); err != nil {
			return err
		}
		seqs[t] = seq.Int64
		if _, err := tx.ExecContext(ctx, `ALTER TABLE "`+t+`" RENAME TO "`+v3Prefix+t+`"`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sqlite_stat1 WHERE tbl LIKE 'lamindb_%' OR tbl LIKE '`+v3Prefix+`%'`); err != nil && !strings.Contains(err.Error(), "no such table") {
		return err
	}
	if err := createLamindb(ctx, tx); err != nil {
		return err
	}
	if err := execAll(ctx, tx, laminTableDDL("sqlite", "lamin_artifact_sha256")); err != nil {
		return err
	}
	// The SHA-256 we kept in _aux moves to our own table; _aux gets back what
	// lamindb would hold (NULL when nothing else was in it).
	if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_artifact_sha256 (artifact_id, sha256, hash)
		SELECT id, json_extract(_aux, '$.sha256'), hash FROM `+v3Prefix+`lamindb_artifact
		WHERE json_valid(_aux) AND json_type(_aux, '$.sha256') = 'text' AND hash IS NOT NULL`); err != nil {
		return err
	}
	if err := freeSlots(ctx, tx); err != nil {
		return err
	}
	// Saves in flight get lamindb's own flag, as our saves now set it.
	if _, err := tx.ExecContext(ctx, `UPDATE `+v3Prefix+`lamindb_artifact SET _aux = '{"so":1}'
		WHERE id IN (SELECT artifact_id FROM lamin_storing WHERE tmp_path IS NOT NULL)`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+v3Prefix+`lamindb_artifact SET _aux = CASE
		WHEN json_remove(_aux, '$.sha256') IN ('{}', 'null') THEN NULL ELSE json_remove(_aux, '$.sha256') END
		WHERE json_valid(_aux) AND json_type(_aux, '$.sha256') IS NOT NULL`); err != nil {
		return err
	}
	for _, t := range v3Tables {
		cols, err := commonColumns(ctx, tx, v3Prefix+t, t)
		if err != nil {
			return err
		}
		list := `"` + strings.Join(cols, `", "`) + `"`
		if _, err := tx.ExecContext(ctx, `INSERT INTO "`+t+`" (`+list+`) SELECT `+list+` FROM "`+v3Prefix+t+`"`); err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
		// Ids are never reused, also those of rows deleted before.
		if _, err := tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?`, seqs[t], t); err != nil {
			return err
		}
	}
	for i := len(v3Tables) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, `DROP TABLE "`+v3Prefix+v3Tables[i]+`"`); err != nil {
			return err
		}
	}
	return plannerStats(ctx, tx)
}

// freeSlots gives the rows of the old artifact table that would share one of
// lamindb's unique slots, (storage, key, hash) or (storage, hash) without key,
// the hash our saves now give them (docs/differences.md): earlier releases let
// empty files (which never deduplicate) and outdated folder versions share
// one. The oldest keeps the slot; a later one takes its SHA-256's 22
// characters (hash type sha256) when that is free, else its uid (hash type
// uid). Their recorded SHA-256 follows the hash.
func freeSlots(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, uid, storage_id, coalesce(key, char(0)), coalesce(size, 0),
		coalesce(json_extract(_aux, '$.sha256'), '') FROM (
			SELECT *, row_number() OVER (PARTITION BY storage_id, key IS NULL, coalesce(key, ''), hash ORDER BY id) AS n
			FROM `+v3Prefix+`lamindb_artifact WHERE hash IS NOT NULL)
		WHERE n > 1 ORDER BY id`)
	if err != nil {
		return err
	}
	type dup struct {
		id            int64
		uid, key, sha string
		storage, size int64
	}
	var dups []dup
	for rows.Next() {
		var d dup
		if err := rows.Scan(&d.id, &d.uid, &d.storage, &d.key, &d.size, &d.sha); err != nil {
			rows.Close()
			return err
		}
		dups = append(dups, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range dups {
		hash, typ := d.uid, "uid"
		if alt := AltHash(d.sha); d.size > 0 && alt != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+v3Prefix+`lamindb_artifact
				WHERE storage_id = ? AND coalesce(key, char(0)) = ? AND hash = ?`, d.storage, d.key, alt).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				hash, typ = alt, "sha256"
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+v3Prefix+`lamindb_artifact SET hash = ?, _hash_type = ? WHERE id = ?`, hash, typ, d.id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lamin_artifact_sha256 SET hash = ? WHERE artifact_id = ?`, hash, d.id); err != nil {
			return err
		}
	}
	return nil
}

// AltHash is the hash of an artifact whose lamindb hash another row holds in
// its unique slot: the first 22 characters of its SHA-256 (hex) in url-safe
// base64 (hash type sha256); "" for a malformed SHA-256.
func AltHash(sha256hex string) string {
	b, err := hex.DecodeString(sha256hex)
	if err != nil || len(b) != 32 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)[:22]
}

// commonColumns lists the columns the old and the new table share.
func commonColumns(ctx context.Context, tx *sql.Tx, old, new string) ([]string, error) {
	return scanStrings(ctx, tx, `SELECT o.name FROM pragma_table_info(?) o JOIN pragma_table_info(?) n ON n.name = o.name ORDER BY o.cid`, old, new)
}

func scanStrings(ctx context.Context, q execer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// plannerStats writes fixed planner statistics (sqlite_stat1) that describe a
// large instance for every index of lamindb's tables. Without them a new
// database has none, and SQLite may answer "key = ? AND storage_id = ?"
// through the storage index, scanning every artifact of the storage. lamindb
// indexes each column on its own, so the statistics are per column: how many
// rows share one value. A later ANALYZE replaces them with measured ones.
func plannerStats(ctx context.Context, e execer) error {
	if _, err := e.ExecContext(ctx, `ANALYZE lamin_setting`); err != nil { // creates sqlite_stat1, reads nothing else
		return err
	}
	rows, err := e.QueryContext(ctx, `SELECT m.tbl_name, m.name, group_concat(i.name, ',') FROM sqlite_master m, pragma_index_info(m.name) i
		WHERE m.type = 'index' AND m.tbl_name LIKE 'lamindb_%' GROUP BY m.name ORDER BY m.name`)
	if err != nil {
		return err
	}
	type stat struct{ tbl, idx, stat string }
	var stats []stat
	for rows.Next() {
		var tbl, idx string
		var cols sql.NullString
		if err := rows.Scan(&tbl, &idx, &cols); err != nil {
			rows.Close()
			return err
		}
		stats = append(stats, stat{tbl, idx, indexStat(tbl, strings.Split(cols.String, ","))})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := e.ExecContext(ctx, `DELETE FROM sqlite_stat1 WHERE tbl LIKE 'lamindb_%'`); err != nil {
		return err
	}
	for _, s := range stats {
		if _, err := e.ExecContext(ctx, `INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)`, s.tbl, s.idx, s.stat); err != nil {
			return err
		}
	}
	_, err = e.ExecContext(ctx, `ANALYZE sqlite_schema`) // load them
	return err
}

// indexStat is sqlite_stat1's stat for an index: the table's rows, then for
// each prefix of the columns how many rows share one value.
func indexStat(table string, cols []string) string {
	rows := int64(100_000)
	if table == "lamindb_artifact" || strings.HasPrefix(table, "lamindb_artifact") || table == "lamindb_collectionartifact" {
		rows = 1_000_000
	}
	out := []string{strconv.FormatInt(rows, 10)}
	share := rows
	for _, c := range cols {
		share = min(share, columnShare(c, rows))
		out = append(out, strconv.FormatInt(max(share, 1), 10))
	}
	return strings.Join(out, " ")
}

// columnShare is how many of rows share one value of a column, by its name.
func columnShare(col string, rows int64) int64 {
	switch col {
	case "id", "uid", "created_at", "updated_at", "started_at", "finished_at":
		return 1
	case "hash", "root":
		return 1
	case "key", "name", "_real_key":
		return 2
	case "description", "version_tag", "reference":
		return 20
	case "size", "n_observations", "n_files":
		return 1_000 // many files share a size
	case "run_id", "transform_id", "initiated_by_run_id":
		return 1_000
	case "artifact_id", "collection_id", "ulabel_id", "record_id", "feature_id", "value_id", "schema_id", "type_id":
		return 10
	case "created_by_id", "kind", "suffix", "otype", "_hash_type", "is_type", "_status_code":
		return rows / 10
	case "branch_id", "created_on_id", "storage_id", "is_latest", "is_locked", "space_id", "_overwrite_versions", "_key_is_virtual":
		return rows / 2
	}
	return 10
}
