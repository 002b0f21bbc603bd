package main

import (
	"fmt"

	"github.com/spf13/cobra"

	ln "github.com/lamindb-go/lamindb"
)

func (a *app) initCommand() *cobra.Command {
	var storage, name, db string
	cmd := &cobra.Command{
		Use:   "init --storage DIR [--name N]",
		Short: "create an instance and connect to it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if db != "" {
				return usagef("--db: only the embedded SQLite database is supported so far")
			}
			in, err := ln.Init(cmd.Context(), ln.InitOptions{Options: a.options(), Storage: storage, Name: name})
			if err != nil {
				return err
			}
			return in.Close()
		},
	}
	cmd.Flags().StringVar(&storage, "storage", ".", "root folder of the default storage location")
	cmd.Flags().StringVar(&name, "name", "", "instance name (default: the folder's name, lower-cased)")
	cmd.Flags().StringVar(&db, "db", "", "database URL (postgresql://…; not yet supported)")
	return cmd
}

func (a *app) connectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "connect NAME",
		Short: "make an instance the current one",
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
					"id": is.ID, "user": user.Handle, "settings": s.Dir})
			}
			fmt.Fprintf(a.stdout, "Instance: %s\n - branch: main\n - space: all\nDetails:\n - storage root: %s\n - db: %s/.lamindb/lamin.db\nSettings:\n - user settings: %s\nUser: %s\n",
				is.Slug(), is.StorageRoot, is.StorageRoot, s.Dir, user.Handle)
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
	var repair, asJSON bool
	cmd := &cobra.Command{
		Use:   "check [--repair]",
		Short: "consistency: rows without bytes, managed files without rows, stale marks, pending purges",
		Args:  cobra.NoArgs,
		RunE: a.onInstance(func(cmd *cobra.Command, _ []string, in *ln.Instance) error {
			r, err := in.Check(cmd.Context(), repair)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(r)
			}
			section := func(title string, xs []string) {
				fmt.Fprintf(a.stdout, "%s: %d\n", title, len(xs))
				for _, x := range xs {
					fmt.Fprintf(a.stdout, "  %s\n", x)
				}
			}
			section("rows without bytes", r.MissingBytes)
			section("managed files without rows", r.OrphanFiles)
			section("stale storing marks", r.StaleMarks)
			section("pending purges", r.PendingPurges)
			if repair {
				section("repaired", r.Repaired)
				if len(r.MissingBytes) > 0 {
					return fmt.Errorf("%d artifact rows have no bytes; their metadata is kept", len(r.MissingBytes))
				}
				return nil
			}
			if !r.OK() {
				return fmt.Errorf("inconsistencies found; run `lamin check --repair`")
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&repair, "repair", false, "finish crashed saves and purges, remove managed files without rows")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) logCommand() *cobra.Command {
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "log [--limit N] [--json]",
		Short: "the audit log: who trashed, restored, purged, locked what, newest first",
		Args:  cobra.NoArgs,
		RunE: a.onInstance(func(cmd *cobra.Command, _ []string, in *ln.Instance) error {
			evs, err := in.AuditLog(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(evs)
			}
			rows := make([][]string, len(evs))
			for i, e := range evs {
				rows[i] = []string{fmt.Sprint(e.ID), e.CreatedAt, e.User, e.Action, e.Registry, e.UID, ptrText(e.From), ptrText(e.To), ptrText(e.Bytes)}
			}
			printTable(a.stdout, []string{"id", "created_at", "user", "action", "registry", "uid", "from_branch_id", "to_branch_id", "bytes"}, rows)
			return nil
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "number of events (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func ptrText(p *int64) string {
	if p == nil {
		return "None"
	}
	return fmt.Sprint(*p)
}
