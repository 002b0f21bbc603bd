// Package pgtest gives tests a fresh PostgreSQL database on the test server
// that scripts/start-postgres starts:
//
//	eval "$(scripts/start-postgres /tmp/pg)"   # sets LAMIN_TEST_POSTGRES, PGPASSWORD
//	go test ./...
//
// Without LAMIN_TEST_POSTGRES the tests that need it skip, unless
// LAMIN_TEST_REQUIRE_SERVICES=1 (CI): then they fail, so that a missing
// server is never mistaken for a passing suite.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// EnvDSN is the variable naming the test server (a postgres:// URL of a
// superuser, or one allowed to create databases).
const EnvDSN = "LAMIN_TEST_POSTGRES"

// Server returns the test server's DSN, or skips (fails under
// LAMIN_TEST_REQUIRE_SERVICES=1) when there is none. Like t.Skip, call it
// (and NewDatabase, NewInstance) from the test's goroutine.
func Server(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("LAMIN_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s is not set and LAMIN_TEST_REQUIRE_SERVICES=1: start the server with eval \"$(scripts/start-postgres DIR)\"", EnvDSN)
		}
		t.Skipf("no PostgreSQL test server (%s unset; see scripts/start-postgres)", EnvDSN)
	}
	return dsn
}

// NewDatabase creates an empty database with a random name on the test
// server, drops it when the test ends (closing whatever still uses it), and
// returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := Server(t)
	name := "lamin_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin(ctx, server, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, server, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return WithDatabase(server, name)
}

// NewInstance is NewDatabase holding a new instance's schema already
// (lamindb's and ours, as OpenPostgres creates it), for tests that need an
// instance, not its creation: it is cloned (CREATE DATABASE … TEMPLATE, a
// file copy on the server) from a template database that the first test
// to ask makes once per server and schema version, instead of running the
// DDL (0.3 s, seconds on a busy machine) again for every test.
func NewInstance(t testing.TB) string {
	t.Helper()
	server := Server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmpl, err := template(ctx, server)
	if err != nil {
		t.Fatalf("instance template: %v", err)
	}
	name := "lamin_test_" + randomHex(6)
	if err := admin(ctx, server, `CREATE DATABASE `+name+` TEMPLATE `+tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, server, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return WithDatabase(server, name)
}

var templateMu sync.Mutex

// template returns the name of the server's instance template for this
// binary's schema, making it first if needed: under a temporary name, then
// renamed (at once), so that no test clones half a template.
func template(ctx context.Context, server string) (string, error) {
	templateMu.Lock()
	defer templateMu.Unlock()
	name := fmt.Sprintf("lamin_template_v%d_%s", sqldb.Version("postgres"), sqldb.SchemaDigest()[:10])
	c, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	if exists, err := databaseExists(ctx, c, name); err != nil || exists {
		return name, err
	}
	tmp := name + "_" + randomHex(4)
	if _, err := c.Exec(ctx, `CREATE DATABASE `+tmp); err != nil {
		return "", err
	}
	db, err := sqldb.OpenPostgres(ctx, WithDatabase(server, tmp))
	if err == nil {
		err = db.Close()
	}
	if err == nil {
		_, err = c.Exec(ctx, `ALTER DATABASE `+tmp+` RENAME TO `+name)
	}
	if err != nil {
		c.Exec(ctx, `DROP DATABASE IF EXISTS `+tmp+` WITH (FORCE)`)
		if exists, _ := databaseExists(ctx, c, name); exists {
			return name, nil // another process made it meanwhile
		}
		return "", err
	}
	return name, nil
}

func databaseExists(ctx context.Context, c *pgx.Conn, name string) (bool, error) {
	var exists bool
	err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	return exists, err
}

// WithDatabase returns dsn with its database replaced by name.
func WithDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return strings.TrimSpace(dsn) + " dbname=" + name // libpq: the last one wins
}

// admin runs one statement on the server's maintenance database.
func admin(ctx context.Context, server, stmt string) error {
	c, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, stmt)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
