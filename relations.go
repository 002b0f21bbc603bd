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
	version, err := schemaToken(ctx, qr)
	if err != nil {
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

// introspector reads a database's tables, through a DB or inside a Tx.
type introspector interface {
	TableColumns(ctx context.Context) (map[string][]string, error)
	ForeignKeys(ctx context.Context) ([]sqldb.ForeignKey, error)
	SchemaToken(ctx context.Context) (int64, error)
}

// schemaToken changes whenever the database's schema does.
func schemaToken(ctx context.Context, qr querier) (int64, error) {
	return qr.(introspector).SchemaToken(ctx)
}

func readRelations(ctx context.Context, qr querier) (relationSet, error) {
	rs := relationSet{byParent: map[string][]registry.Relation{}, cols: map[string]map[string]bool{}}
	// Every column of every table, in one statement: a declared relation
	// counts only where its table and column exist (instances made by us or
	// by older lamindb versions lack most link tables).
	cols, err := qr.(introspector).TableColumns(ctx)
	if err != nil {
		return rs, err
	}
	fks, err := qr.(introspector).ForeignKeys(ctx)
	if err != nil {
		return rs, err
	}
	for table, cs := range cols {
		rs.cols[table] = map[string]bool{}
		for _, c := range cs {
			rs.cols[table][c] = true
		}
	}
	known := map[[2]string]bool{}
	for _, r := range registry.Relations {
		if !rs.has(r.Table, r.Column) {
			continue
		}
		rs.byParent[r.ParentTable] = append(rs.byParent[r.ParentTable], r)
		known[[2]string{r.Table, r.Column}] = true
	}
	// Every other foreign key: PROTECT, named.
	for _, f := range fks {
		if known[[2]string{f.Table, f.Column}] {
			continue
		}
		// SQLite compares table names without case; our keys are lower case.
		parent := strings.ToLower(f.RefTable)
		rel := registry.Relation{Table: f.Table, Column: f.Column, ParentTable: parent, Parent: registryNameOrEmpty(parent),
			Rule: registry.Protect, Name: f.Table + "." + f.Column}
		if !strings.EqualFold(f.RefColumn, "id") {
			rel.ParentColumn = f.RefColumn // "" (the primary key) stays ""
		}
		rs.byParent[parent] = append(rs.byParent[parent], rel)
		known[[2]string{f.Table, f.Column}] = true
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
