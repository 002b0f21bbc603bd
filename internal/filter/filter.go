// Package filter is the one filter builder every read goes through: it parses
// Django-style field lookups ("key__startswith=raw/", "storage__root=…"),
// applies lamindb's default branch scope (spec §2.1) and the hidden artifact
// kinds (spec §2.4), and renders parameterised SQL.
//
// Identifiers in the SQL only ever come from registry metadata; user input
// only ever reaches the database as parameters. Foreign keys are traversed with
// IN-subqueries rather than joins, so a row never appears twice.
package filter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/internal/registry"
)

// ErrInvalidValue is wrapped by errors about a value that does not fit its
// field (e.g. size=abc) or a malformed filter; callers map it to "invalid input".
var ErrInvalidValue = errors.New("invalid value")

// Lookups are the supported Django field lookups, in the order error messages list them.
var Lookups = []string{"exact", "iexact", "contains", "icontains", "startswith", "istartswith",
	"endswith", "iendswith", "in", "gt", "gte", "lt", "lte", "isnull"}

func isLookup(s string) bool {
	for _, l := range Lookups {
		if s == l {
			return true
		}
	}
	return false
}

// textLookups only make sense on text: they are refused on integer and
// boolean columns rather than silently casting.
var textLookups = map[string]bool{"iexact": true, "contains": true, "icontains": true, "startswith": true,
	"istartswith": true, "endswith": true, "iendswith": true}

// Scope selects the branches a query sees on registries with branch_id.
type Scope int

// The scopes. Default is lamindb's: main only, unless the query looks up by
// id/uid/hash or names the branch itself.
const (
	// Default is main only, with lamindb's exemptions.
	Default Scope = iota
	// Main is branch_id = 1.
	Main
	// Trash is branch_id = -1.
	Trash
	// Archive is branch_id = 0.
	Archive
	// All applies no branch predicate.
	All
)

// String returns the scope's CLI spelling.
func (s Scope) String() string {
	switch s {
	case Default:
		return "default"
	case Main:
		return "main"
	case Trash:
		return "trash"
	case Archive:
		return "archive"
	case All:
		return "all"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// ParseScope parses a --branch value: main, trash, archive, all, or the
// lamindb 2023 visibility spellings 1 (main), 0 (archive, formerly "hidden"),
// -1 (trash) and none (all). "" and "default" give Default.
func ParseScope(s string) (Scope, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "default":
		return Default, nil
	case "main", "1":
		return Main, nil
	case "trash", "-1":
		return Trash, nil
	case "archive", "0":
		return Archive, nil
	case "all", "none":
		return All, nil
	}
	return Default, fmt.Errorf("%w '%s' for branch: want main, trash, archive or all", ErrInvalidValue, s)
}

// Cond is one parsed filter condition bound to a registry: the foreign keys
// it traverses, the final column, the lookup and its typed values.
type Cond struct {
	reg    *registry.Registry
	expr   string               // the field expression as given, for messages
	path   []registry.Column    // foreign-key columns traversed, outermost first
	regs   []*registry.Registry // regs[i] owns path[i]; regs[len(path)] owns col
	col    registry.Column
	lookup string
	values []any // int64, string or timeVal; one value unless lookup is "in"
	isnull bool  // for lookup isnull
	// anyBranch marks branch_id=None (library only): no branch predicate at
	// all, which is how lamindb shows every branch.
	anyBranch bool
}

// Registry returns the registry the condition was parsed for.
func (c Cond) Registry() *registry.Registry { return c.reg }

// Field returns the top-level column the condition filters on: the column
// itself, or the first foreign key it traverses ("storage_id" for storage__root).
func (c Cond) Field() string {
	if len(c.path) > 0 {
		return c.path[0].Name
	}
	return c.col.Name
}

// Lookup returns the lookup, "exact" when none was given.
func (c Cond) Lookup() string { return c.lookup }

// String returns the field expression as given.
func (c Cond) String() string { return c.expr }

// exempt reports whether the condition is an id/uid/hash lookup, which
// lamindb lets see every branch (spec §2.1); uid__startswith is not one.
func (c Cond) exempt() bool {
	if len(c.path) > 0 || (c.lookup != "exact" && c.lookup != "in") {
		return false
	}
	switch c.col.Name {
	case "id", "uid", "hash":
		return true
	}
	return false
}

// namesBranch reports whether the condition decides the branch itself
// (branch, branch_id, visibility, branch__…).
func (c Cond) namesBranch() bool { return c.Field() == "branch_id" }

// Parse parses "FIELD=VALUE" or "FIELD__LOOKUP=VALUE" for reg. The value is
// everything after the first '=', so values may contain '='.
func Parse(reg *registry.Registry, expr string) (Cond, error) {
	field, value, ok := strings.Cut(expr, "=")
	if !ok {
		return Cond{}, fmt.Errorf("%w: filter '%s' must look like FIELD=VALUE or FIELD__LOOKUP=VALUE", ErrInvalidValue, expr)
	}
	return New(reg, strings.TrimSpace(field), value)
}

// New builds a condition from a field expression, which may carry a lookup
// ("key__startswith"), and a value: string, int, int64, bool, time.Time,
// []string, []int64, []int, []any or nil. Strings are parsed according to the
// column type; nil means IS NULL, except for branch_id (branch, visibility),
// where nil means "every branch", as in lamindb.
func New(reg *registry.Registry, field string, value any) (Cond, error) {
	if reg == nil {
		return Cond{}, errors.New("filter: nil registry")
	}
	c := Cond{reg: reg, expr: field, lookup: "exact"}
	parts := strings.Split(field, "__")
	if n := len(parts); n > 1 && isLookup(parts[n-1]) {
		c.lookup = parts[n-1]
		parts = parts[:n-1]
	}
	// Artifact.transform is lamindb's shortcut for run__transform (spec §2.3).
	if reg.Name == "artifact" && parts[0] == "transform" {
		parts = append([]string{"run"}, parts...)
	}
	cur := reg
	c.regs = []*registry.Registry{reg}
	for i, p := range parts {
		last := i == len(parts)-1
		col, ok := resolve(cur, p)
		if !ok {
			return Cond{}, unknownField(cur, p, field)
		}
		if last {
			c.col = col
			break
		}
		if col.FK == "" {
			rest := strings.Join(parts[i+1:], "__")
			return Cond{}, fmt.Errorf("%w lookup '%s' for %s in '%s'; available lookups: %s",
				registry.ErrUnknown, rest, col.Name, field, strings.Join(Lookups, ", "))
		}
		parent, err := registry.Lookup(col.FK)
		if err != nil {
			return Cond{}, err
		}
		c.path = append(c.path, col)
		c.regs = append(c.regs, parent)
		cur = parent
	}
	if err := c.setValue(value); err != nil {
		return Cond{}, err
	}
	return c, nil
}

// resolve maps a name to a column of r: the column itself, lamindb's renamed
// fields (version, visibility), or a relation name ("storage" → storage_id).
func resolve(r *registry.Registry, name string) (registry.Column, bool) {
	switch {
	case name == "version" && r.Versioned:
		name = "version_tag"
	case name == "visibility" && r.HasBranch:
		name = "branch_id" // lamindb 2023 name; 1/0/-1 are the branch ids
	}
	if name == "" {
		return registry.Column{}, false
	}
	if c, ok := r.Column(name); ok {
		return c, true
	}
	if c, ok := r.Column(name + "_id"); ok && c.FK != "" {
		return c, true
	}
	return registry.Column{}, false
}

func unknownField(r *registry.Registry, name, expr string) error {
	where := ""
	if name != expr {
		where = fmt.Sprintf(" (in '%s')", expr)
	}
	msg := fmt.Sprintf("%%w field '%s' for %s%s; available fields: %s", name, r.Name, where, strings.Join(r.Fields(), ", "))
	if rels := r.Relations(); len(rels) > 0 {
		c, _ := resolve(r, rels[0])
		msg += fmt.Sprintf("; relations (traverse with __, e.g. %s__%s): %s", rels[0], nameFieldOf(c.FK), strings.Join(rels, ", "))
	}
	return fmt.Errorf(msg, registry.ErrUnknown)
}

// setValue converts value to the column's type for the lookup.
func (c *Cond) setValue(value any) error {
	col := c.col
	if textLookups[c.lookup] && (col.Type == registry.Int || col.Type == registry.Bool) {
		return fmt.Errorf("%w lookup '%s' for %s field %s of %s; use one of exact, in, gt, gte, lt, lte, isnull",
			registry.ErrUnknown, c.lookup, col.Type, col.Name, c.regs[len(c.regs)-1].Name)
	}
	switch c.lookup {
	case "isnull":
		b, err := toBool(value)
		if err != nil {
			return c.badValue(value, "true or false")
		}
		c.isnull = b
		return nil
	case "in":
		list, err := toList(value)
		if err != nil {
			return c.badValue(value, "a comma-separated list or a slice")
		}
		for _, v := range list {
			tv, err := c.convert(v)
			if err != nil {
				return err
			}
			c.values = append(c.values, tv)
		}
		return nil
	}
	if value == nil {
		if c.lookup != "exact" {
			return c.badValue(value, "a value (nil only works with exact or isnull)")
		}
		if len(c.path) == 0 && c.col.Name == "branch_id" {
			c.anyBranch = true
			return nil
		}
		// field=None is IS NULL in Django.
		c.lookup, c.isnull = "isnull", true
		return nil
	}
	if textLookups[c.lookup] {
		s, ok := textOf(value)
		if !ok {
			return c.badValue(value, "text")
		}
		c.values = []any{s}
		return nil
	}
	tv, err := c.convert(value)
	if err != nil {
		return err
	}
	c.values = []any{tv}
	return nil
}

// timeVal is a parsed datetime, compared against the stored text.
type timeVal struct{ t time.Time }

// Stored datetimes are UTC text with 3 (SQLite's default) or 6 (ours and
// Django's) fractional digits. Comparing against the shortest spelling of a
// value (lo) or its longest (hi) makes text order agree with time order for
// both: t >= v ⇔ text >= lo, t > v ⇔ text > hi, t = v ⇔ lo <= text <= hi.
func (v timeVal) lo() string { return v.t.Format("2006-01-02 15:04:05.999999") }
func (v timeVal) hi() string { return v.t.Format("2006-01-02 15:04:05.000000") }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05",
	"2006-01-02T15:04:05", "2006-01-02"}

// parseTime accepts RFC 3339, "2006-01-02 15:04:05[.ffffff]" (UTC) and
// "2006-01-02" (UTC midnight); precision is cut to microseconds, the stored one.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Microsecond), true
		}
	}
	return time.Time{}, false
}

// convert turns one scalar into the column's typed value.
func (c *Cond) convert(v any) (any, error) {
	switch c.col.Type {
	case registry.Int:
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		case int64:
			return x, nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				if len(c.path) == 0 && c.col.FK != "" {
					return nil, c.badValue(v, fmt.Sprintf("an integer id (did you mean %s__%s?)",
						c.col.Relation(), nameFieldOf(c.col.FK)))
				}
				return nil, c.badValue(v, "an integer")
			}
			return n, nil
		}
		return nil, c.badValue(v, "an integer")
	case registry.Bool:
		b, err := toBool(v)
		if err != nil {
			return nil, c.badValue(v, "true or false")
		}
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	case registry.Time:
		switch x := v.(type) {
		case time.Time:
			return timeVal{x.UTC().Truncate(time.Microsecond)}, nil
		case string:
			if t, ok := parseTime(x); ok {
				return timeVal{t}, nil
			}
		}
		return nil, c.badValue(v, "a datetime (2006-01-02, 2006-01-02 15:04:05[.ffffff] UTC, or RFC 3339)")
	}
	s, ok := textOf(v)
	if !ok {
		return nil, c.badValue(v, "text")
	}
	return s, nil
}

func nameFieldOf(reg string) string {
	if r, err := registry.Lookup(reg); err == nil && r.NameField != "" {
		return r.NameField
	}
	return "name"
}

func (c *Cond) badValue(v any, want string) error {
	if v == nil {
		return fmt.Errorf("%w <nil> for %s of %s: want %s", ErrInvalidValue, c.expr, c.reg.Name, want)
	}
	return fmt.Errorf("%w '%v' for %s of %s (%s): want %s", ErrInvalidValue, v, c.expr, c.reg.Name, c.col.Type, want)
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case int64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
	}
	return false, ErrInvalidValue
}

func textOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// toList splits a comma-separated string (items trimmed of spaces; "" is the
// empty list, which matches nothing) or unpacks a slice.
func toList(v any) ([]any, error) {
	var out []any
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		for _, s := range strings.Split(x, ",") {
			out = append(out, strings.TrimSpace(s))
		}
	case []string:
		for _, s := range x {
			out = append(out, s)
		}
	case []int64:
		for _, n := range x {
			out = append(out, n)
		}
	case []int:
		for _, n := range x {
			out = append(out, n)
		}
	case []any:
		out = append(out, x...)
	case int, int64, time.Time, bool:
		out = []any{x}
	default:
		return nil, ErrInvalidValue
	}
	return out, nil
}
