//go:build laminfault

package fault

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Enabled reports whether fault points are compiled in.
const Enabled = true

type rule struct {
	point  string
	nth    int
	action string
	arg    string
}

var (
	rules = sync.OnceValue(parse)
	mu    sync.Mutex
	hits  = map[string]int{}
)

func parse() []rule {
	var out []rule
	for _, spec := range strings.Split(os.Getenv("LAMIN_FAULT"), ",") {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		r := rule{nth: 1, action: "kill"}
		given := spec
		spec, r.action, _ = strings.Cut(spec, ":")
		if r.action == "" {
			r.action = "kill"
		}
		r.action, r.arg, _ = strings.Cut(r.action, "=")
		r.point = spec
		if p, n, ok := strings.Cut(spec, "@"); ok {
			r.point = p
			if v, err := strconv.Atoi(n); err == nil && v > 0 {
				r.nth = v
			}
		}
		// A misspelt rule would never fire, and a test using it could not fail.
		if !slices.Contains(Points, r.point) && r.point != FS || !slices.Contains([]string{"kill", "fail", "pause", "wait"}, r.action) {
			fmt.Fprintf(os.Stderr, "LAMIN_FAULT: %q names no fault point or action (points: fs, %s)\n", given, strings.Join(Points, ", "))
			os.Exit(70)
		}
		out = append(out, r)
	}
	return out
}

// ErrInjected is what Hit returns for the action "fail".
var ErrInjected = errors.New("fault injected by LAMIN_FAULT")

// Hit is passed at point; see the package comment for what it can do.
func Hit(point string) error {
	rs := rules()
	if len(rs) == 0 {
		return nil
	}
	mu.Lock()
	hits[point]++
	n := hits[point]
	mu.Unlock()
	for _, r := range rs {
		if r.point != point || r.nth != n {
			continue
		}
		switch r.action {
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case "fail":
			return fmt.Errorf("%s: %w", point, ErrInjected)
		case "pause":
			d, _ := time.ParseDuration(r.arg)
			time.Sleep(d)
		case "wait":
			os.WriteFile(r.arg+".reached", nil, 0o644)
			for {
				if _, err := os.Stat(r.arg); err == nil {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	return nil
}
