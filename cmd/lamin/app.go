package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	ln "github.com/lamindb-go/lamindb"
)

// app carries what every command shares: the streams and global flags.
type app struct {
	stdin   io.Reader
	lines   chan line // lines read from stdin, by one goroutine started at the first question
	eof     bool      // stdin has ended
	tty     bool      // stdin is a terminal, which echoes the answer and its newline
	stdout  io.Writer
	stderr  io.Writer
	verbose bool
	ctx     context.Context // ends at Ctrl-C
}

// line is one answer read from stdin.
type line struct {
	text string
	err  error
}

// run executes the command line and returns the exit code; it is main without
// os.Exit, so tests run commands in-process too.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, ctx: ctx}
	if f, ok := stdin.(*os.File); ok {
		a.tty = term.IsTerminal(int(f.Fd()))
	}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var re ranError
	var ue usageError
	if !errors.As(err, &re) || errors.As(err, &ue) {
		// Not from a command's body (cobra refused the command line itself:
		// unknown command or flag, wrong arguments, flags that exclude each
		// other), or a body's usage error.
		fmt.Fprintf(stderr, "✗ %v\n", err)
		fmt.Fprintf(stderr, "• see `%s --help`\n", strings.TrimSpace("lamin "+commandPath(root, args)))
		return ln.ExitInvalid
	}
	err = re.err
	code := ln.ExitCode(err)
	if code == ln.ExitInterrupted {
		if msg := err.Error(); msg == "interrupted" || msg == context.Canceled.Error() {
			fmt.Fprintln(stderr, "✗ interrupted")
		} else {
			fmt.Fprintf(stderr, "✗ interrupted: %v\n", err)
		}
		fmt.Fprintln(stderr, "• what was cut off is repaired when the instance is next opened (or by `lamin check --repair`)")
		return code
	}
	fmt.Fprintf(stderr, "✗ %v\n", err)
	if h := ln.Hint(err); h != "" {
		fmt.Fprintf(stderr, "• %s\n", h)
	}
	return code
}

// ranError marks an error returned by a command's body, as opposed to one
// cobra raised while parsing the command line.
type ranError struct{ err error }

func (e ranError) Error() string { return e.err.Error() }
func (e ranError) Unwrap() error { return e.err }

// markRun wraps the body of every command below c so its errors are ranErrors.
func markRun(c *cobra.Command) {
	if body := c.RunE; body != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := body(cmd, args); err != nil {
				return ranError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRun(sub)
	}
}

func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == root {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), "lamin ")
}

// usageError is a command-line mistake (exit 2).
type usageError struct{ msg string }

// Error returns the message.
func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "lamin",
		Short:         "lamindb in Go: a catalog of data artifacts with lineage, versions and a safe trash",
		SilenceUsage:  true,
		SilenceErrors: true,
		Long: `lamin manages lamindb instances: artifacts (files, folders, tables) with metadata in SQLite
and bytes in a local folder, with versions and a record lifecycle: trash → restore → permanent delete.

Exit codes: 0 ok · 1 failure (I/O, storage, database, bytes left by a purge that will be retried)
· 2 usage or invalid input · 3 not found · 4 refused (protected, locked, not empty, foreign storage,
changed since you were asked) · 5 cancelled at a prompt (also Ctrl-C there) · 130 interrupted (Ctrl-C
during work; the next open repairs what was cut off).`,
	}
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "also show success and info messages")
	root.AddCommand(a.initCommand(), a.connectCommand(), a.disconnectCommand(), a.infoCommand(), a.loginCommand(),
		a.logoutCommand(), a.settingsCommand(), a.saveCommand(), a.listCommand(), a.getCommand(), a.deleteCommand(),
		a.restoreCommand(), a.updateCommand(), a.createCommand(), a.loadCommand(), a.checkCommand(), a.logCommand(),
		a.demoCommand())
	markRun(root)
	return root
}

// notify prints lamindb's messages on stderr with its prefixes: → ! • ✗ by
// default, ✓ and info with -v.
func (a *app) notify() ln.Notifier {
	return a.notifyTo(a.stderr)
}

func (a *app) notifyTo(w io.Writer) ln.Notifier {
	return func(l ln.Level, msg string) {
		switch l {
		case ln.LevelSuccess, ln.LevelInfo:
			if !a.verbose {
				return
			}
		}
		fmt.Fprintf(w, "%s %s\n", l.Prefix(), msg)
	}
}

func (a *app) options() ln.Options {
	return ln.Options{Notify: a.notify()}
}

// confirm prints the prompt on stderr and reads one line from stdin, terminal or
// not; only "y" confirms, end of input (or Ctrl-C) cancels.
func (a *app) confirm(prompt string) bool {
	return a.answer(prompt) == "y"
}

// answer puts a question and waits for a line of stdin, or for Ctrl-C (then
// it returns "" and the command's context is done, which the library takes as
// a cancellation). No lock is held while it waits.
func (a *app) answer(prompt string) string {
	fmt.Fprint(a.stderr, prompt)
	if !strings.HasSuffix(prompt, " ") {
		fmt.Fprint(a.stderr, " ")
	}
	if a.eof {
		fmt.Fprintln(a.stderr)
		return "" // end of input answers every later question
	}
	if a.lines == nil {
		a.lines = make(chan line)
		go func() {
			r := bufio.NewReader(a.stdin)
			for {
				s, err := r.ReadString('\n')
				a.lines <- line{s, err}
				if err != nil {
					return
				}
			}
		}()
	}
	select {
	case <-a.ctx.Done():
		fmt.Fprintln(a.stderr)
		return ""
	case l := <-a.lines:
		if !a.tty || (l.err != nil && l.text == "") {
			fmt.Fprintln(a.stderr) // nothing echoed the answer's newline
		}
		if l.err != nil {
			a.eof = true
		}
		return strings.TrimSpace(l.text)
	}
}

// open opens the connected instance; readOnly (for dry runs) migrates,
// repairs and writes nothing.
func (a *app) open(cmd *cobra.Command, readOnly bool) (*ln.Instance, error) {
	o := a.options()
	o.ReadOnly = readOnly
	return ln.Open(cmd.Context(), "", o)
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// onInstance makes a command body that runs on the connected instance, opened
// before and closed after it.
func (a *app) onInstance(fn func(cmd *cobra.Command, args []string, in *ln.Instance) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		in, err := a.open(cmd, false)
		if err != nil {
			return err
		}
		defer in.Close()
		return fn(cmd, args, in)
	}
}

// printRecord prints a record as JSON or, by default, as lamindb's repr.
func (a *app) printRecord(r ln.Record, asJSON bool) error {
	if asJSON {
		return a.printJSON(r)
	}
	fmt.Fprintln(a.stdout, r)
	return nil
}
