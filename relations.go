package lamindb

import (
	"context"
	"sync"

	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// relationSet is every foreign key the delete planner honours: the declared
// rules of internal/registry, plus every foreign key the database itself has
// that the declarations do not know (another module's link table), which is
// PROTECT: a purge is refused, naming it, rather than leaving a dangling row
// or failing at commit.
type relationSet struct {
	byParent map[string][]registry.Relation // parent table → relations
}

func (rs relationSet) to(table string) []registry.Relation { return rs.byParent[table] }

// relations returns the relations of this instance's database, read once per
// open instance. Inside a transaction it reads through the transaction.
func (in *Instance) relations(ctx context.Context, qr querier) (relationSet, error) {
	in.rels.Lock()
	defer in.rels.Unlock()
	if in.rels.set != nil {
		return *in.rels.set, nil
	}
	rs, err := readRelations(ctx, qr)
	if err == nil {
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
	rs := relationSet{byParent: map[string][]registry.Relation{}}
	known := map[[2]string]bool{}
	for _, r := range registry.Relations {
		parent, err := registry.Lookup(r.Parent)
		if err != nil {
			continue
		}
		rs.byParent[parent.Table] = append(rs.byParent[parent.Table], r)
		known[[2]string{r.Table, r.Column}] = true
	}
	// Every foreign key of every table, in one statement.
	type fk struct{ table, parent, from string }
	fks, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (fk, error) {
		var f fk
		err := s.Scan(&f.table, &f.parent, &f.from)
		return f, err
	}, `SELECT m.name, p."table", p."from" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.id, p.seq`)
	if err != nil {
		return rs, err
	}
	for _, f := range fks {
		if known[[2]string{f.table, f.from}] {
			continue
		}
		rel := registry.Relation{Table: f.table, Column: f.from, Parent: registryName(f.parent), Rule: registry.Protect, Name: f.table + "." + f.from}
		rs.byParent[f.parent] = append(rs.byParent[f.parent], rel)
		known[[2]string{f.table, f.from}] = true
	}
	return rs, nil
}
