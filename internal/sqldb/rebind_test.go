package sqldb

import (
	"fmt"
	"testing"
)

func TestRebindDollar(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT ? , ?`, `SELECT $1 , $2`},
		{`WHERE a = ? AND b IN (?, ?)`, `WHERE a = $1 AND b IN ($2, $3)`},
		{`SELECT '?', ?`, `SELECT '?', $1`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`SELECT E'\'?', ?`, `SELECT E'\'?', $1`},
		{`SELECT '\', ?`, `SELECT '\', $1`}, // standard strings: a backslash is a character
		{`SELECT "we?ird", ?`, `SELECT "we?ird", $1`},
		{`SELECT "a""?", ?`, `SELECT "a""?", $1`},
		{"SELECT ? -- a ? here\n, ?", "SELECT $1 -- a ? here\n, $2"},
		{`SELECT ? /* ? */ , ?`, `SELECT $1 /* ? */ , $2`},
		{`SELECT $$ ? $$, ?`, `SELECT $$ ? $$, $1`},
		{`SELECT $tag$ ?$ $tag$, ?`, `SELECT $tag$ ?$ $tag$, $1`},
		{`SELECT $1, ?`, `SELECT $1, $1`}, // a $n is left as it is (do not mix)
		{`SELECT ?1, ?2, ?1`, `SELECT $1, $2, $1`},
		{`SELECT name ? 'x'`, `SELECT name $1 'x'`}, // jsonb's ? cannot be written: documented
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
		{`SELECTE'?' ?`, `SELECTE'?' $1`},
	} {
		if got := rebindDollar(tc.in); got != tc.want {
			t.Errorf("rebindDollar(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://lamin:s3cret@db:5432/x?sslmode=disable", "postgres://lamin:xxxxx@db:5432/x?sslmode=disable"},
		{"postgresql://lamin@db/x", "postgresql://lamin@db/x"},
		{"postgres://lamin@db/x?password=s3cret", "postgres://lamin@db/x?password=xxxxx"},
		{"host=db user=lamin password=s3cret dbname=x", "host=db user=lamin password=xxxxx dbname=x"},
		{"host=db password='s3 cret' dbname=x", "host=db password=xxxxx dbname=x"},
		{"postgres://lamin:s3%cret@db/x", "postgres://lamin:xxxxx@db/x"}, // unparsable: still redacted
	} {
		if got := RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMigrationsNumberedAlike(t *testing.T) {
	if s, p := Version("sqlite"), Version("postgres"); s != p {
		t.Fatalf("newest migration: sqlite %d, postgres %d", s, p)
	}
	versions := func(dialect string) map[int64]bool {
		out := map[int64]bool{}
		entries, err := migrations.ReadDir("migrations/" + dialect)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			var v int64
			if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil {
				out[v] = true
			}
		}
		for _, m := range goMigrations(dialect) {
			out[m.Version] = true
		}
		return out
	}
	s, p := versions("sqlite"), versions("postgres")
	for v := int64(1); v <= Version("sqlite"); v++ {
		if !s[v] || !p[v] {
			t.Errorf("migration %d: sqlite %v, postgres %v", v, s[v], p[v])
		}
	}
}

func TestLaminSchemasAlike(t *testing.T) {
	s, p := laminTables("sqlite"), laminTables("postgres")
	if fmt.Sprint(s) != fmt.Sprint(p) {
		t.Errorf("our tables: sqlite %v, postgres %v", s, p)
	}
}
