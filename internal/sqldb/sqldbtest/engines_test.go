package sqldbtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for raw handles

	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
	"github.com/lamindb-go/lamindb/internal/sqldb/sqldbtest"
)

func TestSQLite(t *testing.T) {
	sqldbtest.Run(t, sqldbtest.Engine{
		Name:  "sqlite",
		Empty: func(t *testing.T) string { return filepath.Join(t.TempDir(), "lamin.db") },
		Open:  sqldb.OpenSQLite,
		Reference: func(t *testing.T) string {
			file := filepath.Join(t.TempDir(), "ref.db")
			db := rawSQLite(t, file)
			if _, err := db.Exec("BEGIN;\n" + readRef(t, "../../../testdata/lamindb-2.9.1/schema-sqlite.sql") + "\nCOMMIT;"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			return file
		},
		Raw:      rawSQLite,
		Schema:   sqliteSchema,
		Plan:     sqlitePlan,
		UIDIndex: "sqlite_autoindex_lamindb_artifact_1",
	})
}

func TestPostgres(t *testing.T) {
	pgtest.Server(t)
	sqldbtest.Run(t, sqldbtest.Engine{
		Name:  "postgres",
		Empty: func(t *testing.T) string { return pgtest.NewDatabase(t) },
		Open:  sqldb.OpenPostgres,
		Reference: func(t *testing.T) string {
			dsn := pgtest.NewDatabase(t)
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close() // the dump empties the session's search_path
			var lines []string
			for _, l := range strings.Split(readRef(t, "../schema/lamindb-2.9.1-postgresql.sql"), "\n") {
				if !strings.HasPrefix(l, `\`) { // psql's meta-commands (\restrict)
					lines = append(lines, l)
				}
			}
			if _, err := db.Exec(strings.Join(lines, "\n")); err != nil {
				t.Fatalf("replay the reference: %v", err)
			}
			return dsn
		},
		Raw:      rawPostgres,
		Schema:   pgSchema,
		Plan:     pgPlan,
		UIDIndex: "lamindb_artifact_uid_8ca30cbd_like",
	})
}

func readRef(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rawSQLite(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rawPostgres(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// lines runs query and joins each row's columns with " | ".
func lines(t *testing.T, db *sql.DB, prefix, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, prefix+strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	sqliteChecks = regexp.MustCompile(`CHECK \(\(.*?\)\)`)
	space        = regexp.MustCompile(`\s+`)
)

// sqliteSchema: columns (declared type, not null, default, key), foreign
// keys, CHECK constraints, and indexes with their columns, collations and
// WHERE clauses; autoindexes by what they index, not by their name.
func sqliteSchema(t *testing.T, db *sql.DB) []string {
	var out []string
	tables := lines(t, db, "", `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	for _, tl := range tables {
		name, ddl, _ := strings.Cut(tl, " | ")
		out = append(out, "table "+name)
		out = append(out, lines(t, db, name+" column ", `SELECT name, upper(type), "notnull", dflt_value, pk FROM pragma_table_xinfo(?)`, name)...)
		out = append(out, lines(t, db, name+" fk ", `SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?)`, name)...)
		for _, c := range sqliteChecks.FindAllString(ddl, -1) {
			out = append(out, name+" check "+c)
		}
		for _, ix := range lines(t, db, "", `SELECT l.name, l."unique", l.origin, coalesce(m.sql, '') FROM pragma_index_list(?) l
			LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name`, name) {
			f := strings.SplitN(ix, " | ", 4)
			cols := lines(t, db, "", `SELECT coalesce(name, '<expr>'), "desc", coll FROM pragma_index_xinfo(?) WHERE key`, f[0])
			idx := f[0]
			if f[2] != "c" {
				idx = "(" + f[2] + ")"
			}
			where := ""
			if _, w, ok := strings.Cut(f[3], " WHERE "); ok {
				where = " where " + space.ReplaceAllString(w, " ")
			}
			out = append(out, fmt.Sprintf("%s index %s unique=%s cols=[%s]%s", name, idx, f[1], strings.Join(cols, "; "), where))
		}
	}
	sort.Strings(out)
	return out
}

// pgSchema: columns (normalized type, not null, default, identity),
// constraints (primary, unique, foreign, CHECK) as PostgreSQL prints them,
// indexes, triggers, functions (with a digest of their bodies) and the
// identity sequences.
func pgSchema(t *testing.T, db *sql.DB) []string {
	var out []string
	out = append(out, lines(t, db, "", `SELECT c.relname || ' column ' || a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity, a.attnum
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')`)...)
	out = append(out, lines(t, db, "", `SELECT c.relname || ' constraint ' || k.conname, k.contype, pg_get_constraintdef(k.oid), k.condeferrable, k.condeferred
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE k.connamespace = 'public'::regnamespace`)...)
	out = append(out, lines(t, db, "", `SELECT tablename || ' index ' || indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`)...)
	out = append(out, lines(t, db, "", `SELECT c.relname || ' trigger ' || g.tgname, pg_get_triggerdef(g.oid) FROM pg_trigger g
		JOIN pg_class c ON c.oid = g.tgrelid WHERE NOT g.tgisinternal AND c.relnamespace = 'public'::regnamespace`)...)
	out = append(out, lines(t, db, "function ", `SELECT proname, pg_get_function_identity_arguments(oid), pg_get_function_result(oid), md5(prosrc)
		FROM pg_proc WHERE pronamespace = 'public'::regnamespace`)...)
	out = append(out, lines(t, db, "", `SELECT sequencename, data_type, start_value, increment_by, max_value FROM pg_sequences WHERE schemaname = 'public'`)...)
	sort.Strings(out)
	return out
}

func sqlitePlan(t *testing.T, db *sql.DB, query string, args ...any) string {
	return strings.Join(lines(t, db, "", `EXPLAIN QUERY PLAN `+query, args...), "\n")
}

// pgPlan plans query as a generic plan of a prepared statement (the plan a
// statement gets after its first executions), with sequential scans
// discouraged: an empty table would be scanned otherwise.
func pgPlan(t *testing.T, db *sql.DB, query string, args ...any) string {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := 0
	q := regexp.MustCompile(`\?`).ReplaceAllStringFunc(query, func(string) string { n++; return fmt.Sprintf("$%d", n) })
	var lits []string
	for _, a := range args {
		lits = append(lits, "'"+strings.ReplaceAll(fmt.Sprint(a), "'", "''")+"'")
	}
	for _, s := range []string{`SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`, `PREPARE plan_probe AS ` + q} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	defer conn.ExecContext(ctx, `DEALLOCATE plan_probe`)
	rows, err := conn.QueryContext(ctx, `EXPLAIN EXECUTE plan_probe(`+strings.Join(lits, ", ")+`)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		rows.Scan(&l)
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
