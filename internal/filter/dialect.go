package filter

import (
	"fmt"
	"strings"
	"sync"

	"github.com/lamindb-go/lamindb/internal/registry"
)

// dialect holds the few SQL fragments of the filter builder that differ
// between engines, so PostgreSQL can slot in by adding one implementation.
// Every method takes an already-qualified column expression from registry
// metadata and returns a predicate with exactly one "?" parameter (two for
// textPrefix).
type dialect interface {
	// contains is a case-sensitive substring test.
	contains(col string) string
	// iexact is a case-insensitive equality test.
	iexact(col string) string
	// ilike is a case-insensitive pattern match; the pattern escapes % _ and \ with \.
	ilike(col string) string
	// prefix is a case-sensitive "starts with" on a column whose stored text
	// is not compared as text by ordinary operators (SQLite datetime columns
	// have NUMERIC affinity).
	prefix(col string, n int) string
	// textPrefix is a case-sensitive, index-friendly "starts with" on a
	// text column: col in [?, ?) in byte order, the arguments being s and
	// s+"\U0010FFFF".
	textPrefix(col string) string
	// suffix is a case-sensitive "ends with" of n characters.
	suffix(col string, n int) string
	// limit renders LIMIT/OFFSET; offset without limit needs engine syntax.
	limit(limit, offset int) (string, []any)
}

// Dialect is the SQL of one engine for the filter builder; DialectFor
// returns it by engine name.
type Dialect interface{ dialect }

// DialectFor returns the dialect of an engine by the name sqldb's Dialect
// gives ("sqlite" or "postgres").
func DialectFor(engine string) (Dialect, error) {
	switch engine {
	case "sqlite":
		return sqlite{}, nil
	case "postgres":
		return postgres{}, nil
	}
	return nil, fmt.Errorf("filter: no dialect for engine %q", engine)
}

// sqlite is the embedded default. Its LIKE and LOWER fold ASCII case only,
// consistently, so the i-lookups are ASCII-case-insensitive.
type sqlite struct{}

func (sqlite) contains(col string) string { return "instr(" + col + ", ?) > 0" }
func (sqlite) iexact(col string) string   { return "LOWER(" + col + ") = LOWER(?)" }
func (sqlite) ilike(col string) string    { return col + ` LIKE ? ESCAPE '\'` }
func (sqlite) prefix(col string, n int) string {
	return fmt.Sprintf("substr(%s, 1, %d) = ?", col, n)
}

// textPrefix compares under BINARY collation, byte order, which every text
// column of lamindb's tables has.
func (sqlite) textPrefix(col string) string { return "(" + col + " >= ? AND " + col + " < ?)" }

func (sqlite) suffix(col string, n int) string { return fmt.Sprintf("substr(%s, -%d) = ?", col, n) }

func (sqlite) limit(limit, offset int) (string, []any) {
	switch {
	case limit > 0 && offset > 0:
		return " LIMIT ? OFFSET ?", []any{limit, offset}
	case limit > 0:
		return " LIMIT ?", []any{limit}
	case offset > 0:
		return " LIMIT -1 OFFSET ?", []any{offset} // SQLite needs a LIMIT before OFFSET
	}
	return "", nil
}

// postgres is PostgreSQL's. Its times are timestamptz and its JSON is
// jsonb, not text: the text lookups compare them as the text SQLite stores
// (times as UTC "YYYY-MM-DD HH:MM:SS.ffffff", as the root package writes
// them; JSON as PostgreSQL prints jsonb). Its lower() and ILIKE fold the
// case of every letter, not only ASCII's.
type postgres struct{}

func (postgres) contains(col string) string { return "strpos(" + pgText(col) + ", ?) > 0" }
func (postgres) iexact(col string) string   { return "lower(" + pgText(col) + ") = lower(?)" }
func (postgres) ilike(col string) string    { return pgText(col) + ` ILIKE ? ESCAPE '\'` }
func (postgres) prefix(col string, n int) string {
	return fmt.Sprintf("left(%s, %d) = ?", pgText(col), n)
}

// textPrefix uses the pattern operators: they compare bytes whatever the
// column's collation (en_US's puts "a" before "B"), and lamindb's
// varchar_pattern_ops indexes serve them, also in generic plans.
func (postgres) textPrefix(col string) string {
	return "(" + col + " ~>=~ ? AND " + col + " ~<~ ?)"
}

// suffix: PostgreSQL's substr counts a negative start from before the
// string, not from its end; right() is the "last n characters".
func (postgres) suffix(col string, n int) string {
	return fmt.Sprintf("right(%s, %d) = ?", pgText(col), n)
}

func (postgres) limit(limit, offset int) (string, []any) {
	switch {
	case limit > 0 && offset > 0:
		return " LIMIT ? OFFSET ?", []any{limit, offset}
	case limit > 0:
		return " LIMIT ?", []any{limit}
	case offset > 0:
		return " OFFSET ?", []any{offset}
	}
	return "", nil
}

// pgText renders a column as text the way SQLite stores it. The dialect
// methods get a column expression ("t.created_at"), not its type: the type
// comes from the registries by the column's name, which names one type in
// all of them (a test checks it).
func pgText(col string) string {
	name := col[strings.LastIndexByte(col, '.')+1:]
	switch columnTypes()[name] {
	case registry.Time:
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
	case registry.JSON:
		return "(" + col + ")::text"
	}
	return col
}

// columnTypes maps every column name of the registries to its type (the
// last one seen, should two registries disagree).
var columnTypes = sync.OnceValue(func() map[string]registry.ColType {
	out := map[string]registry.ColType{}
	for _, r := range registry.All() {
		for _, c := range r.Columns {
			out[c.Name] = c.Type
		}
	}
	return out
})

// defaultDialect is the dialect every Query uses until a Query names its own.
var defaultDialect dialect = sqlite{}

// likeEscape escapes the LIKE metacharacters so user text matches literally.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
