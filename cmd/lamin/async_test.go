package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a lamin process running in the background, so a test can act while
// it waits at a question or at a fault point.
type proc struct {
	t      *testing.T
	args   []string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout syncBuffer
	stderr syncBuffer
	done   chan error
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs lamin in the background with a pipe for its stdin.
func (e *env) start(extraEnv []string, args ...string) *proc {
	e.t.Helper()
	p := &proc{t: e.t, args: args, done: make(chan error, 1)}
	p.cmd = exec.Command(laminBin, args...)
	p.cmd.Dir = e.dir
	p.cmd.Env = e.environ(extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		e.t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		e.t.Fatalf("start lamin %v: %v", args, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	e.t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
	})
	return p
}

// waitFor waits until the process printed sub on stderr, or failed the test.
func (p *proc) waitFor(sub string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.stderr.String(), sub) {
		if time.Now().After(deadline) {
			p.t.Fatalf("lamin %v: no %q on stderr after 20s; stderr:\n%s", p.args, sub, p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// answer writes a line to the process's stdin.
func (p *proc) answer(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatal(err)
	}
}

// signal sends sig to the process.
func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to end and returns what it did.
func (p *proc) wait() result {
	p.t.Helper()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		p.t.Fatalf("lamin %v: still running after 30s\nstderr: %s", p.args, p.stderr.String())
	}
	r := result{args: p.args, stdout: p.stdout.String(), stderr: p.stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal()
		}
	} else if err != nil {
		p.t.Fatal(err)
	}
	return r
}

// held is a lamin process waiting at a fault point until released.
type held struct {
	*proc
	gate string
}

// holdAt starts lamin with args and returns once it waits at the fault point
// (LAMIN_FAULT=point:wait=GATE), so the test can act at that very step.
func (e *env) holdAt(point string, args ...string) *held {
	e.t.Helper()
	f, err := os.CreateTemp(e.dir, "gate-")
	if err != nil {
		e.t.Fatal(err)
	}
	f.Close()
	gate := f.Name()
	os.Remove(gate) // a name no other hold uses; the process waits until it exists
	p := e.start([]string{"LAMIN_FAULT=" + point + ":wait=" + gate}, args...)
	waitFile(e.t, gate+".reached")
	return &held{p, gate}
}

// release lets a held process go on.
func (h *held) release() {
	if err := os.WriteFile(h.gate, nil, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// killAt runs lamin with args and checks it was killed (SIGKILL) at the
// fault point.
func (e *env) killAt(point string, args ...string) result {
	e.t.Helper()
	r := e.exec([]string{"LAMIN_FAULT=" + point}, "", args...)
	if r.signal != syscall.SIGKILL {
		e.t.Fatalf("want the process killed by SIGKILL at %s, got:\n%s", point, r)
	}
	return r
}
