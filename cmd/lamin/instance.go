package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/spf13/cobra"

	ln "github.com/lamindb-go/lamindb"
)

func (a *app) initCommand() *cobra.Command {
	var storage, name, db string
	cmd := &cobra.Command{
		Use:   "init --storage DIR [--name N] [--db postgresql://…]",
		Short: "create an instance and connect to it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := ln.Init(cmd.Context(), ln.InitOptions{Options: a.options(), Storage: storage, Name: name, DB: db})
			if err != nil {
				return err
			}
			return in.Close()
		},
	}
	cmd.Flags().StringVar(&storage, "storage", ".", "root folder of the default storage location")
	cmd.Flags().StringVar(&name, "name", "", "instance name (default: the folder's name, lower-cased)")
	cmd.Flags().StringVar(&db, "db", "", "PostgreSQL database for the metadata (postgresql://user@host:port/dbname; its password from PGPASSWORD or ~/.pgpass); default: SQLite in the storage")
	return cmd
}

func (a *app) connectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "connect NAME|PATH",
		Short: "make an instance the current one (PATH: a storage root holding an instance, wherever it moved, or s3://bucket[/prefix])",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := ln.Connect(cmd.Context(), args[0], a.options())
			if err != nil {
				return err
			}
			return in.Close()
		},
	}
}

func (a *app) disconnectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "disconnect",
		Short: "forget the current instance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ln.DefaultSettings().Disconnect()
		},
	}
}

func (a *app) infoCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info [--json]",
		Short: "show the current instance and user",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := ln.DefaultSettings()
			is, err := s.Current()
			if err != nil {
				return err
			}
			user, _ := s.User()
			if asJSON {
				return a.printJSON(map[string]string{"instance": is.Slug(), "storage_root": is.StorageRoot,
					"db": is.DBLocation(), "id": is.ID, "user": user.Handle, "settings": s.Dir})
			}
			fmt.Fprintf(a.stdout, "Instance: %s\n - branch: main\n - space: all\nDetails:\n - storage root: %s\n - db: %s\nSettings:\n - user settings: %s\nUser: %s\n",
				is.Slug(), is.StorageRoot, is.DBLocation(), s.Dir, user.Handle)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) loginCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "login HANDLE",
		Short: "set the acting user (offline)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := ln.DefaultSettings().Login(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "→ logged in with handle %s (uid: %s)\n", u.Handle, u.UID)
			return nil
		},
	}
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "act as the anonymous user again",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return ln.DefaultSettings().Logout() },
	}
}

func (a *app) settingsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "instance settings",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "storage ROOT",
		Short: "switch the instance's default storage location",
		Args:  cobra.ExactArgs(1),
		RunE: a.onInstance(func(cmd *cobra.Command, args []string, in *ln.Instance) error {
			return in.SetDefaultStorage(cmd.Context(), args[0])
		}),
	})
	return cmd
}

func (a *app) checkCommand() *cobra.Command {
	var o ln.CheckOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check [--repair] [--deep] [--grace DUR] [--empty-quarantine]",
		Short: "consistency: rows without bytes, sizes (hashes with --deep), the database, managed files without rows, unfinished saves and purges",
		Long: `lamin check compares every artifact's row with its bytes (existence and size; with --deep the
hash), runs the database's own quick_check, and lists managed files no row claims, saves and purges that
a crashed process left unfinished, and what earlier repairs quarantined. It exits 1 when anything is
inconsistent (quarantined files are not).

--repair finishes or undoes crashed saves, finishes crashed purges, and moves managed files that no row
claims into .lamindb/.quarantine/ once they are older than --grace (default 1h): a younger one may be a
save in flight. Nothing is deleted; rows without bytes are kept (their metadata may be all that is left).
--empty-quarantine deletes what is in the quarantine.`,
		Args: cobra.NoArgs,
		RunE: a.onInstance(func(cmd *cobra.Command, _ []string, in *ln.Instance) error {
			if o.Grace == 0 {
				o.Grace = ln.NoGrace
			} else if o.Grace < 0 {
				return usagef("--grace must not be negative")
			}
			r, err := in.Check(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				if err := a.printJSON(r); err != nil {
					return err
				}
			} else {
				a.printCheck(r, o)
			}
			if !r.OK() {
				if o.Repair {
					return ln.ErrorOf(ln.ErrFailure, "inconsistencies remain after the repair (see above)")
				}
				return ln.ErrorOf(ln.ErrFailure, "inconsistencies found; see above, and `lamin check --repair`")
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&o.Repair, "repair", false, "finish crashed saves and purges, quarantine managed files without rows")
	cmd.Flags().BoolVar(&o.Deep, "deep", false, "also recompute every artifact's hash from its bytes")
	cmd.Flags().DurationVar(&o.Grace, "grace", ln.DefaultGrace, "with --repair: leave files younger than this alone")
	cmd.Flags().BoolVar(&o.EmptyQuarantine, "empty-quarantine", false, "delete what earlier repairs quarantined")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printCheck prints a check report section by section.
func (a *app) printCheck(r *ln.CheckReport, o ln.CheckOptions) {
	section := func(title string, xs []string) {
		fmt.Fprintf(a.stdout, "%s: %d\n", title, len(xs))
		for _, x := range xs {
			fmt.Fprintf(a.stdout, "  %s\n", x)
		}
	}
	sections := func(r *ln.CheckReport) {
		section("rows without bytes", r.MissingBytes)
		section("bytes of the wrong size", r.WrongSize)
		if o.Deep {
			section("bytes with the wrong hash", r.WrongHash)
		}
		section("managed files without rows", r.OrphanFiles)
		section("stale storing marks", r.StaleMarks)
		section("pending purges", r.PendingPurges)
		section("database problems", r.Database)
		if len(r.Quarantined) > 0 {
			section("quarantined (not an error; --empty-quarantine deletes them)", r.Quarantined)
		}
	}
	sections(r)
	if o.Repair || o.EmptyQuarantine {
		section("repaired", r.Repaired)
	}
	if r.Remaining != nil {
		fmt.Fprintln(a.stdout, "after the repair:")
		sections(r.Remaining)
	}
}

func (a *app) logCommand() *cobra.Command {
	var limit int
	var asJSON, asCSV bool
	cmd := &cobra.Command{
		Use:   "log [--limit N] [--json|--csv]",
		Short: "the audit log: who trashed, restored, purged, locked, updated what, newest first",
		Args:  cobra.NoArgs,
		RunE: a.onInstance(func(cmd *cobra.Command, _ []string, in *ln.Instance) (err error) {
			if limit < 0 {
				return usagef("--limit must not be negative")
			}
			w := bufio.NewWriterSize(a.stdout, 64<<10)
			// A full disk or a closed pipe must not exit 0.
			defer func() { err = errors.Join(err, w.Flush()) }()
			header := []string{"id", "created_at", "user", "action", "registry", "uid", "from_branch_id", "to_branch_id", "bytes"}
			row := func(e ln.AuditEvent) []string {
				return []string{fmt.Sprint(e.ID), e.CreatedAt, e.User, e.Action, e.Registry, e.UID, ptrText(e.From), ptrText(e.To), ptrText(e.Bytes)}
			}
			events := in.AuditEvents(cmd.Context(), limit)
			switch {
			case asJSON:
				return streamJSON(w, events)
			case asCSV:
				cw := csv.NewWriter(w)
				cw.Write(header)
				for e, err := range events {
					if err != nil {
						return err
					}
					cw.Write(row(e))
				}
				cw.Flush()
				return cw.Error()
			}
			return streamTable(w, header, func(yield func([]string, error) bool) {
				for e, err := range events {
					if !yield(row(e), err) {
						return
					}
				}
			})
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "number of events (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "print CSV with a header row")
	cmd.MarkFlagsMutuallyExclusive("json", "csv")
	return cmd
}

// streamJSON writes a JSON array one element at a time: a long audit log is
// never held in memory. Its bytes are printJSON's for the same array.
func streamJSON[T any](w io.Writer, seq iter.Seq2[T, error]) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false) // as printJSON: keys and descriptions stay readable
	io.WriteString(w, "[")
	n := 0
	for v, err := range seq {
		if err != nil {
			return err
		}
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		if n > 0 {
			io.WriteString(w, ",")
		}
		io.WriteString(w, "\n  ")
		w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		n++
	}
	if n > 0 {
		io.WriteString(w, "\n")
	}
	_, err := io.WriteString(w, "]\n")
	return err
}

func ptrText(p *int64) string {
	if p == nil {
		return "None"
	}
	return fmt.Sprint(*p)
}
