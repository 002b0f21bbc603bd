// Command lamin-bench times the lamindb library's artifact lifecycle (init,
// save, list, filter, count, get, trash, restore, purge, delete instance) and
// the `lamin info` start-up against the reference figures of Python lamindb
// 2.9.1; with --scale it measures how queries grow with the instance size and
// with --hash how fast digest.File hashes compared with a bare hash.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "lamin-bench:", err)
		os.Exit(1)
	}
}
