// Command lamin is lamindb's command line: instances, artifacts, queries and
// the record lifecycle (trash, restore, permanent delete) on the embedded
// default (SQLite + a local folder).
//
// Exit codes: 0 ok · 1 failure (I/O, storage, database, bytes a purge left
// behind and will retry) · 2 usage or invalid input · 3 not found (instance,
// record, path, no instance connected) · 4 refused (protected, locked, not
// empty, foreign storage) · 5 cancelled at a prompt.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
