package filter

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/sqldb/pgtest"
)

// TestColumnNamesNameOneType: the PostgreSQL dialect finds a column's type
// by its name.
func TestColumnNamesNameOneType(t *testing.T) {
	seen := map[string]registry.ColType{}
	for _, r := range registry.All() {
		for _, c := range r.Columns {
			if prev, ok := seen[c.Name]; ok && prev != c.Type {
				t.Errorf("column %s is %s in one registry and %s in another", c.Name, prev, c.Type)
			}
			seen[c.Name] = c.Type
		}
	}
}

func TestDialectFor(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		if _, err := DialectFor(name); err != nil {
			t.Error(err)
		}
	}
	if _, err := DialectFor("mysql"); err == nil {
		t.Error("a dialect for mysql")
	}
}

// TestDialects runs every fragment of both dialects against its engine,
// on the same rows, and expects the same answers.
func TestDialects(t *testing.T) {
	engines := map[string]func(t *testing.T) *sqldb.DB{
		"sqlite": func(t *testing.T) *sqldb.DB {
			db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "lamin.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.ExecContext(context.Background(), `CREATE TABLE zz (id integer, key text, created_at datetime, _aux text)`); err != nil {
				t.Fatal(err)
			}
			return db
		},
		"postgres": func(t *testing.T) *sqldb.DB {
			db, err := sqldb.OpenPostgres(context.Background(), pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.ExecContext(context.Background(), `CREATE TABLE zz (id integer, key text, created_at timestamptz, _aux jsonb)`); err != nil {
				t.Fatal(err)
			}
			return db
		},
	}
	rows := []struct {
		key, at, aux string
	}{
		{"raw/a.txt", "2024-01-01 10:00:00.000000", `{"k":1}`},
		{"raw/B.txt", "2024-01-02 11:30:00.123456", `{"k":2}`},
		{"Raw/c.csv", "2024-02-01 00:00:00.000000", `null`},
		{"50%_off.txt", "2023-12-31 23:59:59.999999", `{"x":"50%"}`},
		{"a\\b", "2024-01-15 12:00:00.000000", `{}`},
		{"Zürich.txt", "2024-03-01 00:00:00.000000", `{"city":"Zürich"}`},
	}
	type check struct {
		name  string
		where func(d dialect) string
		args  []any
		want  []int
	}
	checks := []check{
		{"contains", func(d dialect) string { return d.contains("t.key") }, []any{"a"}, []int{1, 2, 3, 5}},
		{"contains is case-sensitive", func(d dialect) string { return d.contains("t.key") }, []any{"R"}, []int{3}},
		{"contains on a time", func(d dialect) string { return d.contains("t.created_at") }, []any{"11:30:00.1234"}, []int{2}},
		{"iexact", func(d dialect) string { return d.iexact("t.key") }, []any{"RAW/B.TXT"}, []int{2}},
		{"icontains", func(d dialect) string { return d.ilike("t.key") }, []any{"%" + likeEscape.Replace("raw/") + "%"}, []int{1, 2, 3}},
		{"ilike escapes % and _", func(d dialect) string { return d.ilike("t.key") }, []any{likeEscape.Replace("50%_") + "%"}, []int{4}},
		{"ilike escapes backslash", func(d dialect) string { return d.ilike("t.key") }, []any{likeEscape.Replace(`a\b`)}, []int{5}},
		{"startswith on a time", func(d dialect) string { return d.prefix("t.created_at", 10) }, []any{"2024-01-02"}, []int{2}},
		{"startswith on a time to the microsecond", func(d dialect) string { return d.prefix("t.created_at", 26) }, []any{"2024-01-01 10:00:00.000000"}, []int{1}},
		{"startswith on a month", func(d dialect) string { return d.prefix("t.created_at", 7) }, []any{"2024-01"}, []int{1, 2, 5}},
		{"startswith on text", func(d dialect) string { return d.textPrefix("t.key") }, []any{"raw/", "raw/\U0010FFFF"}, []int{1, 2}},
		{"startswith in byte order", func(d dialect) string { return d.textPrefix("t.key") }, []any{"R", "R\U0010FFFF"}, []int{3}},
		{"startswith non-ASCII", func(d dialect) string { return d.textPrefix("t.key") }, []any{"Zü", "Zü\U0010FFFF"}, []int{6}},
		{"endswith", func(d dialect) string { return d.suffix("t.key", 4) }, []any{".txt"}, []int{1, 2, 4, 6}},
		{"endswith is case-sensitive", func(d dialect) string { return d.suffix("t.key", 5) }, []any{"B.txt"}, []int{2}},
		{"endswith non-ASCII", func(d dialect) string { return d.suffix("t.key", 10) }, []any{"Zürich.txt"}, []int{6}},
		{"contains in JSON", func(d dialect) string { return d.contains("t._aux") }, []any{"Zürich"}, []int{6}},
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			if name == "postgres" {
				pgtest.Server(t)
			}
			ctx := context.Background()
			db := open(t)
			d, _ := DialectFor(name)
			for i, r := range rows {
				if _, err := db.ExecContext(ctx, `INSERT INTO zz (id, key, created_at, _aux) VALUES (?, ?, ?, ?)`, i+1, r.key, r.at, r.aux); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range checks {
				ids, err := sqldb.Int64s(ctx, db, `SELECT t.id FROM zz t WHERE `+c.where(d)+` ORDER BY t.id`, c.args...)
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
					continue
				}
				var got []int
				for _, id := range ids {
					got = append(got, int(id))
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: %v, want %v", c.name, got, c.want)
				}
			}
			for _, lo := range [][2]int{{2, 0}, {2, 3}, {0, 4}, {0, 0}} {
				frag, args := d.limit(lo[0], lo[1])
				ids, err := sqldb.Int64s(ctx, db, `SELECT id FROM zz ORDER BY id`+frag, args...)
				want := 6 - lo[1]
				if lo[0] > 0 {
					want = min(lo[0], want)
				}
				if err != nil || len(ids) != want || (len(ids) > 0 && ids[0] != int64(lo[1]+1)) {
					t.Errorf("limit %d offset %d: %v (%v)", lo[0], lo[1], ids, err)
				}
			}
		})
	}
}
