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
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the variable naming the test server (a postgres:// URL of a
// superuser, or one allowed to create databases).
const EnvDSN = "LAMIN_TEST_POSTGRES"

// Server returns the test server's DSN, or skips (fails under
// LAMIN_TEST_REQUIRE_SERVICES=1) when there is none.
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
