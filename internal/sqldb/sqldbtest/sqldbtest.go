// Package sqldbtest is the conformance suite of the database layer: one
// set of named cases that every engine internal/sqldb supports (SQLite,
// PostgreSQL) must pass alike. An engine is described by an Engine; Run runs
// every case against it.
package sqldbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/internal/errs"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// Engine is what the suite needs of one engine.
type Engine struct {
	// Name is the dialect's name ("sqlite", "postgres").
	Name string
	// Empty returns the address of a new, empty database (a file path that
	// does not exist yet, or a DSN of an empty database).
	Empty func(t *testing.T) string
	// Open opens the database at an address the way the root package does.
	Open func(ctx context.Context, addr string, o ...sqldb.Options) (*sqldb.DB, error)
	// Reference returns the address of a scratch database made by replaying
	// lamindb 2.9.1's reference file verbatim (schema and initial rows):
	// what Python lamindb makes.
	Reference func(t *testing.T) string
	// Raw opens a plain database/sql handle on an address, bypassing sqldb.
	Raw func(t *testing.T, addr string) *sql.DB
	// Schema describes a database's schema as comparable lines (tables,
	// columns with normalized types, nullability and defaults, keys,
	// foreign keys, CHECK constraints, indexes, triggers, functions).
	Schema func(t *testing.T, db *sql.DB) []string
	// Plan returns the query plan of query (with "?" placeholders) as
	// text, with the engine told to prefer indexes and to plan as for a
	// prepared statement whose values it does not know.
	Plan func(t *testing.T, db *sql.DB, query string, args ...any) string
	// UIDIndex is the index Plan must show for a uid prefix range on
	// lamindb_artifact.
	UIDIndex string
}

// Run runs every case of the suite against e.
func Run(t *testing.T, e Engine) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, e) })
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, e Engine)
}

// laminColumns are our own tables and their columns, the same in every
// dialect (schema/lamin.sql and schema/lamin-postgresql.sql).
var laminColumns = map[string][]string{
	"lamin_storing":         {"artifact_id", "owner", "tmp_path", "started_at", "phase", "demoted_id"},
	"lamin_purge_intent":    {"id", "storage_root", "path", "is_dir", "size", "owner", "created_at", "attempts", "last_error"},
	"lamin_audit_event":     {"id", "created_at", "user_handle", "action", "registry", "record_uid", "record_id", "from_branch_id", "to_branch_id", "bytes", "detail"},
	"lamin_setting":         {"key", "value"},
	"lamin_artifact_sha256": {"artifact_id", "sha256", "hash"},
	sqldb.VersionTable:      {"id", "version_id", "is_applied", "tstamp"},
}

var cases = []testCase{
	{"SchemaIsLamindbs", func(t *testing.T, e Engine) {
		addr := e.Empty(t)
		open(t, e, addr, sqldb.Options{}).Close()
		want := e.Schema(t, e.Raw(t, e.Reference(t)))
		var got []string
		for _, s := range e.Schema(t, e.Raw(t, addr)) {
			if !strings.HasPrefix(s, "lamin_") && !strings.HasPrefix(s, "table lamin_") {
				got = append(got, s)
			}
		}
		if d := diff(want, got); d != "" {
			t.Errorf("a new database differs from lamindb 2.9.1's (replayed reference):\n%s", d)
		}
	}},
	{"OurTables", func(t *testing.T, e Engine) {
		db := open(t, e, e.Empty(t), sqldb.Options{})
		cols, err := db.TableColumns(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for table, want := range laminColumns {
			if !slices.Equal(cols[table], want) {
				t.Errorf("%s has columns %v, want %v", table, cols[table], want)
			}
		}
		for table := range cols {
			if strings.HasPrefix(table, "lamin_") && laminColumns[table] == nil {
				t.Errorf("unexpected table of ours: %s", table)
			}
		}
		fks, err := db.ForeignKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range fks {
			if strings.HasPrefix(f.Table, "lamin_") {
				t.Errorf("our table has a foreign key (Python lamindb deletes rows without knowing ours): %+v", f)
			}
			if f.Table == "lamindb_artifact" && f.Column == "storage_id" && f.RefTable == "lamindb_storage" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("ForeignKeys: lamindb_artifact.storage_id → lamindb_storage found %d times, want 1", n)
		}
		v, err := db.SchemaVersion(context.Background())
		if err != nil || v != sqldb.Version(e.Name) {
			t.Errorf("schema version %d (%v), want %d", v, err, sqldb.Version(e.Name))
		}
	}},
	{"SchemaToken", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Empty(t)
		db := open(t, e, addr, sqldb.Options{})
		a, err := db.SchemaToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := db.SchemaToken(ctx); b != a {
			t.Fatalf("token changed without a schema change: %d, %d", a, b)
		}
		if _, err := db.ExecContext(ctx, `CREATE TABLE bionty_thing (id integer PRIMARY KEY, artifact_id integer REFERENCES lamindb_artifact (id))`); err != nil {
			t.Fatal(err)
		}
		b, err := db.SchemaToken(ctx)
		if err != nil || b == a {
			t.Fatalf("token after CREATE TABLE: %d (%v), before %d", b, err, a)
		}
		cols, _ := db.TableColumns(ctx)
		if !slices.Equal(cols["bionty_thing"], []string{"id", "artifact_id"}) {
			t.Errorf("columns of a table another module added: %v", cols["bionty_thing"])
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE bionty_thing ADD COLUMN name text`); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.SchemaToken(ctx); c == b {
			t.Errorf("token unchanged after ADD COLUMN")
		}
		err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			tok, err := tx.SchemaToken(ctx)
			if err == nil && tok == 0 {
				err = errors.New("zero token")
			}
			if err == nil {
				_, err = tx.ForeignKeys(ctx)
			}
			if err == nil {
				_, err = tx.TableColumns(ctx)
			}
			return err
		})
		if err != nil {
			t.Errorf("introspection inside a transaction: %v", err)
		}
	}},
	{"Placeholders", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		var a, lit, b string
		var n int64
		err := db.QueryRowContext(ctx, `SELECT ?, '?''s ?' /* ? */, ? -- ?
			, `+"\"key\""+` FROM (SELECT 'k?' AS `+"\"key\""+`) x`, "one", "two").Scan(&a, &lit, &b, new(string))
		if err != nil || a != "one" || lit != "?'s ?" || b != "two" {
			t.Fatalf("got %q %q %q (%v)", a, lit, b, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES (?, ?)`, "a?b", "c"); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_setting WHERE key = ? AND value = ?`, "a?b", "c").Scan(&n); err != nil || n != 1 {
			t.Fatalf("count %d (%v)", n, err)
		}
		in := `SELECT count(*) FROM lamin_setting WHERE key IN (` + sqldb.Placeholders(3) + `)`
		if err := db.QueryRowContext(ctx, in, "x", "a?b", "y").Scan(&n); err != nil || n != 1 {
			t.Fatalf("IN: count %d (%v)", n, err)
		}
	}},
	{"Booleans", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		for _, v := range []bool{true, false} {
			if _, err := db.ExecContext(ctx, `INSERT INTO lamin_purge_intent (storage_root, path, is_dir, owner) VALUES (?, ?, ?, ?)`, "/r", fmt.Sprint(v), v, "me"); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := sqldb.Query(ctx, db, func(s sqldb.Scanner) (bool, error) {
			var b bool
			err := s.Scan(&b)
			return b, err
		}, `SELECT is_dir FROM lamin_purge_intent ORDER BY id`)
		if err != nil || !slices.Equal(rows, []bool{true, false}) {
			t.Fatalf("read back %v (%v)", rows, err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_purge_intent WHERE is_dir = ?`, true).Scan(&n); err != nil || n != 1 {
			t.Errorf("filter by a bool argument: %d (%v)", n, err)
		}
		var latest bool
		if err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM lamindb_branch`).Scan(&latest); err != nil {
			t.Errorf("an expression of boolean type: %v", err)
		}
	}},
	{"Times", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		want := time.Date(2026, 12, 2, 3, 4, 5, 123456000, time.UTC)
		berlin := time.FixedZone("CET", 3600)
		// As the root package writes times (text, UTC, microseconds), and
		// as a time.Time in another zone; both read back as the instant.
		text := want.Format("2006-01-02 15:04:05.000000")
		for i, arg := range []any{text, want.In(berlin)} {
			if e.Name == "sqlite" && i == 1 {
				arg = want.In(berlin).UTC().Format("2006-01-02 15:04:05.000000") // SQLite stores what it is given
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO lamin_audit_event (created_at, user_handle, action, registry, record_uid) VALUES (?, 'u', 'a', 'r', ?)`, arg, fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
		}
		times, err := sqldb.Query(ctx, db, func(s sqldb.Scanner) (time.Time, error) {
			var ts anyTime
			err := s.Scan(&ts)
			return ts.t, err
		}, `SELECT created_at FROM lamin_audit_event ORDER BY record_uid`)
		if err != nil || len(times) != 2 {
			t.Fatalf("%v (%v)", times, err)
		}
		for _, got := range times {
			if !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("read back %v, want %v in UTC", got, want)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_audit_event WHERE created_at >= ? AND created_at <= ?`,
			"2026-12-02 03:04:05.123456", "2026-12-02 03:04:05.123456").Scan(&n); err != nil || n != 2 {
			t.Errorf("compare with text bounds: %d (%v)", n, err)
		}
		// A default time is now, in UTC.
		if _, err := db.ExecContext(ctx, `INSERT INTO lamin_audit_event (user_handle, action, registry, record_uid) VALUES ('u', 'a', 'r', 'z')`); err != nil {
			t.Fatal(err)
		}
		var def anyTime
		if err := db.QueryRowContext(ctx, `SELECT created_at FROM lamin_audit_event WHERE record_uid = 'z'`).Scan(&def); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(def.t); d < -time.Minute || d > time.Minute {
			t.Errorf("default time %v is not now (UTC)", def.t)
		}
	}},
	{"SyncIDs", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		seed(t, db) // explicit ids, as an instance's init writes them
		if err := db.SyncIDs(ctx, "lamindb_user", "lamindb_space", "lamindb_branch", "lamindb_storage"); err != nil {
			t.Fatal(err)
		}
		id, err := db.InsertID(ctx, `INSERT INTO lamindb_user (uid, handle, created_at, updated_at) VALUES (?, ?, ?, ?)`, "u2", "bob", "2026-01-01 00:00:00", "2026-01-01 00:00:00")
		if err != nil || id != 2 {
			t.Errorf("the next user's id: %d (%v), want 2", id, err)
		}
	}},
	{"JSON", func(t *testing.T, e Engine) {
		// lamindb's JSON columns are text on SQLite and jsonb on
		// PostgreSQL: a Go string goes in and comes out (PostgreSQL
		// prints jsonb its own way: compare parsed, not as text).
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		seed(t, db)
		if _, err := db.ExecContext(ctx, `UPDATE lamindb_branch SET _aux = ? WHERE id = 1`, `{"so":1}`); err != nil {
			t.Fatal(err)
		}
		var s sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT _aux FROM lamindb_branch WHERE id = 1`).Scan(&s); err != nil || strings.ReplaceAll(s.String, " ", "") != `{"so":1}` {
			t.Errorf("read back %q (%v)", s.String, err)
		}
		var so sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT _aux ->> 'so' FROM lamindb_branch WHERE id = 1`).Scan(&so); err != nil || so.String != "1" {
			t.Errorf("->>: %q (%v)", so.String, err)
		}
	}},
	{"InsertID", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		ins := `INSERT INTO lamin_purge_intent (storage_root, path, owner) VALUES (?, ?, ?)`
		a, err := db.InsertID(ctx, ins, "/r", "a", "me")
		if err != nil {
			t.Fatal(err)
		}
		var b int64
		if err := db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			b, err = tx.InsertID(ctx, ins, "/r", "b", "me")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var path string
		if err := db.QueryRowContext(ctx, `SELECT path FROM lamin_purge_intent WHERE id = ?`, b).Scan(&path); err != nil || b <= a || path != "b" {
			t.Errorf("ids %d, %d; row %d holds %q (%v)", a, b, b, path, err)
		}
	}},
	{"Upsert", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		up := db.Dialect.Upsert("lamin_artifact_sha256", []string{"artifact_id"}, []string{"artifact_id", "sha256", "hash"}, "")
		for _, h := range []string{"h1", "h2"} {
			if _, err := db.ExecContext(ctx, up, 7, strings.Repeat("a", 64), h); err != nil {
				t.Fatal(err)
			}
		}
		var h string
		var n int
		if err := db.QueryRowContext(ctx, `SELECT hash, (SELECT count(*) FROM lamin_artifact_sha256) FROM lamin_artifact_sha256 WHERE artifact_id = 7`).Scan(&h, &n); err != nil || h != "h2" || n != 1 {
			t.Errorf("after two upserts: %q, %d rows (%v)", h, n, err)
		}
		sel := db.Dialect.Upsert("lamin_artifact_sha256", []string{"artifact_id"}, []string{"artifact_id", "sha256", "hash"},
			`SELECT artifact_id, ?, 'h3' FROM lamin_artifact_sha256 WHERE artifact_id = ?`)
		if _, err := db.ExecContext(ctx, sel, strings.Repeat("b", 64), 7); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT hash FROM lamin_artifact_sha256 WHERE artifact_id = 7`).Scan(&h); err != nil || h != "h3" {
			t.Errorf("upsert from a SELECT: %q (%v)", h, err)
		}
	}},
	{"UniqueViolation", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		ins := `INSERT INTO lamin_setting (key, value) VALUES (?, ?)`
		if _, err := db.ExecContext(ctx, ins, "k", "1"); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(ctx, ins, "k", "2")
		var ce *sqldb.ConstraintError
		if !errors.Is(err, errs.ErrTaken) || !errors.As(err, &ce) || ce.Table != "lamin_setting" || !slices.Equal(ce.Columns, []string{"key"}) {
			t.Fatalf("got %v (%+v), want ErrTaken on lamin_setting (key)", err, ce)
		}
		seed(t, db)
		err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO lamindb_user (uid, handle, created_at, updated_at) VALUES (?, ?, ?, ?)`, "u2", "anonymous", "2026-01-01 00:00:00", "2026-01-01 00:00:00")
			return err
		})
		if !errors.Is(err, errs.ErrTaken) || !errors.As(err, &ce) || ce.Table != "lamindb_user" || !slices.Equal(ce.Columns, []string{"handle"}) {
			t.Errorf("got %v (%+v), want ErrTaken on lamindb_user (handle)", err, ce)
		}
	}},
	{"ForeignKeyViolation", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		seed(t, db)
		// lamindb's foreign keys are deferred: checked at commit.
		err := db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM lamindb_user WHERE id = ?`, 1)
			return err
		})
		if !errors.Is(err, errs.ErrProtected) {
			t.Fatalf("deleting a referenced user: %v, want ErrProtected", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamindb_user`).Scan(&n); err != nil || n != 1 {
			t.Errorf("the user is gone after a refused delete: %d (%v)", n, err)
		}
	}},
	{"NoLostUpdate", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Empty(t)
		db := open(t, e, addr, sqldb.Options{})
		if _, err := db.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('n', '0')`); err != nil {
			t.Fatal(err)
		}
		const workers, each = 4, 5
		var wg sync.WaitGroup
		errc := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wdb := open(t, e, addr, sqldb.Options{}) // a process of its own
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					errc <- wdb.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
						var v string
						if err := tx.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = 'n'`).Scan(&v); err != nil {
							return err
						}
						var n int
						fmt.Sscan(v, &n)
						time.Sleep(time.Millisecond) // widen the window between read and write
						_, err := tx.ExecContext(ctx, `UPDATE lamin_setting SET value = ? WHERE key = 'n'`, fmt.Sprint(n+1))
						return err
					})
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Errorf("Tx: %v", err)
			}
		}
		var v string
		if err := db.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = 'n'`).Scan(&v); err != nil || v != fmt.Sprint(workers*each) {
			t.Errorf("counter %s (%v), want %d: an update was lost", v, err, workers*each)
		}
	}},
	{"ReadFactsHold", func(t *testing.T, e Engine) {
		// Each transaction checks that no claim exists and then claims,
		// under a key of its own (no unique key stops the second): only
		// the engine's isolation keeps it to one claim. On PostgreSQL the
		// loser of SERIALIZABLE's conflict is run again and finds the claim.
		ctx := context.Background()
		addr := e.Empty(t)
		db := open(t, e, addr, sqldb.Options{})
		const workers = 4
		var wg sync.WaitGroup
		var claimed atomic.Int32
		errc := make(chan error, workers)
		start := make(chan struct{})
		for w := 0; w < workers; w++ {
			wdb := open(t, e, addr, sqldb.Options{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errc <- wdb.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM lamin_setting WHERE key LIKE 'claim%'`).Scan(&n); err != nil {
						return err
					}
					if n > 0 {
						return nil
					}
					time.Sleep(5 * time.Millisecond)
					_, err := tx.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES (?, 'x')`, fmt.Sprint("claim", w))
					if err == nil {
						claimed.Add(1)
					}
					return err
				})
			}()
		}
		close(start)
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Errorf("Tx: %v", err)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_setting WHERE key LIKE 'claim%'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d claims committed (%v), want 1: a transaction acted on a fact that was no longer true", n, err)
		}
	}},
	{"OppositeLockOrder", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Empty(t)
		db := open(t, e, addr, sqldb.Options{})
		for _, k := range []string{"a", "b"} {
			if _, err := db.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES (?, '0')`, k); err != nil {
				t.Fatal(err)
			}
		}
		// Each transaction writes its first row, waits (once) until the
		// other wrote its first, then writes the other's: a deadlock on
		// PostgreSQL, which the server breaks and Tx re-runs; SQLite runs
		// them one after the other (the wait gives up after a while).
		var met sync.WaitGroup
		met.Add(2)
		var wg sync.WaitGroup
		errc := make(chan error, 2)
		for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
			wdb := open(t, e, addr, sqldb.Options{})
			var once sync.Once
			wg.Add(1)
			go func() {
				defer wg.Done()
				errc <- wdb.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
					if _, err := tx.ExecContext(ctx, `UPDATE lamin_setting SET value = value || ? WHERE key = ?`, order[0], order[0]); err != nil {
						return err
					}
					once.Do(func() { met.Done(); waitTimeout(&met, 2*time.Second) })
					_, err := tx.ExecContext(ctx, `UPDATE lamin_setting SET value = value || ? WHERE key = ?`, order[0], order[1])
					return err
				})
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Errorf("Tx: %v", err)
			}
		}
		for _, k := range []string{"a", "b"} {
			var v string
			if err := db.QueryRowContext(ctx, `SELECT value FROM lamin_setting WHERE key = ?`, k).Scan(&v); err != nil || len(v) != 3 {
				t.Errorf("row %s = %q (%v): want both transactions' writes, once each", k, v, err)
			}
		}
	}},
	{"ReadOnly", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Empty(t)
		open(t, e, addr, sqldb.Options{}).Close()
		db := open(t, e, addr, sqldb.Options{ReadOnly: true})
		if _, err := db.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('a', 'b')`); !errors.Is(err, errs.ErrReadOnly) {
			t.Errorf("Exec: %v, want ErrReadOnly", err)
		}
		if err := db.Tx(ctx, func(context.Context, *sqldb.Tx) error { return nil }); !errors.Is(err, errs.ErrReadOnly) {
			t.Errorf("Tx: %v, want ErrReadOnly", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamindb_branch`).Scan(&n); err != nil {
			t.Errorf("read: %v", err)
		}
		// Past our own check, the session refuses too.
		if _, err := db.DB.ExecContext(ctx, `INSERT INTO lamin_setting (key, value) VALUES ('a', 'b')`); !errors.Is(sqldb.Classify(err), errs.ErrReadOnly) {
			t.Errorf("a write through the raw pool of a read-only DB: %v", err)
		}
	}},
	{"UIDPrefix", func(t *testing.T, e Engine) {
		ctx := context.Background()
		db := open(t, e, e.Empty(t), sqldb.Options{})
		uids := []string{"abc", "abcz0001", "abcZ0002", "abc00003", "abcD0004", "ABC00005", "abC00006", "abd00007", "abb00008", "ab~00009", "abc~0010", "Abc00011", "abcdefgh"}
		for i, u := range uids {
			if _, err := db.ExecContext(ctx, `INSERT INTO lamindb_user (uid, handle, created_at, updated_at) VALUES (?, ?, ?, ?)`, u, fmt.Sprint("h", i), "2026-01-01 00:00:00", "2026-01-01 00:00:00"); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"abc", []string{"abc", "abc00003", "abcD0004", "abcZ0002", "abcdefgh", "abcz0001"}}, // "abc~0010" lies outside: '~' is no uid character
			{"abcd", []string{"abcdefgh"}},
			{"abcD", []string{"abcD0004"}},
			{"ABC", []string{"ABC00005"}},
			// "ab~00009" lies outside, "abc~0010" inside: byte order.
			{"ab", []string{"abC00006", "abb00008", "abc", "abc00003", "abcD0004", "abcZ0002", "abcdefgh", "abcz0001", "abc~0010", "abd00007"}},
			{"x", nil},
		} {
			pred, args := sqldb.UIDPrefix(db.Dialect, "uid", tc.prefix)
			got, err := sqldb.Strings(ctx, db, `SELECT uid FROM lamindb_user WHERE `+pred, args...)
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got) // byte order
			if !slices.Equal(got, tc.want) {
				t.Errorf("prefix %q: %v, want %v", tc.prefix, got, tc.want)
			}
		}
		// A range whose bounds are expressions over another column (version families).
		var n int
		q := `SELECT count(*) FROM lamindb_user h WHERE h.uid = 'abcdefgh' AND EXISTS (SELECT 1 FROM lamindb_user b WHERE ` +
			db.Dialect.ByteRange("b.uid", "substr(h.uid, 1, 3)", "substr(h.uid, 1, 3) || '~'") + ` AND b.id <> h.id)`
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 1 {
			t.Errorf("range over expressions: %d (%v)", n, err)
		}
		pred, args := sqldb.UIDPrefix(db.Dialect, "uid", "abc")
		if plan := e.Plan(t, db.DB, `SELECT id FROM lamindb_artifact WHERE `+pred, args...); !strings.Contains(plan, e.UIDIndex) {
			t.Errorf("a uid prefix range does not use the index %s:\n%s", e.UIDIndex, plan)
		}
	}},
	{"AdoptPythonMade", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Reference(t)
		before := rowsOf(t, e.Raw(t, addr))
		var dbs []*sqldb.DB
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ { // processes opening it at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := e.Open(ctx, addr, sqldb.Options{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				dbs = append(dbs, db)
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, db := range dbs {
			if err := db.ReadOnly(); err != nil {
				t.Errorf("opened read-only: %v", err)
			}
			db.Close()
		}
		db := open(t, e, addr, sqldb.Options{})
		cols, _ := db.TableColumns(ctx)
		for table := range laminColumns {
			if cols[table] == nil {
				t.Errorf("adopted database lacks %s", table)
			}
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != sqldb.Version(e.Name) {
			t.Errorf("schema version %d (%v)", v, err)
		}
		if d := diff(before, rowsOf(t, e.Raw(t, addr))); d != "" {
			t.Errorf("adopting changed lamindb's rows:\n%s", d)
		}
	}},
	{"ReadOnlyPythonMade", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Reference(t)
		db := open(t, e, addr, sqldb.Options{ReadOnly: true})
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_storing`).Scan(&n); err != nil || n != 0 {
			t.Errorf("our tables read as empty in a database Python made: %d (%v)", n, err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM lamin_storing`); !errors.Is(err, errs.ErrReadOnly) {
			t.Errorf("write: %v", err)
		}
		db.Close()
		// Nothing was added to the database itself.
		var ours int
		if err := e.Raw(t, addr).QueryRow(`SELECT count(*) FROM lamindb_user`).Scan(&ours); err != nil || ours != 1 {
			t.Errorf("lamindb's rows: %d (%v)", ours, err)
		}
		cols, err := e.Open(ctx, addr, sqldb.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer cols.Close()
		if v, err := cols.SchemaVersion(ctx); err != nil || v != 0 {
			t.Errorf("a read-only open stamped a version: %d (%v)", v, err)
		}
	}},
	{"ConcurrentBootstrap", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Empty(t)
		const n = 4
		var wg sync.WaitGroup
		errc := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				db, err := e.Open(ctx, addr, sqldb.Options{})
				if err == nil {
					err = db.ReadOnly()
					db.Close()
				}
				errc <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Errorf("open: %v", err)
			}
		}
		raw := e.Raw(t, addr)
		var migs, versions int
		if err := raw.QueryRow(`SELECT count(*) FROM django_migrations`).Scan(&migs); err != nil || migs != 19 {
			t.Errorf("django_migrations rows: %d (%v), want 19", migs, err)
		}
		if err := raw.QueryRow(`SELECT count(*) FROM ` + sqldb.VersionTable).Scan(&versions); err != nil || versions != int(sqldb.Version(e.Name))+1 {
			t.Errorf("version rows: %d (%v)", versions, err)
		}
	}},
	{"NewerLamindbIsReadOnly", func(t *testing.T, e Engine) {
		ctx := context.Background()
		addr := e.Empty(t)
		open(t, e, addr, sqldb.Options{}).Close()
		if _, err := e.Raw(t, addr).Exec(`INSERT INTO django_migrations (app, name, applied) VALUES ('lamindb', '0194_future', '2027-01-01 00:00:00')`); err != nil {
			t.Fatal(err)
		}
		db := open(t, e, addr, sqldb.Options{})
		if !errors.Is(db.ReadOnly(), errs.ErrReadOnly) || !strings.Contains(db.LamindbNotice(), "0194_future") {
			t.Errorf("read-only %v, notice %q", db.ReadOnly(), db.LamindbNotice())
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM lamin_setting`); !errors.Is(err, errs.ErrReadOnly) {
			t.Errorf("write: %v", err)
		}
	}},
	{"NewerLamindbPythonMade", func(t *testing.T, e Engine) {
		// Python lamindb made it and then migrated it further than we know:
		// read-only, our tables missing, and reads of them find nothing.
		ctx := context.Background()
		addr := e.Reference(t)
		if _, err := e.Raw(t, addr).Exec(`INSERT INTO django_migrations (app, name, applied) VALUES ('lamindb', '0194_future', '2027-01-01 00:00:00')`); err != nil {
			t.Fatal(err)
		}
		db := open(t, e, addr, sqldb.Options{})
		if !errors.Is(db.ReadOnly(), errs.ErrReadOnly) || db.LamindbNotice() == "" {
			t.Fatalf("read-only %v, notice %q", db.ReadOnly(), db.LamindbNotice())
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lamin_purge_intent`).Scan(&n); err != nil || n != 0 {
			t.Errorf("our missing tables: %d (%v)", n, err)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != 0 {
			t.Errorf("schema version %d (%v): nothing may be added", v, err)
		}
	}},
}

// open opens addr, failing the test on error, and closes it at cleanup.
func open(t *testing.T, e Engine, addr string, o sqldb.Options) *sqldb.DB {
	t.Helper()
	db, err := e.Open(context.Background(), addr, o)
	if err != nil {
		t.Fatalf("open %s: %v", addr, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seed writes the rows lamindb's init writes (user, space, branches).
func seed(t *testing.T, db *sqldb.DB) {
	t.Helper()
	ctx := context.Background()
	now := "2026-01-01 00:00:00.000000"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO lamindb_user (id, uid, handle, created_at, updated_at) VALUES (1, '00000000', 'anonymous', ?, ?)`, []any{now, now}},
		{`INSERT INTO lamindb_space (id, name, uid, description, created_at) VALUES (1, 'all', 'aaaaaaaaaaaa', NULL, ?)`, []any{now}},
		{`INSERT INTO lamindb_branch (id, name, uid, created_at, _status_code, space_id, created_by_id) VALUES (1, 'main', 'mmmmmmmmmmmm', ?, 0, 1, 1)`, []any{now}},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// rowsOf describes the rows of lamindb's tables that init writes.
func rowsOf(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT id, uid, handle FROM lamindb_user ORDER BY id`,
		`SELECT id, uid, name, description FROM lamindb_branch ORDER BY id`,
		`SELECT id, uid, name FROM lamindb_space ORDER BY id`,
		`SELECT id, uid, root, instance_uid FROM lamindb_storage ORDER BY id`,
		`SELECT id, app, name, applied FROM django_migrations ORDER BY id`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(q[7:20], vals))
		}
		rows.Close()
	}
	return out
}

// anyTime reads a time stored as text (SQLite) or as a time (PostgreSQL).
type anyTime struct{ t time.Time }

func (a *anyTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		a.t = x.UTC()
		return nil
	case string:
		return a.parse(x)
	case []byte:
		return a.parse(string(x))
	}
	return fmt.Errorf("unexpected time value %T", v)
}

func (a *anyTime) parse(s string) error {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			a.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("unreadable time %q", s)
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// diff lists what want has that got lacks and the other way round.
func diff(want, got []string) string {
	w, g := map[string]int{}, map[string]int{}
	for _, s := range want {
		w[s]++
	}
	for _, s := range got {
		g[s]++
	}
	var b strings.Builder
	for _, s := range want {
		if g[s] < w[s] {
			fmt.Fprintf(&b, "  missing: %s\n", s)
			g[s]++
		}
	}
	for _, s := range got {
		if w[s] < g[s] {
			fmt.Fprintf(&b, "  extra:   %s\n", s)
			w[s]++
		}
	}
	return b.String()
}
