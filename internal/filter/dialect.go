package filter

import (
	"fmt"
	"strings"
)

// dialect holds the few SQL fragments of the filter builder that differ
// between engines, so PostgreSQL can slot in by adding one implementation.
// Every method takes an already-qualified column expression from registry
// metadata and returns a predicate with exactly one "?" parameter.
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
	// limit renders LIMIT/OFFSET; offset without limit needs engine syntax.
	limit(limit, offset int) (string, []any)
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

// defaultDialect is the dialect every Query uses until a PostgreSQL one exists.
var defaultDialect dialect = sqlite{}

// likeEscape escapes the LIKE metacharacters so user text matches literally.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
