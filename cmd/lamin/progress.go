package main

import (
	"context"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lamindb-go/lamindb/blob"
)

// progressFrom is the size from which a transfer gets a progress bar: small
// files finish before a bar would be seen.
const progressFrom = 8 << 20

// withProgress returns ctx with a progress bar for long transfers (uploads to
// and downloads from object storage) drawn on stderr, when stderr is a
// terminal; elsewhere (scripts, tests) ctx is returned as it is.
func (a *app) withProgress(ctx context.Context) context.Context {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return ctx
	}
	var mu sync.Mutex
	var bar *progressbar.ProgressBar
	var total int64
	return blob.WithProgress(ctx, func(done, n int64) {
		if n < progressFrom {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if bar == nil || n != total {
			if bar != nil {
				bar.Finish()
			}
			total = n
			bar = progressbar.NewOptions64(n, progressbar.OptionSetWriter(f), progressbar.OptionShowBytes(true),
				progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100e6))
		}
		bar.Set64(done)
		if done >= n {
			bar.Finish()
			bar = nil
		}
	})
}
