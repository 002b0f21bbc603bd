package sqldb

import "context"

// ForeignKey is one column of a foreign key the database declares.
type ForeignKey struct {
	Table, Column string
	// RefTable is the referenced table, RefColumn its column; RefColumn is
	// "" where SQLite's declaration names none (the primary key).
	RefTable, RefColumn string
}

// What the delete planner reads about a database's tables, in one
// statement each, through a DB or inside a Tx. The queries see every table
// of the instance (SQLite's main schema, PostgreSQL's schema public),
// including those of other modules (bionty_…).
const (
	sqliteColumns = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	pgColumns = `SELECT c.relname, a.attname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum`
	sqliteForeignKeys = `SELECT m.name, p."from", p."table", COALESCE(p."to", '') FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.id, p.seq`
	pgForeignKeys = `SELECT t.relname, a.attname, r.relname, ra.attname FROM pg_catalog.pg_constraint k
		CROSS JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(col, refcol, n)
		JOIN pg_catalog.pg_class t ON t.oid = k.conrelid
		JOIN pg_catalog.pg_class r ON r.oid = k.confrelid
		JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.col
		JOIN pg_catalog.pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.refcol
		WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace ORDER BY t.relname, k.conname, u.n`
	// A cheap token that changes with every change of the schema: SQLite
	// counts them in its header; PostgreSQL rewrites a catalog row (new
	// xmin) for every table, column, index or constraint created, altered
	// or dropped, so the rows of pg_class and pg_constraint of the schema
	// and their transaction ids say when anything changed.
	sqliteSchemaToken = `PRAGMA schema_version`
	pgSchemaToken     = `SELECT (SELECT count(*) * 1000003 + coalesce(sum(xmin::text::bigint), 0) FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace)
		+ (SELECT count(*) * 7919 + coalesce(sum(xmin::text::bigint), 0) FROM pg_catalog.pg_constraint WHERE connamespace = 'public'::regnamespace) * 65537`
)

// TableColumns returns every table of the database with its columns in
// their order.
func (db *DB) TableColumns(ctx context.Context) (map[string][]string, error) {
	return tableColumns(ctx, db.Dialect, db)
}

// TableColumns is DB.TableColumns inside the transaction.
func (tx *Tx) TableColumns(ctx context.Context) (map[string][]string, error) {
	return tableColumns(ctx, tx.db.Dialect, tx)
}

// ForeignKeys returns every foreign key column of every table.
func (db *DB) ForeignKeys(ctx context.Context) ([]ForeignKey, error) {
	return foreignKeys(ctx, db.Dialect, db)
}

// ForeignKeys is DB.ForeignKeys inside the transaction.
func (tx *Tx) ForeignKeys(ctx context.Context) ([]ForeignKey, error) {
	return foreignKeys(ctx, tx.db.Dialect, tx)
}

// SchemaToken returns a number that changes whenever the database's schema
// changes (another program added a table, say): what the root package
// compares before it trusts what it read with TableColumns and ForeignKeys.
func (db *DB) SchemaToken(ctx context.Context) (int64, error) {
	return schemaToken(ctx, db.Dialect, db)
}

// SchemaToken is DB.SchemaToken inside the transaction.
func (tx *Tx) SchemaToken(ctx context.Context) (int64, error) {
	return schemaToken(ctx, tx.db.Dialect, tx)
}

func tableColumns(ctx context.Context, d Dialect, q Querier) (map[string][]string, error) {
	query := sqliteColumns
	if d.Name() == "postgres" {
		query = pgColumns
	}
	out := map[string][]string{}
	err := Each(ctx, q, func(s Scanner) error {
		var t, c string
		if err := s.Scan(&t, &c); err != nil {
			return err
		}
		out[t] = append(out[t], c)
		return nil
	}, query)
	return out, err
}

func foreignKeys(ctx context.Context, d Dialect, q Querier) ([]ForeignKey, error) {
	query := sqliteForeignKeys
	if d.Name() == "postgres" {
		query = pgForeignKeys
	}
	return Query(ctx, q, func(s Scanner) (ForeignKey, error) {
		var f ForeignKey
		err := s.Scan(&f.Table, &f.Column, &f.RefTable, &f.RefColumn)
		return f, err
	}, query)
}

func schemaToken(ctx context.Context, d Dialect, q Querier) (int64, error) {
	query := sqliteSchemaToken
	if d.Name() == "postgres" {
		query = pgSchemaToken
	}
	var v int64
	err := q.QueryRowContext(ctx, query).Scan(&v)
	return v, err
}
