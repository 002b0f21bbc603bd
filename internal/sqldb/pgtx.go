package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lamindb-go/lamindb/internal/errs"
)

// TxAttempts is how often Tx runs a transaction on PostgreSQL before it
// gives up: the first run and up to 9 re-runs after serialization failures,
// deadlocks, or a connection lost before COMMIT was sent.
const TxAttempts = 10

// reconnectWait is how long Tx waits for a server that went away (a restart,
// a failover) to answer again before it re-runs a transaction cut off by it.
const reconnectWait = 20 * time.Second

// pgTx runs fn in a SERIALIZABLE transaction, up to TxAttempts times:
//   - a serialization failure (40001) or deadlock (40P01), in fn or at
//     COMMIT, means the server rolled everything back: fn runs again after a
//     jittered pause that grows with each attempt;
//   - a connection lost before COMMIT was sent means nothing was committed:
//     Tx waits (up to reconnectWait) for the server to answer again and runs
//     fn again;
//   - a connection lost while COMMIT was on its way cannot say whether the
//     transaction committed: Tx stops and says so instead of guessing.
//
// Any other error of fn or COMMIT ends Tx with it.
func (db *DB) pgTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	var last error
	for attempt := 0; attempt < TxAttempts; attempt++ {
		if attempt > 0 {
			if err := sleepCtx(ctx, jitter(attempt)); err != nil {
				return errs.Wrap(errs.ErrInterrupted, err, "interrupted; nothing was changed")
			}
		}
		again, err := db.pgTxOnce(ctx, fn)
		if err == nil || !again {
			return err
		}
		last = err
		if isConnLost(err) {
			if werr := db.awaitServer(ctx); werr != nil {
				return werr
			}
		}
	}
	return errs.Wrap(errs.ErrDatabase, last, "gave up after %d attempts of a transaction on %s (%v); nothing was changed", TxAttempts, db.path, last)
}

// pgTxOnce runs fn once and reports whether running it again is both safe
// (nothing committed) and worth it.
func (db *DB) pgTxOnce(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) (again bool, err error) {
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		err = classify(err)
		return isConnLost(err), err
	}
	stx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		conn.Close()
		err = classify(err)
		return isConnLost(err), err
	}
	tx := &Tx{Tx: stx, db: db}
	defer func() {
		conn.Close()
		// Statements the transaction prepared for itself are prepared on
		// the pool once it let go of its connection.
		for q := range tx.local {
			db.stmt(context.WithoutCancel(ctx), q)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, db), tx); err != nil {
		stx.Rollback()
		if ctx.Err() != nil && !errors.Is(err, errs.ErrInterrupted) {
			return false, errs.Wrap(errs.ErrInterrupted, err, "interrupted; nothing was changed")
		}
		// fn may have wrapped (or swallowed and replaced) the statement's
		// error; what counts is what it returns.
		return db.Dialect.IsRetryable(err) || isConnLost(err), err
	}
	if err := stx.Commit(); err != nil {
		if db.Dialect.IsRetryable(err) {
			return true, classify(err)
		}
		if pgconn.SafeToRetry(err) {
			// The connection died before COMMIT left: nothing committed.
			return true, classify(err)
		}
		if isConnLost(classify(err)) {
			return false, errs.Wrap(errs.ErrDatabase, err, "the connection to PostgreSQL (%s) was lost while the transaction was committing: it may or may not have been committed; check before trying again", db.path)
		}
		return false, classify(err)
	}
	return false, nil
}

// jitter is the pause before re-running a transaction: random (so that two
// transactions that conflicted do not meet again in step) in a window that
// doubles per attempt, from 10 ms to at most 1 s.
func jitter(attempt int) time.Duration {
	window := min(10*time.Millisecond<<min(attempt, 7), time.Second)
	return window/2 + rand.N(window/2+1)
}

// awaitServer waits until the server answers again, up to reconnectWait.
func (db *DB) awaitServer(ctx context.Context) error {
	deadline := time.Now().Add(reconnectWait)
	for attempt := 0; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := db.DB.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return errs.Wrap(errs.ErrInterrupted, ctx.Err(), "interrupted while waiting for PostgreSQL to come back; nothing was changed")
		}
		if time.Now().After(deadline) {
			return errs.Wrap(errs.ErrDatabase, err, "the connection to PostgreSQL (%s) was lost and the server did not answer again within %s: %v; nothing was changed", db.path, reconnectWait, classify(err))
		}
		if err := sleepCtx(ctx, backoff(attempt)); err != nil {
			return errs.Wrap(errs.ErrInterrupted, err, "interrupted; nothing was changed")
		}
	}
}
