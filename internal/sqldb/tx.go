package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"time"

	"github.com/lamindb-go/lamindb/internal/errs"
)

// txKey marks the context a transaction hands to its function, so that a
// query on the DB from inside it fails instead of waiting for itself.
type txKey struct{}

// Tx is a write transaction whose query methods reuse the DB's prepared
// statements. A statement not cached yet runs prepared on the transaction and
// is prepared on the DB once the transaction ends: preparing needs the
// connection the transaction holds.
type Tx struct {
	*sql.Tx
	db    *DB
	local map[string]*sql.Stmt // prepared on this transaction, for statements it repeats
}

func (tx *Tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if st := tx.db.cached(query); st != nil {
		return tx.Tx.StmtContext(ctx, st)
	}
	if st, ok := tx.local[query]; ok {
		return st
	}
	if len(tx.local) >= maxCachedStmts {
		return nil
	}
	st, err := tx.Tx.PrepareContext(ctx, tx.db.bind(query))
	if err != nil {
		return nil
	}
	if tx.local == nil {
		tx.local = map[string]*sql.Stmt{}
	}
	tx.local[query] = st
	return st
}

// forgetStale drops a statement whose plan went stale from the DB's cache
// and the transaction's, so that Tx's next run prepares it again.
func (tx *Tx) forgetStale(query string, err error) {
	if tx.db.forgetStale(query, err) {
		if st := tx.local[query]; st != nil {
			st.Close()
			delete(tx.local, query)
		}
	}
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.prepared(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		tx.forgetStale(query, err)
		return res, classify(err)
	}
	res, err := tx.Tx.ExecContext(ctx, tx.db.bind(query), args...)
	return res, classify(err)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.prepared(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		tx.forgetStale(query, err)
		return rows, classify(err)
	}
	rows, err := tx.Tx.QueryContext(ctx, tx.db.bind(query), args...)
	return rows, classify(err)
}

// QueryRowContext runs a query for one row in the transaction.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *Row {
	rows, err := tx.QueryContext(ctx, query, args...)
	return &Row{rows: rows, err: err}
}

// Tx runs fn in one write transaction, committing when fn returns nil. fn gets
// a context to use for everything inside the transaction.
//
// On SQLite the transaction takes the write lock when it begins (BEGIN
// IMMEDIATE), so every fact fn reads stays true until it commits. On
// PostgreSQL the same guarantee comes from SERIALIZABLE isolation without a
// lock on the database: writers run at once, and a transaction that would
// have seen another's changes is rolled back and fn runs again: up to
// TxAttempts (10) runs in all, after serialization failures, deadlocks, or a
// connection lost before COMMIT was sent (then after waiting up to 20 s for
// the server to answer again); the final error says Tx gave up.
// fn must therefore be re-runnable: it may run more than once, and only its
// last run's effects inside the transaction count; effects outside it
// (files, messages) must wait until Tx returned nil. A lock held by another
// process is waited for, in turn, up to Options.WriteWait; a database file that
// was deleted or replaced since it was opened (the instance was deleted) fails
// with errs.ErrNoInstance before fn runs.
func (db *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if err := db.inOwnTx(ctx); err != nil {
		return err
	}
	if db.readOnly != nil {
		return db.readOnly
	}
	if db.pgCfg != nil {
		return db.pgTx(ctx, fn)
	}
	conn, stx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: stx, db: db}
	committed := false
	defer func() {
		if !committed {
			stx.Rollback()
		}
		conn.Close()
		for q := range tx.local {
			db.stmt(context.WithoutCancel(ctx), q)
		}
	}()
	if fi, err := os.Stat(db.path); err != nil || !os.SameFile(fi, db.ident) {
		return errs.New(errs.ErrNoInstance, "the instance's database %s was deleted or replaced since this command opened it; nothing was changed", db.path)
	}
	if err := fn(context.WithValue(ctx, txKey{}, db), tx); err != nil {
		if ctx.Err() != nil && !errors.Is(err, errs.ErrInterrupted) {
			return errs.Wrap(errs.ErrInterrupted, err, "interrupted; nothing was changed")
		}
		return err
	}
	committed = true
	// SQLite checks deferred foreign keys here; when one fails the
	// transaction stays open, and the driver (modernc) rolls it back.
	if err := stx.Commit(); err != nil {
		return classify(err)
	}
	return nil
}

// begin takes a connection and starts an immediate transaction on it,
// waiting in turn while another process holds the write lock.
func (db *DB) begin(ctx context.Context) (*sql.Conn, *sql.Tx, error) {
	start := time.Now()
	told := false
	for attempt := 0; ; attempt++ {
		conn, err := db.DB.Conn(ctx)
		if err != nil {
			return nil, nil, classify(err)
		}
		stx, err := conn.BeginTx(ctx, nil)
		if err == nil {
			return conn, stx, nil
		}
		conn.Close()
		if !db.Dialect.IsBusy(err) {
			return nil, nil, classify(err)
		}
		waited := time.Since(start)
		if waited > db.opts.WriteWait {
			return nil, nil, errs.Wrap(errs.ErrDatabase, err, "the database %s stayed locked by another process for %s; nothing was changed", db.path, waited.Round(time.Second))
		}
		if !told && waited >= db.opts.BusyTimeout && db.opts.Waiting != nil {
			db.opts.Waiting(waited)
			told = true
		}
		if err := sleepCtx(ctx, backoff(attempt)); err != nil {
			return nil, nil, classify(err)
		}
	}
}
