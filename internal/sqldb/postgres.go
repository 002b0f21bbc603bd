package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/lamindb-go/lamindb/internal/errs"
)

// PostgreSQL instances (team scale). Each instance owns one database, its
// tables in the schema public; one server holds many instances, and many
// processes share one. The schema is lamindb 2.9.1's exactly (the pg_dump in
// schema/lamindb-2.9.1-postgresql.sql, CHECK functions and triggers
// included), so a database Python lamindb made opens here and the other way
// round; our lamin_ tables sit beside it (schema/lamin-postgresql.sql).
//
// Unlike SQLite, many writers run at once: Tx runs SERIALIZABLE transactions
// and re-runs those the server rolled back for a conflict (see Tx). Only
// creating the schema takes a lock for itself (a transaction-scoped advisory
// lock), so that processes opening one new database at once create it once.

// Postgres is the dialect of PostgreSQL 15 and later.
type Postgres struct{}

// Name returns "postgres".
func (Postgres) Name() string { return "postgres" }

// IsBusy reports a lock that could not be had in time (55P03, with a
// lock_timeout) or a server out of connection slots (53300): the statement
// did nothing and can run again.
func (Postgres) IsBusy(err error) bool {
	c := pgCode(err)
	return c == "55P03" || c == "53300"
}

// IsRetryable reports a serialization failure (40001) or a deadlock
// (40P01): the server rolled the transaction back, and running it again
// from the start may succeed. So may a statement prepared before another
// program (lamindb migrating) changed a table it reads: pgx forgets the
// statement on "cached plan must not change result type" (0A000).
func (Postgres) IsRetryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan")
}

// ByteRange uses the pattern operators ~>=~ and ~<~, which compare bytes
// whatever the collation, and which lamindb's varchar_pattern_ops indexes
// (uid, key, …) serve, also for generic plans of prepared statements (a
// LIKE with a parameter cannot use them there).
func (Postgres) ByteRange(col, lo, hi string) string {
	// The pattern operators bind no tighter than ||: the bounds get
	// parentheses.
	return "(" + col + " ~>=~ (" + lo + ") AND " + col + " ~<~ (" + hi + "))"
}

// Upsert is INSERT … ON CONFLICT (key) DO UPDATE of the other columns.
func (Postgres) Upsert(table string, key, cols []string, source string) string {
	var set []string
	for _, c := range cols {
		if !containsString(key, c) {
			set = append(set, c+" = EXCLUDED."+c)
		}
	}
	action := "DO NOTHING"
	if len(set) > 0 {
		action = "DO UPDATE SET " + strings.Join(set, ", ")
	}
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") " + upsertSource(cols, source) +
		" ON CONFLICT (" + strings.Join(key, ", ") + ") " + action
}

// ForUpdate locks the rows a SELECT read until the transaction ends; a
// concurrent writer of one of them waits (or, under SERIALIZABLE, one of
// the two is rolled back and Tx runs it again).
func (Postgres) ForUpdate() string { return " FOR UPDATE" }

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// bootstrapLock is the advisory lock key under which a process creates or
// adopts an instance's schema: "lamin" in ASCII. It is held by the creating
// transaction only (pg_advisory_xact_lock), never by normal writes.
const bootstrapLock = 0x6c616d696e

// OpenPostgres opens the instance in the PostgreSQL database dsn names (a
// postgres:// URL or libpq's key=value form). Passwords come from the DSN,
// or, as libpq does it, from PGPASSWORD or the password file (~/.pgpass or
// PGPASSFILE); so do the other PG* variables. Every session runs in UTC
// (times given as text are UTC, as the root package writes them), with
// search_path public unless the DSN says otherwise, and ends a transaction
// left idle for 5 minutes (a hung process must not hold its locks forever).
//
// An empty database gets lamindb 2.9.1's schema and our tables; one that
// Python lamindb made gets our tables, in one transaction that leaves its
// rows alone; either happens once when several processes open a new
// database at once. A database whose lamindb migrations are not the ones we
// know, or whose schema version of ours is newer, opens read-only
// (LamindbNotice says why). With Options.ReadOnly nothing is created, every
// write is refused, and the sessions are read-only on the server too.
func OpenPostgres(ctx context.Context, dsn string, o ...Options) (*DB, error) {
	var opts Options
	if len(o) > 0 {
		opts = o[0]
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.WriteWait <= 0 {
		opts.WriteWait = 10 * time.Minute
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errs.New(errs.ErrInvalid, "invalid PostgreSQL address %s: %s", RedactDSN(dsn), scrub(err.Error(), dsn))
	}
	if cfg.ConnectTimeout == 0 {
		// An unreachable host (packets dropped) must not hang a command:
		// libpq waits forever by default.
		cfg.ConnectTimeout = 10 * time.Second
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	for k, v := range map[string]string{
		"application_name": "lamin",
		// lamindb's tables are in public whatever the role's default.
		"search_path": "public",
		// A process that hangs (stopped, swapped out) inside a transaction
		// would hold its row locks forever: the server ends such a session
		// after a while (no transaction of ours waits for a person).
		"idle_in_transaction_session_timeout": "300000",
	} {
		if cfg.RuntimeParams[k] == "" {
			cfg.RuntimeParams[k] = v
		}
	}
	db := &DB{Dialect: Postgres{}, opts: opts, pgCfg: cfg, path: where(cfg)}
	if opts.ReadOnly {
		db.readOnly = errs.New(errs.ErrReadOnly, "this command only reads the instance (internal error: it tried to write)")
		db.standIns.Store(true)
	}
	if err := db.pgConnect(ctx); err != nil {
		return nil, err
	}
	if err := db.checkVersionPG(ctx); err != nil {
		db.DB.Close()
		return nil, err
	}
	return db, nil
}

// where names the database in messages: user@host:port/database, never
// the password.
func where(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// pgConnect opens the connection pool and checks that the server answers.
func (db *DB) pgConnect(ctx context.Context) error {
	connector := stdlib.GetConnector(*db.pgCfg, stdlib.OptionAfterConnect(db.afterConnect))
	sdb := sql.OpenDB(connector)
	// Connections are cheap to keep and dear to make (TLS, auth): keep a
	// few; the server's max_connections is shared by every process.
	conns := db.opts.MaxConns
	if conns <= 0 {
		conns = 16
	}
	sdb.SetMaxOpenConns(conns)
	sdb.SetMaxIdleConns(4)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return db.connectError(err)
	}
	db.DB = sdb
	return nil
}

// afterConnect prepares each new session: a read-only open gets empty
// stand-ins (temporary tables) for our tables that a database Python
// lamindb made lacks, so that reading them finds nothing instead of
// failing, and then refuses writes on the server too.
func (db *DB) afterConnect(ctx context.Context, c *pgx.Conn) error {
	if !db.standIns.Load() {
		return nil
	}
	for _, table := range laminTables(Postgres{}.Name()) {
		var exists bool
		if err := c.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+table).Scan(&exists); err != nil {
			return err
		}
		if exists {
			continue
		}
		for _, st := range laminTableDDL(Postgres{}.Name(), table) {
			st = strings.Replace(st, "CREATE TABLE ", "CREATE TEMP TABLE ", 1)
			if _, err := c.Exec(ctx, st); err != nil {
				return err
			}
		}
	}
	if db.opts.ReadOnly {
		_, err := c.Exec(ctx, `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`)
		return err
	}
	return nil
}

// connectError says why the server could not be reached or refused us.
func (db *DB) connectError(err error) error {
	c := classify(err)
	var ee *errs.Error
	if errors.As(c, &ee) && ee.Msg != "" {
		ee.Msg = strings.TrimSuffix(ee.Msg, ".") + " (" + db.path + ")"
		return ee
	}
	return errs.Wrap(errs.ErrDatabase, err, "cannot open the PostgreSQL database %s: %v", db.path, scrubErr(err, db.pgCfg.Password))
}

// pgShape reads which tables the database's schema public has and its
// newest lamindb migration.
func pgShape(ctx context.Context, q execer) (dbShape, bool, error) {
	var s dbShape
	var tables, branch, django, ours int
	rows, err := q.QueryContext(ctx, `SELECT count(*), count(*) FILTER (WHERE relname = 'lamindb_branch'),
		count(*) FILTER (WHERE relname = 'django_migrations'), count(*) FILTER (WHERE relname = $1)
		FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')`, VersionTable)
	if err != nil {
		return s, false, err
	}
	for rows.Next() {
		err = rows.Scan(&tables, &branch, &django, &ours)
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return s, false, err
	}
	s.empty, s.lamindb, s.django = tables == 0, branch > 0, django > 0
	if s.django {
		var newest sql.NullString
		if err := queryRow(ctx, q, `SELECT max(name) FROM public.django_migrations WHERE app = 'lamindb'`).Scan(&newest); err != nil {
			return s, false, err
		}
		s.newest = newest.String
	}
	return s, ours > 0, nil
}

// queryRow is QueryRowContext on an execer.
func queryRow(ctx context.Context, q execer, query string, args ...any) *Row {
	rows, err := q.QueryContext(ctx, query, args...)
	return &Row{rows: rows, err: err}
}

// pgVersion returns our schema version (0 when our version table is missing).
func pgVersion(ctx context.Context, q execer, ours bool) (int64, error) {
	if !ours {
		return 0, nil
	}
	var have sql.NullInt64
	err := queryRow(ctx, q, `SELECT max(version_id) FROM public.`+VersionTable+` WHERE is_applied`).Scan(&have)
	return have.Int64, err
}

// checkVersionPG creates, adopts or migrates the schema as OpenPostgres says.
func (db *DB) checkVersionPG(ctx context.Context) error {
	want := Version(db.Dialect.Name())
	sh, ours, err := pgShape(ctx, db.DB)
	if err == nil && !ours && !sh.empty && !sh.lamindb {
		return errs.New(errs.ErrNotFound, "the PostgreSQL database %s is not a lamindb instance (it has tables, but no lamindb_branch)", db.path)
	}
	var have int64
	if err == nil {
		have, err = pgVersion(ctx, db.DB, ours)
	}
	if err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "read the schema of %s: %v", db.path, classify(err))
	}
	if err := db.checkLamindb(sh); err != nil {
		return err
	}
	switch {
	case have > want:
		db.readOnly = errs.New(errs.ErrReadOnly, "the database %s has schema version %d, newer than this lamin knows (%d): it can be read, not changed; upgrade lamin to write to it", db.path, have, want)
		return nil
	case have == want:
		return nil
	case have == 0 && sh.empty && db.opts.ReadOnly:
		return errs.New(errs.ErrNotFound, "the PostgreSQL database %s is empty: not a lamindb instance", db.path)
	case have == 0 && db.readOnly != nil:
		// Made by Python lamindb and opened read-only (by choice, or for
		// lamindb's migrations): our tables cannot be added; the sessions
		// get empty stand-ins instead.
		if !db.standIns.Swap(true) {
			db.DB.Close()
			return db.pgConnect(ctx)
		}
		return nil
	case db.readOnly != nil:
		db.stale = have
		return nil
	case have == 0:
		return db.bootstrapPG(ctx)
	}
	return db.migratePG(ctx)
}

// bootstrapPG creates lamindb's schema in an empty database, and our tables
// in one lamindb's schema is in, in one transaction under the bootstrap
// lock: a second process that opened the same new database waits for the
// first to commit, then finds the schema there (each statement of a READ
// COMMITTED transaction sees what committed before it) and does nothing.
// A process killed half-way leaves nothing: DDL is transactional here.
func (db *DB) bootstrapPG(ctx context.Context) error {
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(bootstrapLock)); err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "lock %s to create its schema: %v", db.path, classify(err))
	}
	sh, ours, err := pgShape(ctx, tx)
	if err != nil {
		return classify(err)
	}
	if ours {
		return nil // another process created it while we waited
	}
	if !sh.empty && !sh.lamindb {
		return errs.New(errs.ErrNotFound, "the PostgreSQL database %s is not a lamindb instance (it has tables, but no lamindb_branch)", db.path)
	}
	if sh.empty {
		if err := createLamindbPG(ctx, tx); err != nil {
			return errs.Wrap(errs.ErrDatabase, err, "create lamindb's schema in %s: %v", db.path, classify(err))
		}
	}
	if err := createLaminPG(ctx, tx); err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "create lamin's tables in %s: %v", db.path, classify(err))
	}
	return classify(tx.Commit())
}

// migratePG applies our migrations newer than the database's, under goose's
// session lock so that two processes do not both apply one.
func (db *DB) migratePG(ctx context.Context) error {
	sub, err := fs.Sub(migrations, path.Join("migrations", db.Dialect.Name()))
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, sub, goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(VersionTable), goose.WithSessionLocker(locker), goose.WithGoMigrations(goMigrations(db.Dialect.Name())...))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return errs.Wrap(errs.ErrDatabase, err, "migrate the schema of %s: %v", db.path, classify(err))
	}
	return nil
}

// lamindbPGDDL returns lamindb's DDL from the reference pg_dump: its first
// section, without psql's meta-commands (\restrict) and with its session
// settings made local to the transaction that runs it.
func lamindbPGDDL() string {
	b, err := fs.ReadFile(schemaFS, "schema/lamindb-2.9.1-postgresql.sql")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	s := string(b)
	start := strings.Index(s, "\n\\restrict ")
	end := strings.Index(s, "\n\\unrestrict ")
	if start < 0 || end < start {
		panic("schema/lamindb-2.9.1-postgresql.sql: no DDL section")
	}
	var out strings.Builder
	for _, line := range strings.Split(s[start+1:end], "\n") {
		switch {
		case strings.HasPrefix(line, `\`):
			continue
		case strings.HasPrefix(line, "SET "):
			line = "SET LOCAL " + strings.TrimPrefix(line, "SET ")
		case strings.HasPrefix(line, "SELECT pg_catalog.set_config("):
			line = strings.Replace(line, ", false)", ", true)", 1)
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.String()
}

// pgFunctions are the functions lamindb's DDL creates (CHECK functions and
// trigger functions), which dropping an instance removes.
var pgFunctions = regexp.MustCompile(`(?m)^CREATE FUNCTION public\.(\w+)\(([^)]*)\)`)

// createLamindbPG runs lamindb's DDL and writes its django_migrations rows.
// The DDL goes to the server as one simple-protocol message (no
// parameters), so its ~3000 statements cost one round trip.
func createLamindbPG(ctx context.Context, tx *sql.Tx) error {
	var searchPath string
	if err := tx.QueryRowContext(ctx, `SELECT current_setting('search_path')`).Scan(&searchPath); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, lamindbPGDDL()); err != nil {
		return err
	}
	// The dump empties search_path for its own statements; ours need it back.
	if _, err := tx.ExecContext(ctx, `SELECT set_config('search_path', $1, true)`, searchPath); err != nil {
		return err
	}
	for _, name := range lamindbMigrations {
		if _, err := tx.ExecContext(ctx, `INSERT INTO public.django_migrations (app, name, applied) VALUES ('lamindb', $1, clock_timestamp())`, name); err != nil {
			return err
		}
	}
	return nil
}

// createLaminPG creates our tables and records our version in goose's own
// layout for PostgreSQL, every migration stamped as applied.
func createLaminPG(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(ctx, tx, laminDDL(Postgres{}.Name())); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE public.`+VersionTable+` (
		id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
		version_id bigint NOT NULL,
		is_applied boolean NOT NULL,
		tstamp timestamp NOT NULL DEFAULT now()
	)`); err != nil {
		return err
	}
	for v := int64(0); v <= Version(Postgres{}.Name()); v++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO public.`+VersionTable+` (version_id, is_applied) VALUES ($1, true)`, v); err != nil {
			return err
		}
	}
	return nil
}

// DropInstance removes the instance from its PostgreSQL database: lamindb's
// tables (their triggers, CHECK constraints and identity sequences go with
// them), its functions, django_migrations, and our tables. The database
// itself stays (it may hold other things, and dropping it needs rights an
// instance's user rarely has); so do tables of other modules (bionty_…),
// whose foreign keys to lamindb's tables are dropped. It runs in one
// transaction under the bootstrap lock, so a process creating the schema
// meanwhile waits. SQLite instances are deleted with their file instead.
func (db *DB) DropInstance(ctx context.Context) error {
	if db.Dialect.Name() != "postgres" {
		return errs.New(errs.ErrInvalid, "DropInstance is for PostgreSQL instances; a SQLite instance is deleted with its file")
	}
	if db.readOnly != nil {
		return db.readOnly
	}
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback()
	if err := db.dropInstance(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return classify(err)
	}
	db.forgetStatements()
	return nil
}

// DropInstance is DB.DropInstance inside the transaction, so that what the
// transaction checked before (no save landed meanwhile) holds when the
// tables go; they go when it commits.
func (tx *Tx) DropInstance(ctx context.Context) error {
	if tx.db.Dialect.Name() != "postgres" {
		return errs.New(errs.ErrInvalid, "DropInstance is for PostgreSQL instances; a SQLite instance is deleted with its file")
	}
	if err := tx.db.dropInstance(ctx, tx.Tx); err != nil {
		return err
	}
	tx.db.forgetStatements()
	return nil
}

// forgetStatements closes the prepared statements, which name dropped tables.
func (db *DB) forgetStatements() {
	db.mu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = nil
	db.mu.Unlock()
}

func (db *DB) dropInstance(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(bootstrapLock)); err != nil {
		return classify(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT relname FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace
		AND relkind IN ('r', 'p') AND (relname LIKE 'lamindb\_%' OR relname LIKE 'lamin\_%' OR relname IN ('django_migrations', 'goose_db_version'))
		ORDER BY relname`)
	if err != nil {
		return classify(err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return classify(err)
		}
		tables = append(tables, `public."`+t+`"`)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	if len(tables) > 0 {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+strings.Join(tables, ", ")+` CASCADE`); err != nil {
			return errs.Wrap(errs.ErrDatabase, err, "drop the instance's tables in %s: %v", db.path, classify(err))
		}
	}
	for _, m := range pgFunctions.FindAllStringSubmatch(lamindbPGDDL(), -1) {
		var types []string
		for _, arg := range strings.Split(m[2], ",") {
			if f := strings.Fields(arg); len(f) >= 2 {
				types = append(types, strings.Join(f[1:], " "))
			}
		}
		if _, err := tx.ExecContext(ctx, `DROP FUNCTION IF EXISTS public.`+m[1]+`(`+strings.Join(types, ", ")+`) CASCADE`); err != nil {
			return errs.Wrap(errs.ErrDatabase, err, "drop the instance's functions in %s: %v", db.path, classify(err))
		}
	}
	return nil
}

// RedactDSN returns dsn with its password (URL user info, a password
// parameter, or libpq's password=… keyword) replaced by "xxxxx", for
// messages and logs.
func RedactDSN(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return redactKeywords.ReplaceAllString(redactURLUser.ReplaceAllString(dsn, "$1:xxxxx@"), "${1}xxxxx")
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return redactKeywords.ReplaceAllString(dsn, "${1}xxxxx")
}

var (
	redactURLUser  = regexp.MustCompile(`^(postgres(?:ql)?://[^:@/]*):[^@/]*@`)
	redactKeywords = regexp.MustCompile(`((?:^|[\s&?])(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)
)

// scrub removes dsn's password from a message.
func scrub(msg, dsn string) string {
	if cfg, err := pgconn.ParseConfig(dsn); err == nil && cfg.Password != "" {
		return strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	if u, err := url.Parse(dsn); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// scrubErr is err's message without password.
func scrubErr(err error, password string) string {
	if password == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), password, "xxxxx")
}
