package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lamindb-go/lamindb/internal/registry"
)

// Query is a filtered, ordered, limited read of one registry. The table's
// alias in the generated SQL is always t.
type Query struct {
	Reg   *registry.Registry
	Conds []Cond
	Scope Scope
	// Order lists fields, "-" for descending, e.g. {"-created_at"}; empty
	// means "-id" (lamindb's default). Ties are broken by id in the direction
	// of the first entry, so pages are stable.
	Order  []string
	Limit  int // 0 = no limit
	Offset int
	// Dialect renders what differs between engines; nil means SQLite.
	Dialect Dialect
}

// dialect is the query's dialect, SQLite by default.
func (q *Query) dialect() dialect {
	if q.Dialect == nil {
		return defaultDialect
	}
	return q.Dialect
}

// hiddenKind is lamindb's to_dataframe filter for internal artifacts (run
// reports, environments, __lamindb_config__).
const hiddenKind = `(t.kind IS NULL OR t.kind NOT LIKE '\_\_lamindb%' ESCAPE '\')`

// Exempt reports whether the id/uid/hash exemption applies: some condition
// looks up id, uid or hash with exact or in, so every branch is visible (and
// hidden artifact kinds are shown).
func (q *Query) Exempt() bool {
	for _, c := range q.Conds {
		if c.exempt() {
			return true
		}
	}
	return false
}

// Where returns the predicate alone, for alias t, "1=1" when nothing
// restricts the rows. It includes the branch scope and hidden kinds.
func (q *Query) Where() (string, []any, error) {
	if q.Reg == nil {
		return "", nil, fmt.Errorf("filter: query without registry")
	}
	d := q.dialect()
	var preds []string
	var args []any
	namesBranch, namesKind := false, false
	for _, c := range q.Conds {
		if c.reg == nil || c.reg.Name != q.Reg.Name {
			return "", nil, fmt.Errorf("filter: condition %q is for %v, query is for %s", c.expr, regName(c.reg), q.Reg.Name)
		}
		if c.namesBranch() {
			namesBranch = true
		}
		if len(c.path) == 0 && c.col.Name == "kind" {
			namesKind = true
		}
		if c.anyBranch {
			continue
		}
		p, a := c.sql(d, "t", 0)
		preds = append(preds, p)
		args = append(args, a...)
	}
	exempt := q.Exempt()
	if q.Reg.HasBranch {
		switch q.Scope {
		case Default:
			if !exempt && !namesBranch {
				preds = append(preds, "t.branch_id = 1")
			}
		case Main:
			preds = append(preds, "t.branch_id = 1")
		case Trash:
			preds = append(preds, "t.branch_id = -1")
		case Archive:
			preds = append(preds, "t.branch_id = 0")
		case All:
		default:
			return "", nil, fmt.Errorf("filter: invalid scope %d", int(q.Scope))
		}
	}
	if q.Reg.Name == "artifact" && !namesKind && !exempt {
		preds = append(preds, hiddenKind)
	}
	if len(preds) == 0 {
		return "1=1", nil, nil
	}
	return strings.Join(preds, " AND "), args, nil
}

func regName(r *registry.Registry) string {
	if r == nil {
		return "no registry"
	}
	return r.Name
}

// Select returns "SELECT t.c1, … FROM <table> t WHERE … ORDER BY … [LIMIT …]".
// An empty cols selects id then the registry's List columns.
func (q *Query) Select(cols []string) (string, []any, error) {
	where, args, err := q.Where()
	if err != nil {
		return "", nil, err
	}
	if len(cols) == 0 {
		cols = append([]string{"id"}, q.Reg.List...)
	}
	sel := make([]string, len(cols))
	for i, name := range cols {
		if _, ok := q.Reg.Column(name); !ok {
			return "", nil, unknownField(q.Reg, name, name)
		}
		sel[i] = "t." + name
	}
	order, err := q.orderBy()
	if err != nil {
		return "", nil, err
	}
	if q.Limit < 0 || q.Offset < 0 {
		return "", nil, fmt.Errorf("%w: limit and offset must not be negative (limit=%d, offset=%d)", ErrInvalidValue, q.Limit, q.Offset)
	}
	lim, largs := q.dialect().limit(q.Limit, q.Offset)
	s := "SELECT " + strings.Join(sel, ", ") + " FROM " + q.Reg.Table + " t WHERE " + where + " ORDER BY " + order + lim
	return s, append(args, largs...), nil
}

// Count returns "SELECT COUNT(*) FROM <table> t WHERE …"; it ignores Order,
// Limit and Offset, so callers can say how many rows a limit cut off.
func (q *Query) Count() (string, []any, error) {
	where, args, err := q.Where()
	if err != nil {
		return "", nil, err
	}
	return "SELECT COUNT(*) FROM " + q.Reg.Table + " t WHERE " + where, args, nil
}

// orderBy validates Order and renders it with an id tie-breaker.
func (q *Query) orderBy() (string, error) {
	order := q.Order
	if len(order) == 0 {
		order = []string{"-id"}
	}
	var out []string
	tie := "DESC"
	for i, o := range order {
		name, dir := strings.TrimSpace(o), "ASC"
		if strings.HasPrefix(name, "-") {
			name, dir = name[1:], "DESC"
		}
		col, ok := resolve(q.Reg, name)
		if !ok || strings.Contains(name, "__") {
			return "", fmt.Errorf("%w order field '%s' for %s; available fields: %s", registry.ErrUnknown, o, q.Reg.Name, strings.Join(q.Reg.Fields(), ", "))
		}
		if i == 0 {
			tie = dir
		}
		out = append(out, "t."+col.Name+" "+dir)
		if col.Name == "id" {
			return strings.Join(out, ", "), nil // id is unique: nothing after it matters
		}
	}
	return strings.Join(append(out, "t.id "+tie), ", "), nil
}

// sql renders the condition for the table aliased alias; depth numbers the
// subquery aliases (t1, t2, …) so every column reference is qualified.
//
// Traversal is a chain of IN-subqueries. For isnull=true through a foreign
// key, a NULL key matches as well ("fk IS NULL OR fk IN (…)"), as Django's
// LEFT JOIN does: a record without a run has a NULL run__transform__key.
func (c Cond) sql(d dialect, alias string, depth int) (string, []any) {
	if depth < len(c.path) {
		fk := alias + "." + c.path[depth].Name
		sub := fmt.Sprintf("t%d", depth+1)
		inner, args := c.sql(d, sub, depth+1)
		p := fmt.Sprintf("%s IN (SELECT %s.id FROM %s %s WHERE %s)", fk, sub, c.regs[depth+1].Table, sub, inner)
		if c.lookup == "isnull" && c.isnull {
			p = "(" + fk + " IS NULL OR " + p + ")"
		}
		return p, args
	}
	return c.leaf(d, alias+"."+c.col.Name)
}

// leaf renders the lookup on column expression x.
func (c Cond) leaf(d dialect, x string) (string, []any) {
	isTime := c.col.Type == registry.Time
	switch c.lookup {
	case "isnull":
		if c.isnull {
			return x + " IS NULL", nil
		}
		return x + " IS NOT NULL", nil
	case "in":
		if len(c.values) == 0 {
			return "0=1", nil // an empty list matches nothing, as in Django
		}
		if isTime {
			var ors []string
			var args []any
			for _, v := range c.values {
				tv := v.(timeVal)
				ors = append(ors, "("+x+" >= ? AND "+x+" <= ?)")
				args = append(args, tv.lo(), tv.hi())
			}
			return "(" + strings.Join(ors, " OR ") + ")", args
		}
		return x + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(c.values)), ", ") + ")", c.values
	case "gt", "gte", "lt", "lte":
		op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.lookup]
		if isTime {
			tv := c.values[0].(timeVal)
			if c.lookup == "gt" || c.lookup == "lte" {
				return x + " " + op + " ?", []any{tv.hi()}
			}
			return x + " " + op + " ?", []any{tv.lo()}
		}
		return x + " " + op + " ?", c.values
	case "exact":
		if isTime {
			tv := c.values[0].(timeVal)
			return "(" + x + " >= ? AND " + x + " <= ?)", []any{tv.lo(), tv.hi()}
		}
		return x + " = ?", c.values
	}
	s := c.values[0].(string)
	switch c.lookup {
	case "iexact":
		return d.iexact(x), []any{s}
	case "contains":
		return d.contains(x), []any{s}
	case "icontains":
		return d.ilike(x), []any{"%" + likeEscape.Replace(s) + "%"}
	case "istartswith":
		return d.ilike(x), []any{likeEscape.Replace(s) + "%"}
	case "iendswith":
		return d.ilike(x), []any{"%" + likeEscape.Replace(s)}
	case "startswith":
		if c.col.Type != registry.Text {
			// datetime columns have NUMERIC affinity: a range on them could
			// compare a number-like prefix as a number.
			return d.prefix(x, utf8.RuneCountInString(s)), []any{s}
		}
		// An index-friendly range, case-sensitive, in byte order: every
		// string with the prefix lies in [s, s+U+10FFFF).
		return d.textPrefix(x), []any{s, s + "\U0010FFFF"}
	case "endswith":
		n := utf8.RuneCountInString(s)
		if n == 0 {
			return x + " IS NOT NULL", nil
		}
		return d.suffix(x, n), []any{s}
	}
	panic("filter: unhandled lookup " + c.lookup) // New only accepts Lookups
}
