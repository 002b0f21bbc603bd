package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/table"
)

func (a *app) demoCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "run lamindb's 'How to delete records?' FAQ (2025) end to end and print each step",
		Long: `demo creates a fresh instance "test-delete" in DIR (default: a new temporary folder, with its own
settings folder, so your connected instance is untouched), saves a two-column table, lists, trashes,
lists the trash, restores, deletes permanently and deletes the instance, printing each step as the FAQ does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				d, err := os.MkdirTemp("", "lamin-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(d)
				dir = d
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			return a.demo(cmd.Context(), dir)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "folder for the demo instance and its settings")
	return cmd
}

// demo follows seeds/000 (lamindb's FAQ, 2025) step by step, with each Python
// call shown next to the lamin command that does the same.
func (a *app) demo(ctx context.Context, dir string) error {
	out := a.stdout
	opts := ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, ".lamin")}, Notify: a.notifyTo(out)}
	step := func(python, cli string) { fmt.Fprintf(out, "\n>>> %s\n$ %s\n", python, cli) }
	say := func(text string) { fmt.Fprintf(out, "\n%s\n", text) }
	fmt.Fprintln(out, "How to delete records?")
	say("Records can be deleted with record.delete(). Artifacts and collections are moved into the trash when you first delete them; a second delete, or permanent=True, deletes them permanently.")
	step("!lamin init --storage test-delete", "lamin init --storage test-delete")
	in, err := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "test-delete")})
	if err != nil {
		return err
	}
	defer in.Close()
	list := func(python, cli string, b ln.Branch, registry string) error {
		step(python, cli)
		q := in.Records(registry)
		if b != ln.DefaultBranch {
			q.Branch(b)
		}
		res, err := q.List(ctx)
		if err != nil {
			return err
		}
		printRecords(out, fieldsOf(q), res.Records)
		return nil
	}
	step(`artifact = ln.Artifact.from_dataframe(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), description="mydf"); artifact.save()`,
		`lamin save df.csv --dataframe --description mydf`)
	tbl, err := table.FromColumns([]string{"a", "b"}, []int64{1, 2}, []int64{3, 4})
	if err != nil {
		return err
	}
	art, err := in.SaveTable(ctx, tbl, ln.SaveOptions{Description: "mydf"})
	tbl.Release()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, art)
	if err := list("ln.Artifact.to_dataframe()", "lamin list artifact", ln.DefaultBranch, "artifact"); err != nil {
		return err
	}
	say("Trash an artifact")
	step("artifact.delete()", "lamin delete artifact --uid "+art.UID)
	if _, err := in.Artifacts().UID(art.UID).Delete(ctx, ln.DeleteOptions{}); err != nil {
		return err
	}
	say("No longer visible:")
	if err := list("ln.Artifact.to_dataframe()", "lamin list artifact", ln.DefaultBranch, "artifact"); err != nil {
		return err
	}
	say("But the artifact still exists in the database and in storage, you can find it by passing None to the visibility filter:")
	if err := list("ln.Artifact.filter(visibility=None).to_dataframe()", "lamin list artifact --branch all", ln.AllBranches, "artifact"); err != nil {
		return err
	}
	say("You can restore an artifact from trash:")
	step("artifact.restore()", "lamin restore artifact --uid "+art.UID)
	if _, err := in.Artifacts().UID(art.UID).Restore(ctx, ln.RestoreOptions{}); err != nil {
		return err
	}
	if err := list("ln.Artifact.to_dataframe()", "lamin list artifact", ln.DefaultBranch, "artifact"); err != nil {
		return err
	}
	if err := list("ln.Storage.to_dataframe()", "lamin list storage", ln.DefaultBranch, "storage"); err != nil {
		return err
	}
	say("Permanent delete")
	say("Calling artifact.delete on a trashed artifact triggers a permanent delete dialog. You can pass permanent=True to auto-confirm the deletion.")
	step("artifact.delete(permanent=True)", "lamin delete artifact --uid "+art.UID+" --permanent")
	if _, err := in.Artifacts().UID(art.UID).Delete(ctx, ln.DeleteOptions{Permanent: true}); err != nil {
		return err
	}
	say("Now its gone in the database:")
	if err := list("ln.Artifact.filter(visibility=None).to_dataframe()", "lamin list artifact --branch all", ln.AllBranches, "artifact"); err != nil {
		return err
	}
	in.Close()
	step("!lamin delete --force test-delete", "lamin delete --force test-delete")
	_, err = ln.DeleteInstance(ctx, "test-delete", ln.DeleteInstanceOptions{Options: opts, Force: true})
	return err
}
