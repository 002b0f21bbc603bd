package lamindb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lamindb-go/lamindb/internal/filter"
	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// Branch selects which branches a query sees.
type Branch = filter.Scope

// The branch scopes. DefaultBranch is lamindb's: main only, unless the query
// looks a record up by id, uid or hash, or names the branch itself.
const (
	DefaultBranch = filter.Default
	MainBranch    = filter.Main
	TrashBranch   = filter.Trash
	ArchiveBranch = filter.Archive
	AllBranches   = filter.All
)

// ParseBranch parses main|trash|archive|all (and lamindb 2023's visibility
// spellings 1|-1|0|none).
func ParseBranch(s string) (Branch, error) {
	b, err := filter.ParseScope(s)
	if err != nil {
		return b, &Error{Class: ErrInvalid, Msg: err.Error(), Err: err}
	}
	return b, nil
}

// DefaultLimit is how many rows a list returns unless told otherwise.
const DefaultLimit = 20

// Query selects records of one registry. Build it with Instance.Records or
// Instance.Artifacts, refine it with Filter, Where, Branch, Order and Limit, and
// end it with List, Count, Get, Delete or Restore. Errors in the building steps
// surface at the end.
type Query struct {
	in     *Instance
	reg    *registry.Registry
	fq     filter.Query
	limit  int
	uid    string // addressed by uid or stem: one record, any branch
	key    string // addressed by key: the newest record with it, any branch
	scoped bool   // Branch was called
	err    error
}

// Records starts a query on a registry by name ("artifact", "collection",
// "ulabel", "storage", …; "file" and "dataset" are lamindb 2023's names).
func (in *Instance) Records(name string) *Query {
	reg, err := registry.Lookup(name)
	q := &Query{in: in, reg: reg, limit: DefaultLimit}
	if err != nil {
		q.err = &Error{Class: ErrInvalid, Msg: err.Error(), Err: err}
		return q
	}
	q.fq.Reg, q.fq.Dialect = reg, in.filterDialect()
	return q
}

// filterDialect is the filter builder's SQL for this instance's database.
func (in *Instance) filterDialect() filter.Dialect {
	d, err := filter.DialectFor(in.db.Dialect.Name())
	if err != nil {
		panic(err) // sqldb opens only engines the filter knows
	}
	return d
}

// Artifacts starts a query on artifacts.
func (in *Instance) Artifacts() *Query { return in.Records("artifact") }

// Registry returns the registry's name.
func (q *Query) Registry() string {
	if q.reg == nil {
		return ""
	}
	return q.reg.Name
}

// Filter adds a condition: field (with an optional lookup, "key__startswith")
// and a value.
func (q *Query) Filter(field string, value any) *Query {
	if q.err != nil {
		return q
	}
	c, err := filter.New(q.reg, field, value)
	if err != nil {
		q.err = invalid(err)
		return q
	}
	q.fq.Conds = append(q.fq.Conds, c)
	return q
}

// Where adds a condition written as on the command line: "FIELD[__LOOKUP]=VALUE".
func (q *Query) Where(expr string) *Query {
	if q.err != nil {
		return q
	}
	c, err := filter.Parse(q.reg, expr)
	if err != nil {
		q.err = invalid(err)
		return q
	}
	q.fq.Conds = append(q.fq.Conds, c)
	return q
}

func invalid(err error) error { return &Error{Class: ErrInvalid, Msg: err.Error(), Err: err} }

// Branch sets the branches the query sees.
func (q *Query) Branch(b Branch) *Query { q.fq.Scope, q.scoped = b, true; return q }

// Order sets the ordering: field names, "-" for descending. Default "-id".
func (q *Query) Order(fields ...string) *Query { q.fq.Order = fields; return q }

// Limit caps the rows List returns; 0 means all. Default DefaultLimit.
func (q *Query) Limit(n int) *Query { q.limit = n; return q }

// UID addresses one record by uid, or, for versioned registries, by its stem
// (the latest version); it finds records on any branch, the trash included.
func (q *Query) UID(u string) *Query { q.uid = u; return q }

// Key addresses the newest record with this key (key, or the registry's name
// field), on any branch, the trash included.
func (q *Query) Key(k string) *Query { q.key = k; return q }

// Result is one page of a List.
type Result struct {
	Records []Record
	// Truncated is set when more rows matched than the default limit returned.
	Truncated bool
}

// List returns the matching records, newest first unless ordered otherwise.
func (q *Query) List(ctx context.Context) (*Result, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.uid != "" || q.key != "" {
		r, err := q.Get(ctx)
		if err != nil {
			return nil, err
		}
		return &Result{Records: []Record{r}}, nil
	}
	fq := q.fq
	fq.Limit = q.limit
	if q.limit > 0 {
		fq.Limit = q.limit + 1 // one more tells whether the page is truncated
	}
	fields := append([]string{"id"}, q.reg.List...)
	query, args, err := fq.Select(fields)
	if err != nil {
		return nil, invalid(err)
	}
	recs, err := q.in.scanRecords(ctx, q.in.db, q.reg, fields, query, args)
	if err != nil {
		return nil, err
	}
	res := &Result{Records: recs}
	if q.limit > 0 && len(recs) > q.limit {
		res.Records, res.Truncated = recs[:q.limit], true
		if q.limit == DefaultLimit {
			q.in.opts.Notify.say(LevelWarning, "truncated query result to limit=%d %s objects", DefaultLimit, q.reg.Class)
		}
	}
	return res, nil
}

// Count returns how many records match (ignoring the limit).
func (q *Query) Count(ctx context.Context) (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	query, args, err := q.fq.Count()
	if err != nil {
		return 0, invalid(err)
	}
	var n int64
	err = q.in.db.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// Get returns one record: the one addressed by UID or Key, or else the first
// match of the filters (for a key filter: the latest version first).
func (q *Query) Get(ctx context.Context) (Record, error) {
	if q.err != nil {
		return Record{}, q.err
	}
	id, err := q.resolveOne(ctx, q.in.db)
	if err != nil {
		return Record{}, err
	}
	r, err := q.getByID(ctx, q.in.db, id)
	if errors.Is(err, errNoRow) {
		return Record{}, q.notFound()
	}
	return r, err
}

func (q *Query) notFound() error {
	switch {
	case q.uid != "":
		return withHint(errorf(ErrNotFound, "No record found with uid '%s'. Did you forget a keyword as in %s.get(%s='%s')?",
			q.uid, q.reg.Class, q.reg.NameField, q.uid), "list records with `lamin list "+q.reg.Name+" --branch all`")
	case q.key != "":
		return withHint(errorf(ErrNotFound, "%s with %s=%s does not exist.", q.reg.Class, q.reg.NameField, q.key),
			"list records with `lamin list "+q.reg.Name+" --branch all`")
	}
	return errorf(ErrNotFound, "%s matching query does not exist.", q.reg.Class)
}

// resolveOne returns the id of the single record the query addresses.
func (q *Query) resolveOne(ctx context.Context, qr querier) (int64, error) {
	var query string
	var args []any
	t := q.reg.Table
	switch {
	case q.uid != "":
		if q.reg.Versioned && len(q.uid) == q.reg.StemLen {
			query, args = `SELECT id FROM `+t+` WHERE `+q.in.db.PrefixRange("uid")+` ORDER BY is_latest DESC, created_at DESC, id DESC LIMIT 1`, sqldb.PrefixArgs(q.uid)
		} else {
			query, args = `SELECT id FROM `+t+` WHERE uid = ?`, []any{q.uid}
		}
	case q.key != "":
		order := "id DESC"
		if _, ok := q.reg.Column("created_at"); ok {
			order = "created_at DESC, id DESC"
		}
		query, args = `SELECT id FROM `+t+` WHERE `+q.reg.NameField+` = ? ORDER BY `+order+` LIMIT 1`, []any{q.key}
	default:
		// lamindb's get(key=…) prefers the latest version, then the newest row.
		fq := q.fq
		if q.reg.Versioned {
			fq.Order = []string{"-is_latest", "-created_at", "-id"}
		}
		fq.Limit = 1
		s, a, err := fq.Select([]string{"id"})
		if err != nil {
			return 0, invalid(err)
		}
		query, args = s, a
	}
	var id int64
	err := qr.QueryRowContext(ctx, query, args...).Scan(&id)
	if sqldb.IsNoRows(err) {
		return 0, q.notFound()
	}
	return id, err
}

// Record is one row of a registry, with lamindb's columns in lamindb's order
// ("id" first). Values are int64, string, bool, time.Time or nil.
type Record struct {
	Registry string
	Fields   []string
	Values   []any
}

// Get returns the value of a field, or nil.
func (r Record) Get(field string) any {
	for i, f := range r.Fields {
		if f == field {
			return r.Values[i]
		}
	}
	return nil
}

// UID returns the record's uid.
func (r Record) UID() string { s, _ := r.Get("uid").(string); return s }

// ID returns the record's id.
func (r Record) ID() int64 { n, _ := r.Get("id").(int64); return n }

// Text formats a value for tables and CSV: None for nil, RFC 3339 for times.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		return pyBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.000000+00:00")
	}
	return fmt.Sprint(v)
}

// MarshalJSON writes the record as an object with lamindb's column names in
// order, times in RFC 3339 UTC.
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f)
		b.Write(k)
		b.WriteByte(':')
		v := r.Values[i]
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		enc, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// String formats the record like lamindb's repr: Class(uid='…', field=…, …).
func (r Record) String() string {
	reg, err := registry.Lookup(r.Registry)
	class := r.Registry
	if err == nil {
		class = reg.Class
	}
	var b bytes.Buffer
	b.WriteString(class + "(")
	first := true
	for i, f := range r.Fields {
		if f == "id" {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		v := r.Values[i]
		switch x := v.(type) {
		case string:
			b.WriteString(f + "=" + pyStr(&x))
		case time.Time:
			b.WriteString(f + "=" + pyTime(x))
		default:
			b.WriteString(f + "=" + Text(v))
		}
	}
	b.WriteString(")")
	return b.String()
}

func (in *Instance) scanRecords(ctx context.Context, qr querier, reg *registry.Registry, fields []string, query string, args []any) ([]Record, error) {
	types := make([]registry.ColType, len(fields))
	for i, f := range fields {
		if c, ok := reg.Column(f); ok {
			types[i] = c.Type
		} else {
			types[i] = registry.Int
		}
	}
	return sqldb.Query(ctx, qr, func(s sqldb.Scanner) (Record, error) {
		raw := make([]any, len(fields))
		ptrs := make([]any, len(fields))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := s.Scan(ptrs...); err != nil {
			return Record{}, err
		}
		for i, v := range raw {
			raw[i] = convert(v, types[i])
		}
		return Record{Registry: reg.Name, Fields: fields, Values: raw}, nil
	}, query, args...)
}

// convert turns a driver value into the record value for a column type.
func convert(v any, t registry.ColType) any {
	if v == nil {
		return nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch t {
	case registry.Bool:
		switch x := v.(type) {
		case int64:
			return x != 0
		case bool:
			return x
		case string:
			return x == "1" || x == "true" || x == "True"
		}
	case registry.Time:
		var ts timeScanner
		if err := ts.Scan(v); err == nil {
			return ts.t
		}
	case registry.Int:
		if s, ok := v.(string); ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		}
	}
	return v
}

// Err returns the error of a building step (unknown registry, field or lookup), if any.
func (q *Query) Err() error { return q.err }
