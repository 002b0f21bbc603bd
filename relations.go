package lamindb

import (
	"context"
	"strings"
	"sync"

	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// relationSet is every foreign key the delete planner honours in this
// database: the declared rules of internal/registry whose table and column
// the database has, plus every foreign key the database has that the
// declarations do not know (a bionty table, another module's link table),
// which is PROTECT: a purge is refused, naming it, rather than leaving a
// dangling row or failing at commit.
type relationSet struct {
	byParent map[string][]registry.Relation // parent table → relations
	cols     map[string]map[string]bool     // table → its columns
	version  int64                          // the schema_version they were read at
}

func (rs relationSet) to(table string) []registry.Relation { return rs.byParent[table] }

// has reports whether table has column (false for a table the database lacks).
func (rs relationSet) has(table, column string) bool { return rs.cols[table][column] }

// relations returns the relations of this instance's database, read once per
// open instance and again whenever the schema changed meanwhile (another
// program, say lamindb migrating, added tables). Inside a transaction it
// reads through the transaction.
func (in *Instance) relations(ctx context.Context, qr querier) (relationSet, error) {
	var version int64
	if err := qr.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&version); err != nil {
		return relationSet{}, err
	}
	in.rels.Lock()
	defer in.rels.Unlock()
	if in.rels.set != nil && in.rels.set.version == version {
		return *in.rels.set, nil
	}
	rs, err := readRelations(ctx, qr)
	if err == nil {
		rs.version = version
		in.rels.set = &rs
	}
	return rs, err
}

// relationCache holds an instance's relations once read.
type relationCache struct {
	sync.Mutex
	set *relationSet
}

func readRelations(ctx context.Context, qr querier) (relationSet, error) {
	rs := relationSet{byParent: map[string][]registry.Relation{}, cols: map[string]map[string]bool{}}
	// Every column of every table, in one statement: a declared relation
	// counts only where its table and column exist (instances made by us or
	// by older lamindb versions lack most link tables).
	type tc struct{ table, column string }
	cols, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (tc, error) {
		var c tc
		err := s.Scan(&c.table, &c.column)
		return c, err
	}, `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return rs, err
	}
	for _, c := range cols {
		if rs.cols[c.table] == nil {
			rs.cols[c.table] = map[string]bool{}
		}
		rs.cols[c.table][c.column] = true
	}
	known := map[[2]string]bool{}
	for _, r := range registry.Relations {
		if !rs.has(r.Table, r.Column) {
			continue
		}
		rs.byParent[r.ParentTable] = append(rs.byParent[r.ParentTable], r)
		known[[2]string{r.Table, r.Column}] = true
	}
	// Every foreign key of every table, in one statement.
	type fk struct{ table, parent, from, to string }
	fks, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (fk, error) {
		var f fk
		err := s.Scan(&f.table, &f.parent, &f.from, &f.to)
		return f, err
	}, `SELECT m.name, p."table", p."from", COALESCE(p."to", '') FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.id, p.seq`)
	if err != nil {
		return rs, err
	}
	for _, f := range fks {
		if known[[2]string{f.table, f.from}] {
			continue
		}
		// SQLite compares table names without case; our keys are lower case.
		parent := strings.ToLower(f.parent)
		rel := registry.Relation{Table: f.table, Column: f.from, ParentTable: parent, Parent: registryNameOrEmpty(parent),
			Rule: registry.Protect, Name: f.table + "." + f.from}
		if !strings.EqualFold(f.to, "id") {
			rel.ParentColumn = f.to // "" (the primary key) stays ""
		}
		rs.byParent[parent] = append(rs.byParent[parent], rel)
		known[[2]string{f.table, f.from}] = true
	}
	return rs, nil
}

// registryNameOrEmpty is the name of the registry stored in table, or "".
func registryNameOrEmpty(table string) string {
	if r := registryByTable(table); r != nil {
		return r.Name
	}
	return ""
}
