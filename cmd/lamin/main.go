// Command lamin is lamindb's command line: instances, artifacts, queries and
// the record lifecycle (trash, restore, permanent delete) on the embedded
// default (SQLite + a local folder).
//
// Exit codes: 0 ok · 1 failure (I/O, storage, database, bytes a purge left
// behind and will retry) · 2 usage or invalid input · 3 not found (instance,
// record, path, no instance connected) · 4 refused (protected, locked, not
// empty, foreign storage, changed since you were asked) · 5 cancelled at a
// prompt (also Ctrl-C there) · 130 interrupted (Ctrl-C during work).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C stops the work cleanly; a second one kills at once
		// (the next open repairs what that cuts off).
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
