package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/internal/registry"
)

// scopeFlags are --branch and lamindb 2023's --visibility.
type scopeFlags struct {
	branch, visibility string
}

func (s *scopeFlags) add(cmd *cobra.Command, help string) {
	cmd.Flags().StringVar(&s.branch, "branch", "", help)
	cmd.Flags().StringVar(&s.visibility, "visibility", "", "lamindb 2023 spelling of --branch: 1 (main), 0 (archive), -1 (trash), none (all)")
}

// apply sets the branch on q if one was given.
func (s *scopeFlags) apply(q *ln.Query) error {
	v := s.branch
	if s.visibility != "" {
		if v != "" {
			return usagef("pass --branch or --visibility, not both")
		}
		v = s.visibility
	}
	if v == "" {
		return nil
	}
	b, err := ln.ParseBranch(v)
	if err != nil {
		return err
	}
	q.Branch(b)
	return nil
}

func fieldsOf(q *ln.Query) []string {
	reg, _ := registry.Lookup(q.Registry())
	return append([]string{"id"}, reg.List...)
}

func (a *app) saveCommand() *cobra.Command {
	var o ln.SaveOptions
	var asJSON bool
	var reg string
	cmd := &cobra.Command{
		Use:   "save PATH [--key K] [--description D] [--kind K] [--revises UID] [--dataframe]",
		Short: "register a file, folder or table as an artifact",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reg != "" && reg != "artifact" {
				return usagef("--registry: only artifact is supported so far")
			}
			// Key validation comes before anything else, even opening the instance.
			if o.Key != "" {
				suffix := ln.RawSuffix(args[0])
				if o.Dataframe && (suffix == ".csv" || suffix == ".tsv") {
					suffix = ".parquet" // the table is stored as Parquet
				}
				if err := ln.ValidateKey(o.Key, suffix); err != nil {
					return err
				}
			}
			in, err := a.open(cmd, false)
			if err != nil {
				return err
			}
			defer in.Close()
			art, err := in.Save(a.withProgress(cmd.Context()), args[0], o)
			if err != nil {
				return err
			}
			if asJSON {
				q := in.Artifacts().UID(art.UID)
				r, err := q.Get(cmd.Context())
				if err != nil {
					return err
				}
				return a.printJSON(r)
			}
			fmt.Fprintln(a.stdout, art)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Key, "key", "", "path-like key, e.g. raw/sample.csv (its suffix must match the file's)")
	cmd.Flags().StringVar(&o.Description, "description", "", "description")
	cmd.Flags().StringVar(&o.Kind, "kind", "", "kind, e.g. dataset or model")
	cmd.Flags().StringVar(&o.Revises, "revises", "", "uid of the artifact this is a new version of")
	cmd.Flags().BoolVar(&o.Dataframe, "dataframe", false, "a table: CSV/TSV become Parquet; sets otype, kind, n_observations")
	cmd.Flags().BoolVar(&o.SkipHashLookup, "skip-hash-lookup", false, "save a new artifact even if the same content exists")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the saved record as JSON")
	cmd.Flags().StringVar(&reg, "registry", "", "force the registry (artifact)")
	return cmd
}

func (a *app) listCommand() *cobra.Command {
	var sf scopeFlags
	var filters []string
	var order string
	var limit int
	var asJSON, asCSV bool
	cmd := &cobra.Command{
		Use:   "list REGISTRY [--branch main|trash|archive|all] [--filter F]… [--order [-]FIELD] [--limit N] [--json|--csv]",
		Short: "a table of records; default: main branch, newest first, 20 rows",
		Args:  cobra.ExactArgs(1),
		RunE: a.onInstance(func(cmd *cobra.Command, args []string, in *ln.Instance) error {
			q := in.Records(args[0])
			for _, f := range filters {
				q.Where(f)
			}
			if err := sf.apply(q); err != nil {
				return err
			}
			if order != "" {
				q.Order(strings.Split(order, ",")...)
			}
			q.Limit(limit)
			res, err := q.List(cmd.Context())
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				if res.Records == nil {
					res.Records = []ln.Record{}
				}
				return a.printJSON(res.Records)
			case asCSV:
				return writeCSV(a.stdout, fieldsOf(q), res.Records)
			}
			printRecords(a.stdout, fieldsOf(q), res.Records)
			return nil
		}),
	}
	sf.add(cmd, "main, trash, archive or all (default: main)")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "FIELD=VALUE or FIELD__LOOKUP=VALUE (repeatable)")
	cmd.Flags().StringVar(&order, "order", "", "order by FIELD, -FIELD for descending (default -id)")
	cmd.Flags().IntVar(&limit, "limit", ln.DefaultLimit, "rows to show; 0 for all")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "print CSV with a header row")
	cmd.MarkFlagsMutuallyExclusive("json", "csv")
	return cmd
}

func (a *app) getCommand() *cobra.Command {
	var key, uid string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get REGISTRY (UID|STEM | --key K) [--json]",
		Short: "one record: by uid on any branch; by key on main, latest version first",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				uid = args[1]
			}
			if (uid == "") == (key == "") {
				return usagef("pass a uid or --key")
			}
			in, err := a.open(cmd, false)
			if err != nil {
				return err
			}
			defer in.Close()
			q := in.Records(args[0])
			if uid != "" {
				q.UID(uid)
			} else {
				reg, err := registry.Lookup(args[0])
				if err != nil {
					return q.Err()
				}
				q.Filter(reg.NameField, key)
			}
			r, err := q.Get(cmd.Context())
			if err != nil {
				return err
			}
			return a.printRecord(r, asJSON)
		},
	}
	cmd.Flags().StringVar(&uid, "uid", "", "uid or 16-character stem")
	cmd.Flags().StringVar(&key, "key", "", "key (name for labels, branches, spaces; handle for users; root for storage)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// address builds the query of a destructive command: --uid, --key or --filter.
func address(in *ln.Instance, name, uid, key string, filters []string) (*ln.Query, error) {
	q := in.Records(name)
	n := 0
	for _, set := range []bool{uid != "", key != "", len(filters) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, usagef("pass exactly one of --uid, --key or --filter")
	}
	switch {
	case uid != "":
		q.UID(uid)
	case key != "":
		q.Key(key)
	default:
		for _, f := range filters {
			q.Where(f)
		}
	}
	return q, q.Err()
}

func (a *app) deleteCommand() *cobra.Command {
	var uid, key, storage string
	var filters []string
	var sf scopeFlags
	var permanent, yes, dryRun, asJSON, force bool
	cmd := &cobra.Command{
		Use:   "delete (REGISTRY (--uid U|--key K|--filter F…) | INSTANCE)",
		Short: "trash records, delete them permanently, or delete an instance",
		Long: `lamin delete REGISTRY trashes a record on its first delete; deleting a record that is already in
the trash asks for confirmation and deletes it permanently; --permanent skips the trash and the question.
With --filter, trash and restore never ask, and a permanent delete asks once for the whole set.
lamin delete NAME deletes an instance (refused while its .lamindb/ folder holds managed files).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := registry.Lookup(args[0]); err != nil {
				if uid != "" || key != "" || len(filters) > 0 {
					return err // an unknown registry, not an instance name
				}
				return a.deleteInstance(cmd, args[0], force, dryRun, asJSON)
			}
			o := ln.DeleteOptions{Permanent: permanent, Storage: storage, Yes: yes, DryRun: dryRun, Confirm: a.confirm}
			query := func(in *ln.Instance) (*ln.Query, error) {
				q, err := address(in, args[0], uid, key, filters)
				if err != nil {
					return nil, err
				}
				return q, sf.apply(q)
			}
			if !dryRun && a.locksWhileOpen() {
				// The questions first, on a read-only open: no other
				// writer waits for the bucket's lock while a person thinks.
				answered, err := a.askFirst(cmd, query, o)
				if err != nil {
					return err
				}
				o.Answered = answered
			}
			in, err := a.open(cmd, dryRun)
			if err != nil {
				return err
			}
			defer in.Close()
			q, err := query(in)
			if err != nil {
				return err
			}
			plan, err := q.Delete(cmd.Context(), o)
			if dryRun && err == nil {
				return a.printPlan(plan, asJSON)
			}
			if asJSON && plan != nil && err == nil {
				return a.printJSON(plan)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&uid, "uid", "", "uid or 16-character stem (any branch, the trash included)")
	cmd.Flags().StringVar(&key, "key", "", "key (any branch, newest first)")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "FIELD[__LOOKUP]=VALUE (repeatable): delete every match")
	sf.add(cmd, "with --filter: main, trash, archive or all (default: main)")
	cmd.Flags().BoolVar(&permanent, "permanent", false, "delete permanently, without trash and without asking")
	cmd.Flags().StringVar(&storage, "storage", "", "files at real paths: delete or keep (default: ask; keep with --yes/--permanent)")
	cmd.Flags().BoolVar(&yes, "yes", false, "answer yes to the permanent-delete question")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would happen and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	cmd.Flags().BoolVar(&force, "force", false, "instances: delete without asking")
	return cmd
}

// locksWhileOpen reports whether a writing open of the current instance
// holds a lock until it is closed (ln.InstanceSettings.LocksWhileOpen).
func (a *app) locksWhileOpen() bool {
	is, err := ln.DefaultSettings().Current()
	return err == nil && is.LocksWhileOpen()
}

// askFirst plans a delete on a read-only open of the instance, closes it,
// and then puts the plan's questions, before the delete opens it for writing.
func (a *app) askFirst(cmd *cobra.Command, query func(*ln.Instance) (*ln.Query, error), o ln.DeleteOptions) (*ln.Plan, error) {
	plan, err := func() (*ln.Plan, error) {
		in, err := a.open(cmd, true)
		if err != nil {
			return nil, err
		}
		defer in.Close()
		q, err := query(in)
		if err != nil {
			return nil, err
		}
		return q.Questions(cmd.Context(), o)
	}()
	if err != nil {
		return nil, err
	}
	return plan, plan.Ask(cmd.Context(), o)
}

func (a *app) deleteInstance(cmd *cobra.Command, name string, force, dryRun, asJSON bool) error {
	o := ln.DeleteInstanceOptions{Options: a.options(), Force: force, DryRun: dryRun,
		Confirm: func(p string) bool {
			ans := strings.ToLower(a.answer(p))
			return ans == "y" || ans == "yes"
		}}
	d, err := ln.DeleteInstance(cmd.Context(), name, o)
	if dryRun && d != nil {
		if asJSON {
			return a.printJSON(d)
		}
		fmt.Fprintf(a.stdout, "instance %s at %s\n", d.Slug, d.Root)
		for _, p := range d.Remove {
			fmt.Fprintf(a.stdout, "  remove  %s\n", p)
		}
		for _, p := range d.Blocked {
			fmt.Fprintf(a.stdout, "  blocks  %s\n", p)
		}
		if len(d.Blocked) > 0 {
			fmt.Fprintf(a.stdout, "refused: %d managed objects remain\n", len(d.Blocked))
		}
		return nil
	}
	return err
}

// printPlan prints a dry run: records, cascades, the run cleanup, blockers,
// files, bytes.
func (a *app) printPlan(p *ln.Plan, asJSON bool) error {
	if asJSON {
		return a.printJSON(p)
	}
	var rows [][]string
	for _, r := range p.Records {
		rows = append(rows, []string{r.Action, r.Registry, r.UID, r.Name, strconv.FormatInt(r.BranchID, 10)})
	}
	// Rows without a uid (link rows, blocks) are counted per table: an
	// artifact may have thousands of label links.
	links := map[string]int{}
	var linkTables []string
	for _, r := range p.Cascades {
		if r.UID == "" {
			if links[r.Registry] == 0 {
				linkTables = append(linkTables, r.Registry)
			}
			links[r.Registry]++
			continue
		}
		rows = append(rows, []string{"cascade", r.Registry, r.UID, strconv.FormatInt(r.ID, 10), ""})
	}
	for _, t := range linkTables {
		n := fmt.Sprintf("%d rows", links[t])
		if links[t] == 1 {
			n = "1 row"
		}
		rows = append(rows, []string{"cascade", t, "", n, ""})
	}
	for _, r := range p.Cleanup {
		rows = append(rows, []string{"cleanup", r.Registry, r.UID, r.Name, strconv.FormatInt(r.BranchID, 10)})
	}
	printTable(a.stdout, []string{"action", "registry", "uid", "name", "branch_id"}, rows)
	if len(p.Files) > 0 {
		var frows [][]string
		for _, f := range p.Files {
			frows = append(frows, []string{f.Action, f.Path, strconv.FormatInt(f.Bytes, 10), f.Reason})
		}
		fmt.Fprintln(a.stdout)
		printTable(a.stdout, []string{"file", "path", "bytes", "reason"}, frows)
	}
	for _, b := range p.Blockers {
		by := ""
		if b.By != "" {
			by = " (" + b.By + ")"
		}
		fmt.Fprintf(a.stdout, "blocked: %s %s: %s%s\n", b.Registry, b.UID, b.Reason, by)
	}
	fmt.Fprintf(a.stdout, "dry run: %d records, %d cascaded rows, %d bytes freed, %d blockers; nothing changed\n",
		len(p.Records), len(p.Cascades), p.Bytes, len(p.Blockers))
	return nil
}

func (a *app) restoreCommand() *cobra.Command {
	var uid, key string
	var filters []string
	var sf scopeFlags
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "restore REGISTRY (--uid U|--key K|--filter F…) [--branch trash|archive] [--dry-run]",
		Short: "move records back to main (--filter searches the trash unless --branch says otherwise)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := a.open(cmd, dryRun)
			if err != nil {
				return err
			}
			defer in.Close()
			q, err := address(in, args[0], uid, key, filters)
			if err != nil {
				return err
			}
			if err := sf.apply(q); err != nil {
				return err
			}
			plan, err := q.Restore(cmd.Context(), ln.RestoreOptions{DryRun: dryRun})
			if err != nil {
				return err
			}
			if dryRun {
				return a.printPlan(plan, asJSON)
			}
			if asJSON {
				return a.printJSON(plan)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&uid, "uid", "", "uid or 16-character stem")
	cmd.Flags().StringVar(&key, "key", "", "key (newest first)")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "FIELD[__LOOKUP]=VALUE (repeatable)")
	sf.add(cmd, "with --filter: trash (default) or archive")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would happen and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}

func (a *app) updateCommand() *cobra.Command {
	var uid, key, description, branch, locked string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update REGISTRY --uid U [--description D] [--key K] [--branch NAME] [--locked true|false]",
		Short: "change fields (archive: --branch archive)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if uid == "" {
				return usagef("pass --uid")
			}
			var o ln.UpdateOptions
			f := cmd.Flags()
			if f.Changed("description") {
				o.Description = &description
			}
			if f.Changed("key") {
				o.Key = &key
			}
			if f.Changed("branch") {
				o.Branch = &branch
			}
			if f.Changed("locked") {
				v, err := strconv.ParseBool(locked)
				if err != nil {
					return usagef("--locked takes true or false, not %q", locked)
				}
				o.Locked = &v
			}
			if o == (ln.UpdateOptions{}) {
				return usagef("nothing to update: pass --description, --key, --branch or --locked")
			}
			in, err := a.open(cmd, false)
			if err != nil {
				return err
			}
			defer in.Close()
			r, err := in.Records(args[0]).UID(uid).Update(cmd.Context(), o)
			if err != nil {
				return err
			}
			return a.printRecord(r, asJSON)
		},
	}
	cmd.Flags().StringVar(&uid, "uid", "", "uid or 16-character stem")
	cmd.Flags().StringVar(&key, "key", "", "new key (virtual keys only; the suffix must stay)")
	cmd.Flags().StringVar(&description, "description", "", "new description")
	cmd.Flags().StringVar(&branch, "branch", "", "move to a branch: main, archive, trash")
	cmd.Flags().StringVar(&locked, "locked", "", "true locks, false unlocks")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) createCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "create", Short: "create collections, labels, storage locations, branches, spaces"}
	var key, description, typ string
	var arts []string
	var isType, asJSON bool
	with := func(cmd *cobra.Command, fn func(*ln.Instance) (ln.Record, error)) error {
		in, err := a.open(cmd, false)
		if err != nil {
			return err
		}
		defer in.Close()
		r, err := fn(in)
		if err != nil {
			return err
		}
		return a.printRecord(r, asJSON)
	}
	coll := &cobra.Command{
		Use:   "collection --key K --artifact UID…",
		Short: "a versioned, ordered collection of artifacts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return with(cmd, func(in *ln.Instance) (ln.Record, error) {
				return in.CreateCollection(cmd.Context(), ln.CollectionOptions{Key: key, Description: description, Artifacts: arts})
			})
		},
	}
	coll.Flags().StringVar(&key, "key", "", "key")
	coll.Flags().StringVar(&description, "description", "", "description")
	coll.Flags().StringArrayVar(&arts, "artifact", nil, "member artifact uid (repeatable, ordered)")
	ulabel := &cobra.Command{
		Use:   "ulabel NAME [--type TYPE] [--is-type]",
		Short: "a label",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd, func(in *ln.Instance) (ln.Record, error) {
				return in.CreateULabel(cmd.Context(), ln.ULabelOptions{Name: args[0], Description: description, Type: typ, IsType: isType})
			})
		},
	}
	ulabel.Flags().StringVar(&typ, "type", "", "name of the label type it belongs to")
	ulabel.Flags().BoolVar(&isType, "is-type", false, "make it a type")
	ulabel.Flags().StringVar(&description, "description", "", "description")
	storage := &cobra.Command{
		Use:   "storage ROOT",
		Short: "register a local folder as a storage location managed by this instance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd, func(in *ln.Instance) (ln.Record, error) { return in.CreateStorage(cmd.Context(), args[0]) })
		},
	}
	branch := &cobra.Command{
		Use: "branch NAME", Short: "a branch", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd, func(in *ln.Instance) (ln.Record, error) { return in.CreateBranch(cmd.Context(), args[0], description) })
		},
	}
	space := &cobra.Command{
		Use: "space NAME", Short: "a space", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd, func(in *ln.Instance) (ln.Record, error) { return in.CreateSpace(cmd.Context(), args[0], description) })
		},
	}
	for _, c := range []*cobra.Command{coll, ulabel, storage, branch, space} {
		c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
		cmd.AddCommand(c)
	}
	branch.Flags().StringVar(&description, "description", "", "description")
	space.Flags().StringVar(&description, "description", "", "description")
	return cmd
}

func (a *app) loadCommand() *cobra.Command {
	var uid, key string
	cmd := &cobra.Command{
		Use:   "load artifact (--uid U|--key K)",
		Short: "print the local path of an artifact's bytes, and nothing else",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != "artifact" && args[0] != "file" {
				return usagef("load: only artifacts can be loaded")
			}
			if (uid == "") == (key == "") {
				return usagef("pass --uid or --key")
			}
			in, err := a.open(cmd, false)
			if err != nil {
				return err
			}
			defer in.Close()
			q := in.Artifacts()
			if uid != "" {
				q.UID(uid)
			} else {
				q.Key(key)
			}
			art, err := q.Artifact(cmd.Context())
			if err != nil {
				return err
			}
			p, err := in.Path(a.withProgress(cmd.Context()), art)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, p)
			return nil
		},
	}
	cmd.Flags().StringVar(&uid, "uid", "", "uid or 16-character stem")
	cmd.Flags().StringVar(&key, "key", "", "key (newest first, any branch)")
	return cmd
}
