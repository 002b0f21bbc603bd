package lamindb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lamindb-go/lamindb/internal/fault"
	"github.com/lamindb-go/lamindb/internal/filter"
	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// DeleteOptions configure Query.Delete. The zero value trashes (the first
// delete of a trashable record) and refuses anything that needs a confirmation.
type DeleteOptions struct {
	// Permanent deletes without the trash and without asking, as lamindb's permanent=True.
	Permanent bool
	// Storage answers the question whether to delete files at real (non-managed)
	// paths: "delete" or "keep"; "" asks, or keeps them with Permanent or Yes.
	// "keep" also allows deleting the rows of artifacts in storage that this
	// instance does not manage.
	Storage string
	// Yes answers the confirmation of a permanent delete from the trash.
	Yes bool
	// DryRun returns the plan and changes nothing.
	DryRun bool
	// Confirm asks the user a y/n question; nil refuses questions with ErrConfirmationNeeded.
	// It is called with no transaction open: a person may take their time.
	Confirm func(prompt string) bool
	// Answered is a plan whose questions Plan.Ask put (planned by
	// Query.Questions on this instance or another open of it, such as a
	// read-only one, closed before asking): the delete asks nothing, acts on the records the questions
	// were about with the answers given, and changes nothing (ErrChanged)
	// if they changed since.
	Answered *Plan

	onlyLinks bool // refuse a purge that would delete other records along (runCleanup)
}

// RestoreOptions configure Query.Restore.
type RestoreOptions struct {
	// DryRun returns the plan and changes nothing.
	DryRun bool
}

// Plan says what a destructive command does (or, in a dry run, would do).
type Plan struct {
	Registry string       `json:"registry"`
	DryRun   bool         `json:"dry_run"`
	Records  []PlanRecord `json:"records"`        // the records addressed, with their action
	Cascades []PlanRecord `json:"cascades"`       // rows deleted along (CASCADE)
	Blockers []Blocker    `json:"blockers"`       // what refuses the operation
	Files    []PlanFile   `json:"files"`          // bytes in storage and what happens to them
	Bytes    int64        `json:"bytes"`          // bytes freed in storage
	Left     []string     `json:"left,omitempty"` // bytes a purge could not delete yet (retried later)
	// Cleanup lists the report and environment artifacts of purged runs,
	// each purged on its own after the commit (lamindb's run cleanup).
	Cleanup []PlanRecord `json:"cleanup,omitempty"`
	// noCleanup says why the run cleanup deletes nothing.
	noCleanup string
	// confirm is the question a permanent delete needs ("": none).
	confirm string
}

// PlanRecord is one record in a plan.
type PlanRecord struct {
	Registry string `json:"registry"`
	ID       int64  `json:"id"`
	UID      string `json:"uid,omitempty"`
	Name     string `json:"name,omitempty"` // key or name
	BranchID int64  `json:"branch_id"`
	Action   string `json:"action"` // trash, restore, purge, cascade
	Bytes    int64  `json:"bytes,omitempty"`
	locked   bool
}

// Blocker is a reason an operation is refused.
type Blocker struct {
	Registry string `json:"registry"`
	UID      string `json:"uid"`
	Relation string `json:"relation,omitempty"` // e.g. CollectionArtifact.artifact
	By       string `json:"by,omitempty"`       // the record that holds it, e.g. Collection 'uid' (key)
	Reason   string `json:"reason"`
	class    error
}

// PlanFile is a file or folder in storage touched by a permanent delete.
type PlanFile struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	Action string `json:"action"` // delete, keep, ask
	Reason string `json:"reason,omitempty"`
	root   string
	key    string
	isDir  bool
}

// newPlan returns an empty plan whose lists print as [] in JSON.
func newPlan(registry string, dryRun bool) *Plan {
	return &Plan{Registry: registry, DryRun: dryRun, Records: []PlanRecord{}, Cascades: []PlanRecord{},
		Blockers: []Blocker{}, Files: []PlanFile{}}
}

// Count returns how many addressed records have the action.
func (p *Plan) Count(action string) int {
	n := 0
	for _, r := range p.Records {
		if r.Action == action {
			n++
		}
	}
	return n
}

// ids returns the ids of the addressed records.
func (p *Plan) ids() []int64 {
	out := make([]int64, len(p.Records))
	for i, r := range p.Records {
		out[i] = r.ID
	}
	return out
}

// changedSince describes how p differs from the plan a user was asked about,
// or returns "" when they agree on everything the user saw: the records, their
// branches, locks and actions, the cascades and what happens to every file.
func (p *Plan) changedSince(asked *Plan) string {
	was := map[int64]PlanRecord{}
	for _, r := range asked.Records {
		was[r.ID] = r
	}
	now := map[int64]bool{}
	for _, r := range p.Records {
		now[r.ID] = true
		a, ok := was[r.ID]
		switch {
		case !ok:
			return fmt.Sprintf("%s %s was not part of the question", registryClass(r.Registry), r.UID)
		case a.BranchID != r.BranchID:
			return fmt.Sprintf("%s %s moved from branch %d to %d", registryClass(r.Registry), r.UID, a.BranchID, r.BranchID)
		case a.locked != r.locked:
			return fmt.Sprintf("%s %s was locked or unlocked", registryClass(r.Registry), r.UID)
		case a.Action != r.Action:
			return fmt.Sprintf("%s %s would now %s instead of %s", registryClass(r.Registry), r.UID, r.Action, a.Action)
		}
	}
	for _, a := range asked.Records {
		if !now[a.ID] {
			return fmt.Sprintf("%s %s no longer exists", registryClass(a.Registry), a.UID)
		}
	}
	key := func(rs []PlanRecord) string {
		var ks []string
		for _, r := range rs {
			ks = append(ks, fmt.Sprintf("%s/%d", r.Registry, r.ID))
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	if key(p.Cascades) != key(asked.Cascades) {
		return fmt.Sprintf("the rows deleted along changed (%d then, %d now)", len(asked.Cascades), len(p.Cascades))
	}
	files := func(fs []PlanFile) string {
		var ks []string
		for _, f := range fs {
			ks = append(ks, fmt.Sprintf("%s %s %d", f.Path, f.Action, f.Bytes))
		}
		sort.Strings(ks)
		return strings.Join(ks, "\n")
	}
	if files(p.Files) != files(asked.Files) {
		return "the files in storage that go along changed"
	}
	return ""
}

// rowInfo is what the lifecycle needs to know of a record.
type rowInfo struct {
	id, branch int64
	uid, label string
	latest     bool
	locked     bool
	isType     bool
	art        *Artifact
}

func (r rowInfo) planRecord(reg string, action string) PlanRecord {
	return PlanRecord{Registry: reg, ID: r.id, UID: r.uid, Name: r.label, BranchID: r.branch, Action: action, locked: r.locked}
}

// targets loads the records a destructive command acts on: the one addressed
// by uid or key, or every match of the filters (no limit).
func (q *Query) targets(ctx context.Context, qr querier, bulkScope Branch) ([]rowInfo, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.uid != "" || q.key != "" {
		id, err := q.resolveOne(ctx, qr)
		if err != nil {
			return nil, err
		}
		return q.in.loadRows(ctx, qr, q.reg, `t.id = ?`, []any{id})
	}
	fq := q.fq
	if !q.scoped {
		fq.Scope = bulkScope
	}
	where, args, err := fq.Where()
	if err != nil {
		return nil, invalid(err)
	}
	return q.in.loadRows(ctx, qr, q.reg, where, args)
}

// rowsByID reloads records by id (in chunks), for the re-check after a question.
func (in *Instance) rowsByID(ctx context.Context, qr querier, reg *registry.Registry, ids []int64) ([]rowInfo, error) {
	var out []rowInfo
	for _, c := range chunks(ids, 500) {
		rs, err := in.loadRows(ctx, qr, reg, `t.id IN (`+placeholders(len(c))+`)`, int64Args(c))
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func (in *Instance) loadRows(ctx context.Context, qr querier, reg *registry.Registry, where string, args []any) ([]rowInfo, error) {
	// Inside a write transaction on PostgreSQL the rows a plan rests on are
	// locked until commit (in id order, so two plans do not deadlock): a row
	// another transaction changed or deleted since this one's snapshot fails
	// it, and it runs again on what is there now.
	lock := ""
	if _, ok := qr.(*sqldb.Tx); ok && sqldb.On(qr).Dialect.ForUpdate() != "" {
		lock = " FOR UPDATE OF t"
	}
	if reg.Name == "artifact" {
		return sqldb.Query(ctx, qr, func(s sqldb.Scanner) (rowInfo, error) {
			a, err := scanArtifact(s)
			if err != nil {
				return rowInfo{}, err
			}
			r := rowInfo{id: a.ID, uid: a.UID, branch: a.BranchID, latest: a.IsLatest, locked: a.IsLocked, art: a}
			if a.Key != nil {
				r.label = *a.Key
			} else if a.Description != nil {
				r.label = *a.Description
			}
			return r, nil
		}, `SELECT `+prefixCols(artifactCols, "t.")+` FROM lamindb_artifact t WHERE `+where+` ORDER BY t.id`+lock, args...)
	}
	cols := []string{"t.id", "t.uid", "COALESCE(CAST(t." + reg.NameField + " AS TEXT), '')"}
	for _, c := range []string{"branch_id", "is_latest", "is_locked", "is_type"} {
		if _, ok := reg.Column(c); ok {
			cols = append(cols, "t."+c)
		} else if c == "branch_id" {
			cols = append(cols, "1")
		} else {
			cols = append(cols, "0")
		}
	}
	return sqldb.Query(ctx, qr, func(s sqldb.Scanner) (rowInfo, error) {
		var r rowInfo
		err := s.Scan(&r.id, &r.uid, &r.label, &r.branch, &r.latest, &r.locked, &r.isType)
		return r, err
	}, `SELECT `+strings.Join(cols, ", ")+` FROM `+reg.Table+` t WHERE `+where+` ORDER BY t.id`+lock, args...)
}

func prefixCols(cols, prefix string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func (in *Instance) checkUnlocked(locked bool, class, uid string) error {
	if locked {
		return withHint(errorf(ErrLocked, "It is not allowed to modify or create locked ('is_locked=True') records: %s %s", class, uid),
			unlockHint(strings.ToLower(class), uid))
	}
	return nil
}

// writeTx runs fn in a write transaction that also clears the marks of this
// instance's completed saves (one commit per save instead of two).
func (in *Instance) writeTx(ctx context.Context, fn func(ctx context.Context, tx *sqldb.Tx) error) error {
	done := in.takeStored()
	err := in.db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		if err := clearStoringMarks(ctx, tx, done); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
	if err != nil {
		in.addStored(done)
	}
	return err
}

// errAsk ends a transaction whose plan needs a question first.
var errAsk = errors.New("a question must be asked first")

// deletion is one planned delete: what to trash, what to purge, and the plan.
type deletion struct {
	plan  *Plan
	trash []rowInfo
	purge *purgeSet
}

// Delete trashes or permanently deletes the addressed records (spec §1.2):
// records not in the trash go to the trash; records already in the trash, or
// all with Permanent, are deleted permanently after one confirmation for the
// whole set. Storage, user, branch and space records are deleted immediately.
//
// Every decision is made inside the write transaction that acts on it: the
// records, their branches and locks, what protects them and what cascades are
// read there. When a question is needed, that transaction is rolled back, the
// question is asked with no lock held, and a new transaction re-reads the same
// records by id: if anything the user was shown changed (or a record vanished),
// nothing changes and the error is ErrChanged. Rows, purge intents (only for
// rows the transaction deleted) and audit events change in one transaction;
// bytes are deleted after it commits.
func (q *Query) Delete(ctx context.Context, o DeleteOptions) (*Plan, error) {
	if o.Storage != "" && o.Storage != "keep" && o.Storage != "delete" {
		return nil, errorf(ErrInvalid, "--storage takes keep or delete, not %q", o.Storage)
	}
	if q.err != nil {
		return nil, q.err
	}
	in, reg := q.in, q.reg
	single := q.uid != "" || q.key != ""
	if o.DryRun {
		rows, err := q.targets(ctx, in.db, DefaultBranch)
		if err != nil {
			return nil, err
		}
		d, err := in.planDelete(ctx, in.db, reg, rows, o, true)
		if err != nil {
			return nil, err
		}
		return d.plan, nil
	}
	asked := o.Answered
	confirmed := o.Permanent || o.Yes
	for {
		var d *deletion
		n := &notes{}
		err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			*n = notes{} // a re-run of the transaction says only its own
			var rows []rowInfo
			var err error
			if asked == nil {
				rows, err = q.targets(ctx, tx, DefaultBranch)
			} else {
				rows, err = in.rowsByID(ctx, tx, reg, asked.ids())
			}
			if err != nil {
				return err
			}
			if d, err = in.planDelete(ctx, tx, reg, rows, o, false); err != nil {
				return err
			}
			if asked != nil {
				d.plan.applyAnswers(asked)
				if why := d.plan.changedSince(asked); why != "" {
					return withHint(errorf(ErrChanged, "changed since you were asked: %s; nothing was deleted", why),
						"look again with --dry-run, then repeat the command")
				}
			}
			if err := blockedError(reg, d.plan, "delete"); err != nil {
				return err
			}
			if asked == nil && (d.needsConfirmation(reg, confirmed) || d.plan.anyFile("ask")) {
				return errAsk
			}
			d.plan.decideFiles("keep") // files nobody could be asked about stay
			if err := in.moveTx(ctx, tx, reg, d.trash, -1, "trash", n); err != nil {
				return err
			}
			return in.purgeTx(ctx, tx, d.purge, d.plan, n)
		})
		if errors.Is(err, errAsk) && asked == nil {
			if err := in.ask(ctx, d, reg, single, confirmed, o); err != nil {
				return d.plan, err
			}
			asked = d.plan
			fault.Hit(fault.DeleteBeforeTx)
			continue
		}
		if err != nil {
			if d != nil {
				return d.plan, err
			}
			return nil, err
		}
		in.tell(n)
		switch {
		case single && len(d.trash) == 1:
			in.opts.Notify.say(LevelWarning, "moved record to trash (branch_id = -1): %s", in.reprByID(ctx, reg, d.trash[0].id))
		case len(d.trash) > 0:
			in.opts.Notify.say(LevelWarning, "moved %d records to trash (branch_id = -1)", len(d.trash))
		}
		if reg.Name == "storage" {
			in.forgetStorages()
			in.removeMarkers(d.purge.records)
		}
		err = in.finishPurge(ctx, d.plan)
		in.runCleanup(ctx, d.plan)
		return d.plan, err
	}
}

// Questions plans a delete as Delete would, changing nothing, and returns
// the plan with the questions it needs (none, when it needs none), which
// Plan.Ask puts, for a later Delete with DeleteOptions.Answered. Asking
// needs no open instance: a command on an instance whose open holds a lock
// (SQLite in a bucket: InstanceSettings.LocksWhileOpen) plans on a
// read-only open and closes it before it asks, so that no writer waits for
// a person at a prompt.
func (q *Query) Questions(ctx context.Context, o DeleteOptions) (*Plan, error) {
	if o.Storage != "" && o.Storage != "keep" && o.Storage != "delete" {
		return nil, errorf(ErrInvalid, "--storage takes keep or delete, not %q", o.Storage)
	}
	if q.err != nil {
		return nil, q.err
	}
	in, reg := q.in, q.reg
	rows, err := q.targets(ctx, in.db, DefaultBranch)
	if err != nil {
		return nil, err
	}
	d, err := in.planDelete(ctx, in.db, reg, rows, o, false)
	if err != nil {
		return nil, err
	}
	if err := blockedError(reg, d.plan, "delete"); err != nil {
		return d.plan, err
	}
	d.setQuestions(reg, q.uid != "" || q.key != "", o.Permanent || o.Yes)
	return d.plan, nil
}

// needsConfirmation reports whether a permanent delete from the trash must be confirmed.
func (d *deletion) needsConfirmation(reg *registry.Registry, confirmed bool) bool {
	return len(d.purge.records) > 0 && reg.Trashable && !confirmed
}

// ask puts the questions of a delete, before anything changes (see
// Plan.Ask); they are recorded in the plan.
func (in *Instance) ask(ctx context.Context, d *deletion, reg *registry.Registry, single, confirmed bool, o DeleteOptions) error {
	d.setQuestions(reg, single, confirmed)
	return d.plan.Ask(ctx, o)
}

// setQuestions records in the plan the confirmation a permanent delete
// needs, if any; the files to ask about are the plan's files marked "ask".
func (d *deletion) setQuestions(reg *registry.Registry, single, confirmed bool) {
	d.plan.confirm = ""
	if !d.needsConfirmation(reg, confirmed) {
		return
	}
	if single {
		d.plan.confirm = fmt.Sprintf("%s %s is already in trash! Are you sure you want to delete it from your database? You can't undo this action. (y/n) ", reg.Class, d.purge.records[0].uid)
	} else {
		d.plan.confirm = fmt.Sprintf("%d %s records (%s in storage) are in the trash! Are you sure you want to delete them from your database? You can't undo this action. (y/n) ",
			len(d.purge.records), reg.Class, humanBytes(d.plan.Bytes))
	}
}

// Ask puts the questions of a plan made by Query.Questions (o.Confirm): the
// confirmation of a permanent delete (one for the whole set) and, with it,
// whether files at real paths go too. The answers are recorded in the plan,
// for Delete with DeleteOptions.Answered. It needs no open instance.
//
// A context that ends while a question is open (Ctrl-C at the prompt) cancels
// the whole command: ErrCancelled, and nothing changes.
func (p *Plan) Ask(ctx context.Context, o DeleteOptions) error {
	if p.confirm != "" {
		if err := askYes(ctx, o.Confirm, p.confirm, "the permanent delete"); err != nil {
			return err
		}
	}
	if p.anyFile("ask") {
		decision := "keep"
		if o.Confirm != nil {
			var paths []string
			for _, f := range p.Files {
				if f.Action == "ask" {
					paths = append(paths, f.Path)
				}
			}
			where := paths[0]
			if len(paths) > 1 {
				where = fmt.Sprintf("%d paths (%s)", len(paths), strings.Join(paths, ", "))
			}
			yes := o.Confirm(fmt.Sprintf("Do you ALSO want to delete the data in storage at %s? (y/n) You can't undo this action.", where))
			if ctx.Err() != nil {
				return errorf(ErrCancelled, "cancelled at the prompt: nothing was deleted")
			}
			if yes {
				decision = "delete"
			}
		}
		p.decideFiles(decision)
	}
	return nil
}

// askYes puts a y/n question; no callback means nobody can answer.
func askYes(ctx context.Context, confirm func(string) bool, prompt, what string) error {
	if confirm == nil {
		return withHint(errorf(ErrConfirmationNeeded, "%s needs a confirmation", what), "pass --yes (or --permanent) to confirm")
	}
	yes := confirm(prompt)
	if ctx.Err() != nil {
		return errorf(ErrCancelled, "cancelled at the prompt: nothing was deleted")
	}
	if !yes {
		return errorf(ErrCancelled, "cancelled: nothing was deleted")
	}
	return nil
}

// planDelete plans a delete of rows: which go to the trash, which are purged
// (with their cascades, blockers and files). dryRun marks the plan.
func (in *Instance) planDelete(ctx context.Context, qr querier, reg *registry.Registry, rows []rowInfo, o DeleteOptions, dryRun bool) (*deletion, error) {
	d := &deletion{plan: newPlan(reg.Name, dryRun)}
	var purge []rowInfo
	for _, r := range rows {
		if !reg.Trashable || o.Permanent || r.branch == -1 {
			purge = append(purge, r)
		} else {
			d.trash = append(d.trash, r)
		}
	}
	if reg.Name == "ulabel" && len(d.trash) > 0 {
		var err error
		if d.trash, err = in.withDescendants(ctx, qr, d.trash); err != nil {
			return nil, err
		}
	}
	for _, r := range d.trash {
		d.plan.Records = append(d.plan.Records, r.planRecord(reg.Name, "trash"))
		if r.locked {
			d.plan.Blockers = append(d.plan.Blockers, Blocker{Registry: reg.Name, UID: r.uid, Reason: "locked", class: ErrLocked})
		}
	}
	var err error
	if d.purge, err = in.planPurge(ctx, qr, reg, purge, o, d.plan); err != nil {
		return nil, err
	}
	return d, nil
}

// anyFile reports whether a file of the plan has the action; "ask" means
// files at real paths wait for the question whether they go too.
func (p *Plan) anyFile(action string) bool {
	for _, f := range p.Files {
		if f.Action == action {
			return true
		}
	}
	return false
}

// applyAnswers gives the files of p the answers given to the plan asked.
func (p *Plan) applyAnswers(asked *Plan) {
	decided := map[string]PlanFile{}
	for _, f := range asked.Files {
		decided[f.Path] = f
	}
	for i, f := range p.Files {
		if a, ok := decided[f.Path]; ok && f.Action == "ask" && a.Action != "ask" {
			p.Files[i].Action, p.Files[i].Reason = a.Action, a.Reason
		}
	}
	p.sumBytes()
}

// decideFiles answers the question about files at real paths: keep or delete.
func (p *Plan) decideFiles(decision string) {
	for i, f := range p.Files {
		if f.Action != "ask" {
			continue
		}
		p.Files[i].Action = decision
		if decision == "keep" {
			p.Files[i].Reason = "file at a real path"
		} else {
			p.Files[i].Reason = ""
		}
	}
	p.sumBytes()
}

func blockedError(reg *registry.Registry, plan *Plan, verb string) error {
	if len(plan.Blockers) == 0 {
		return nil
	}
	class := ErrProtected
	var lines []string
	for _, b := range plan.Blockers {
		if b.class != nil {
			class = b.class
		}
		line := fmt.Sprintf("%s %s: %s", registryClass(b.Registry), b.UID, b.Reason)
		if b.By != "" {
			line += " (" + b.By + ")"
		}
		lines = append(lines, line)
	}
	msg := fmt.Sprintf("Cannot %s: %s", verb, strings.Join(lines, "; "))
	if len(lines) == 1 && plan.Blockers[0].Relation == "" && plan.Blockers[0].class != nil && plan.Blockers[0].class != ErrLocked {
		msg = plan.Blockers[0].Reason
	}
	if class == ErrLocked {
		return withHint(&Error{Class: class, Msg: msg}, "unlock with `lamin update "+reg.Name+" --uid UID --locked false`")
	}
	return &Error{Class: class, Msg: msg}
}

// registryClass returns the class name of a registry, or of a table that is
// not one (its Django model name, or the table name for another module's).
func registryClass(name string) string {
	if r, err := registry.Lookup(name); err == nil {
		return r.Class
	}
	if c := registry.ClassOf(name); c != "" {
		return c
	}
	return name
}

// humanBytes formats a byte count as lamindb's size strings do.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// withDescendants adds, for every type among rows, all its non-trashed
// descendants (trashing a type trashes them too, spec §1.9).
func (in *Instance) withDescendants(ctx context.Context, qr querier, rows []rowInfo) ([]rowInfo, error) {
	var types []int64
	seen := map[int64]bool{}
	for _, r := range rows {
		seen[r.id] = true
		if r.isType {
			types = append(types, r.id)
		}
	}
	if len(types) == 0 {
		return rows, nil
	}
	reg, _ := registry.Lookup("ulabel")
	desc, err := in.loadRows(ctx, qr, reg, `t.id IN (WITH RECURSIVE d(id) AS (SELECT id FROM lamindb_ulabel WHERE type_id IN (`+
		placeholders(len(types))+`) UNION SELECT u.id FROM lamindb_ulabel u JOIN d ON u.type_id = d.id) SELECT id FROM d) AND t.branch_id <> -1`, int64Args(types))
	if err != nil {
		return nil, err
	}
	for _, r := range desc {
		if !seen[r.id] {
			rows = append(rows, r)
			seen[r.id] = true
		}
	}
	return rows, nil
}

// setBranch moves records to a branch and writes one audit event per record,
// set-based, in the caller's transaction. Callers go through moveTx, which
// keeps is_latest right.
func (in *Instance) setBranch(ctx context.Context, tx *sqldb.Tx, reg *registry.Registry, ids []int64, to int64, action string) error {
	now := in.now()
	for _, c := range chunks(ids, 500) {
		args := append([]any{now, in.user.Handle, action, reg.Name, to}, int64Args(c)...)
		if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_audit_event (created_at, user_handle, action, registry, record_uid, record_id, from_branch_id, to_branch_id)
			SELECT ?, ?, ?, ?, uid, id, branch_id, ? FROM `+reg.Table+` WHERE id IN (`+placeholders(len(c))+`)`, args...); err != nil {
			return err
		}
		upd, uargs := `UPDATE `+reg.Table+` SET branch_id = ?`, []any{to}
		if _, ok := reg.Column("updated_at"); ok {
			upd, uargs = upd+`, updated_at = ?`, append(uargs, now)
		}
		res, err := tx.ExecContext(ctx, upd+` WHERE id IN (`+placeholders(len(c))+`)`, append(uargs, int64Args(c)...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(c)) {
			return errorf(ErrChanged, "changed meanwhile: %d of %d %s records were there to move; nothing was changed", n, len(c), reg.Class)
		}
	}
	return nil
}

// Restore moves the addressed records back to main (spec §1.12), deciding
// inside its transaction. Filters search the trash unless a branch is given.
func (q *Query) Restore(ctx context.Context, o RestoreOptions) (*Plan, error) {
	if q.err != nil {
		return nil, q.err
	}
	in, reg := q.in, q.reg
	if !reg.HasBranch || !reg.Trashable {
		return nil, errorf(ErrInvalid, "%s records have no trash to restore from", reg.Class)
	}
	planRestore := func(ctx context.Context, qr querier) (*Plan, []rowInfo, error) {
		rows, err := q.targets(ctx, qr, TrashBranch)
		if err != nil {
			return nil, nil, err
		}
		plan := newPlan(reg.Name, o.DryRun)
		var moving []rowInfo
		for _, r := range rows {
			if r.branch == 1 {
				continue
			}
			plan.Records = append(plan.Records, r.planRecord(reg.Name, "restore"))
			moving = append(moving, r)
			if r.locked {
				plan.Blockers = append(plan.Blockers, Blocker{Registry: reg.Name, UID: r.uid, Reason: "locked", class: ErrLocked})
			}
		}
		return plan, moving, nil
	}
	if o.DryRun {
		plan, _, err := planRestore(ctx, in.db)
		return plan, err
	}
	var plan *Plan
	n := &notes{}
	err := in.writeTx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		*n = notes{} // a re-run of the transaction says only its own
		var moving []rowInfo
		var err error
		if plan, moving, err = planRestore(ctx, tx); err != nil {
			return err
		}
		if err := blockedError(reg, plan, "restore"); err != nil {
			return err
		}
		return in.moveTx(ctx, tx, reg, moving, 1, "restore", n)
	})
	if err != nil {
		return plan, err
	}
	in.tell(n)
	if len(plan.Records) > 0 {
		in.opts.Notify.say(LevelSuccess, "restored %d %s records to main", len(plan.Records), reg.Class)
	}
	return plan, nil
}

// purgeSet is a planned permanent delete: rows per table, heads to replace,
// files to delete.
type purgeSet struct {
	tables  []string           // tables in the order rows were added
	ids     map[string][]int64 // table → ids
	has     map[string]map[int64]bool
	heads   []rowInfo // versioned heads whose family keeps members
	reg     *registry.Registry
	records []rowInfo
	// early holds rows lamindb deletes before Django's collector runs, so
	// they protect nothing (table → ids).
	early map[string]map[int64]bool
	// occupied holds the child tables that have any row: lamindb has ~40
	// relations to an artifact, and most of their tables are empty.
	occupied map[string]bool
}

func (ps *purgeSet) add(table string, id int64) bool {
	if ps.has[table] == nil {
		ps.has[table] = map[int64]bool{}
		ps.tables = append(ps.tables, table)
	}
	if ps.has[table][id] {
		return false
	}
	ps.has[table][id] = true
	ps.ids[table] = append(ps.ids[table], id)
	return true
}

func registryByTable(table string) *registry.Registry {
	for _, r := range registry.All() {
		if r.Table == table {
			return r
		}
	}
	return nil
}

// registryName is the name of the registry stored in table.
func registryName(table string) string {
	if r := registryByTable(table); r != nil {
		return r.Name
	}
	return table
}

// planPurge computes a permanent delete: folder families, cascades, what
// protects the rows, and what happens to the bytes; it adds all of it to plan.
func (in *Instance) planPurge(ctx context.Context, qr querier, reg *registry.Registry, rows []rowInfo, o DeleteOptions, plan *Plan) (*purgeSet, error) {
	ps := &purgeSet{ids: map[string][]int64{}, has: map[string]map[int64]bool{}, reg: reg}
	if len(rows) == 0 {
		return ps, nil
	}
	// Folder families share one store: purging the head purges every version.
	if reg.Name == "artifact" {
		var more []rowInfo
		for _, r := range rows {
			if r.art.OverwriteVersions && r.art.IsLatest {
				fam, err := in.loadRows(ctx, qr, reg, in.db.PrefixRange("t.uid"), sqldb.PrefixArgs(r.art.Stem()))
				if err != nil {
					return nil, err
				}
				if len(fam) > 1 {
					in.opts.Notify.say(LevelImportant, "deleting all versions of this artifact because they all share the same store")
				}
				more = append(more, fam...)
			}
		}
		rows = append(rows, more...)
	}
	for _, r := range rows {
		if !ps.add(reg.Table, r.id) {
			continue
		}
		ps.records = append(ps.records, r)
		plan.Records = append(plan.Records, r.planRecord(reg.Name, "purge"))
		if r.locked {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: reg.Name, UID: r.uid, Reason: "locked", class: ErrLocked})
		}
	}
	for _, r := range ps.records {
		if reg.Versioned && r.latest && !(r.art != nil && r.art.OverwriteVersions) {
			ps.heads = append(ps.heads, r)
		}
	}
	in.checkBuiltins(reg, ps.records, plan)
	if reg.Name == "artifact" {
		if err := in.checkBeingSaved(ctx, qr, ps, plan); err != nil {
			return nil, err
		}
	}
	rels, err := in.relations(ctx, qr)
	if err != nil {
		return nil, err
	}
	if ps.occupied, err = occupiedTables(ctx, qr, rels); err != nil {
		return nil, err
	}
	if err := in.cascade(ctx, qr, rels, ps, plan); err != nil {
		return nil, err
	}
	if reg.Name == "transform" {
		// lamindb's _permanent_delete_transforms deletes the transforms'
		// TransformProject links itself before it deletes their runs, so a
		// link that one of those runs recorded (TransformProject.run, PROTECT)
		// does not protect the run. Here they go in the same transaction
		// (lamindb's steps share none): such a row protects nothing. Every
		// TransformProject row of a transform purge is a purged transform's:
		// the table cascades only through transform_id.
		ps.early = map[string]map[int64]bool{"lamindb_transformproject": ps.has["lamindb_transformproject"]}
	}
	if err := in.checkProtected(ctx, qr, rels, ps, plan); err != nil {
		return nil, err
	}
	if o.onlyLinks && len(plan.Records) > 0 {
		// The run cleanup deletes no record nobody asked about (runCleanup):
		// a cascaded row with a uid is a record, not a link.
		for _, c := range plan.Cascades {
			if c.UID != "" {
				plan.Blockers = append(plan.Blockers, Blocker{Registry: reg.Name, UID: plan.Records[0].UID, class: ErrRefused,
					Reason: fmt.Sprintf("its purge would delete %s %s along", registryClass(c.Registry), c.UID)})
				break
			}
		}
	}
	if reg.Name == "run" || reg.Name == "transform" {
		if err := in.planRunCleanup(ctx, qr, ps, plan); err != nil {
			return nil, err
		}
	}
	if reg.Name == "storage" {
		if err := in.checkStorageDelete(ctx, qr, ps.records, plan); err != nil {
			return nil, err
		}
	}
	if reg.Name == "artifact" {
		if err := in.planFiles(ctx, qr, ps, o, plan); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// cascade adds to ps, breadth first, every row that a CASCADE relation
// deletes along with the rows already in it, in any table: records, link
// rows, blocks, rows of tables that are not our registries. Each row is
// followed once; the cascaded rows are checked for protection like the
// addressed ones (checkProtected).
func (in *Instance) cascade(ctx context.Context, qr querier, rels relationSet, ps *purgeSet, plan *Plan) error {
	followed := map[string]int{} // table → how many of its ids were followed
	frontier := []string{ps.reg.Table}
	for len(frontier) > 0 {
		table := frontier[0]
		frontier = frontier[1:]
		ids := ps.ids[table][followed[table]:]
		followed[table] = len(ps.ids[table])
		if len(ids) == 0 {
			continue
		}
		for _, rel := range rels.to(table) {
			if rel.Rule != registry.Cascade || !ps.occupied[rel.Table] {
				continue
			}
			// Records (not link rows) are shown with their uid. Cascades are
			// declared lamindb relations only, whose tables all have an id.
			name, uidCol := registryName(rel.Table), "''"
			if rels.has(rel.Table, "uid") {
				uidCol = "CAST(uid AS TEXT)"
			}
			var added bool
			for _, c := range chunks(ids, 500) {
				found, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (PlanRecord, error) {
					pr := PlanRecord{Registry: name, Action: "cascade"}
					err := s.Scan(&pr.ID, &pr.UID)
					return pr, err
				}, `SELECT id, `+uidCol+` FROM `+ident(rel.Table)+` WHERE `+ident(rel.Column)+` IN (`+placeholders(len(c))+`)`, int64Args(c)...)
				if err != nil {
					return err
				}
				for _, pr := range found {
					if ps.add(rel.Table, pr.ID) {
						added = true
						plan.Cascades = append(plan.Cascades, pr)
					}
				}
			}
			if added {
				frontier = append(frontier, rel.Table)
			}
		}
	}
	return nil
}

// occupiedTables returns which of the tables that hold foreign keys have any
// row, in one statement (the transaction's view: a plan that cascades adds no
// rows, so it stays true while the plan is made).
func occupiedTables(ctx context.Context, qr querier, rels relationSet) (map[string]bool, error) {
	var tables []string
	seen := map[string]bool{}
	for _, rs := range rels.byParent {
		for _, r := range rs {
			if !seen[r.Table] {
				seen[r.Table] = true
				tables = append(tables, r.Table)
			}
		}
	}
	sort.Strings(tables)
	out := map[string]bool{}
	for _, c := range chunks(tables, 400) { // SQLite allows 500 terms in a compound SELECT
		parts := make([]string, len(c))
		for i, t := range c {
			parts[i] = `SELECT ` + strconv.Itoa(i) + ` WHERE EXISTS (SELECT 1 FROM ` + ident(t) + `)`
		}
		idx, err := sqldb.Int64s(ctx, qr, strings.Join(parts, ` UNION ALL `))
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			out[c[i]] = true
		}
	}
	return out, nil
}

// checkProtected adds a blocker for every row, in any table, known or not,
// that references a row of ps through a PROTECT relation. As in Django, a
// row that the same delete cascades away protects too: PROTECT is not
// RESTRICT (on-delete.md). Only the rows lamindb deletes before its collector
// runs (ps.early) protect nothing.
func (in *Instance) checkProtected(ctx context.Context, qr querier, rels relationSet, ps *purgeSet, plan *Plan) error {
	for _, table := range ps.tables {
		for _, rel := range rels.to(table) {
			if rel.Rule != registry.Protect || !ps.occupied[rel.Table] {
				continue
			}
			// Another module's table may lack an id column; its rows are
			// then named by table only.
			child := "-1"
			if rels.has(rel.Table, "id") {
				child = "c.id"
			}
			for _, c := range chunks(ps.ids[table], 500) {
				query := `SELECT ` + child + `, c.` + ident(rel.Column) + ` FROM ` + ident(rel.Table) + ` c WHERE c.` + ident(rel.Column) + ` IN (` + placeholders(len(c)) + `)`
				if rel.ParentColumn != "" {
					query = `SELECT ` + child + `, p.id FROM ` + ident(rel.Table) + ` c JOIN ` + ident(table) + ` p ON p.` + ident(rel.ParentColumn) + ` = c.` + ident(rel.Column) +
						` WHERE p.id IN (` + placeholders(len(c)) + `)`
				}
				type hit struct{ child, parent int64 }
				hits, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (hit, error) {
					var h hit
					err := s.Scan(&h.child, &h.parent)
					return h, err
				}, query, int64Args(c)...)
				if err != nil {
					return err
				}
				for _, h := range hits {
					if ps.early[rel.Table][h.child] {
						continue
					}
					b, err := in.protectBlocker(ctx, qr, rels, rel, table, h.child, h.parent)
					if err != nil {
						return err
					}
					if !dup(plan.Blockers, b) {
						plan.Blockers = append(plan.Blockers, b)
					}
				}
			}
		}
	}
	return nil
}

// protectBlocker describes a row that protects a parent from deletion.
func (in *Instance) protectBlocker(ctx context.Context, qr querier, rels relationSet, rel registry.Relation, parentTable string, child, parent int64) (Blocker, error) {
	b := Blocker{Registry: registryName(parentTable), Relation: rel.Name, class: ErrProtected}
	b.UID = fmt.Sprintf("id=%d", parent) // a row without uid: a link row
	if rels.has(parentTable, "uid") {
		if err := qr.QueryRowContext(ctx, `SELECT CAST(uid AS TEXT) FROM `+ident(parentTable)+` WHERE id = ?`, parent).Scan(&b.UID); err != nil {
			return b, err
		}
	}
	by, err := in.describeHolder(ctx, qr, rels, rel, child)
	if err != nil {
		return b, err
	}
	b.By = by
	b.Reason = "referenced through protected foreign key " + rel.Name
	if b.Registry == "storage" && rel.Table == "lamindb_artifact" {
		b.Reason = "Cannot delete storage with artifacts in current instance."
		b.Relation, b.By = "", ""
	}
	return b, nil
}

// ident quotes a table or column name for SQL: another module's tables may
// be named anything.
func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// checkBeingSaved refuses to purge artifacts whose bytes another save is
// still writing: the save would put bytes where no row is. A mark whose bytes
// are already in place (staging gone, final key there) is a finished save
// whose mark its process clears lazily: it does not block.
func (in *Instance) checkBeingSaved(ctx context.Context, qr querier, ps *purgeSet, plan *Plan) error {
	var any bool
	if err := qr.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM lamin_storing)`).Scan(&any); err != nil || !any {
		return err // no save anywhere in flight: the common case, one cheap query
	}
	byID := map[int64]rowInfo{}
	for _, r := range ps.records {
		byID[r.id] = r
	}
	for _, c := range chunks(ps.ids["lamindb_artifact"], 500) {
		type mark struct {
			id  int64
			tmp string
		}
		marks, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (mark, error) {
			var m mark
			err := s.Scan(&m.id, &m.tmp)
			return m, err
		}, `SELECT artifact_id, COALESCE(tmp_path, '') FROM lamin_storing WHERE artifact_id IN (`+placeholders(len(c))+`)`, int64Args(c)...)
		if err != nil {
			return err
		}
		for _, m := range marks {
			r := byID[m.id]
			if in.savedInPlace(ctx, qr, r.art, m.tmp) {
				continue
			}
			plan.Blockers = append(plan.Blockers, Blocker{Registry: "artifact", UID: r.uid, class: ErrRefused,
				Reason: "its bytes are still being saved (by a running or crashed process; `lamin check --repair` finishes crashed saves)"})
		}
	}
	return nil
}

// savedInPlace reports whether a marked save's bytes are in place: nothing
// left in staging, and the final key present.
func (in *Instance) savedInPlace(ctx context.Context, qr querier, a *Artifact, tmp string) bool {
	if a == nil {
		return false
	}
	s, err := in.storageByID(ctx, qr, a.StorageID)
	if err != nil {
		return false
	}
	st := in.store(s.Root)
	if tmp != "" {
		if _, err := st.Stat(ctx, tmp); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	_, err = st.Stat(ctx, a.StorageKey())
	return err == nil
}

func dup(bs []Blocker, b Blocker) bool {
	for _, x := range bs {
		if x.UID == b.UID && x.Reason == b.Reason && x.By == b.By {
			return true
		}
	}
	return false
}

// describeHolder names the record behind a protecting row: the row itself if
// it is a record (it has a uid), or, for a link row, the record that owns the
// link (the other side it cascades from).
func (in *Instance) describeHolder(ctx context.Context, qr querier, rels relationSet, rel registry.Relation, childID int64) (string, error) {
	if childID < 0 {
		return "a row of " + rel.Table, nil
	}
	if rels.has(rel.Table, "uid") {
		return describeRow(ctx, qr, rels, rel.Table, ident(rel.Table)+` o WHERE o.id = ?`, childID)
	}
	for _, other := range registry.Relations {
		if other.Table == rel.Table && other.Rule == registry.Cascade && other.Column != rel.Column &&
			rels.has(rel.Table, other.Column) && rels.has(other.ParentTable, "uid") {
			return describeRow(ctx, qr, rels, other.ParentTable, ident(rel.Table)+` l JOIN `+ident(other.ParentTable)+
				` o ON o.id = l.`+ident(other.Column)+` WHERE l.id = ?`, childID)
		}
	}
	return fmt.Sprintf("%s row %d", rel.Table, childID), nil
}

// describeRow formats the record o of table that from (a FROM clause with
// its WHERE) finds as Class 'uid' name.
func describeRow(ctx context.Context, qr querier, rels relationSet, table, from string, id int64) (string, error) {
	name := "''"
	if reg := registryByTable(table); reg != nil {
		name = "o." + ident(reg.NameField)
	} else {
		for _, c := range []string{"key", "name"} {
			if rels.has(table, c) {
				name = "o." + ident(c)
				break
			}
		}
	}
	var u, label string
	err := qr.QueryRowContext(ctx, `SELECT CAST(o.uid AS TEXT), COALESCE(CAST(`+name+` AS TEXT), '') FROM `+from, id).Scan(&u, &label)
	return strings.TrimSpace(fmt.Sprintf("%s '%s' %s", registryClass(registryName(table)), u, label)), err
}

// checkBuiltins refuses deleting the built-in branches, space and first user.
func (in *Instance) checkBuiltins(reg *registry.Registry, rows []rowInfo, plan *Plan) {
	for _, r := range rows {
		builtin := (reg.Name == "branch" && r.id >= -1 && r.id <= 1) || (reg.Name == "space" && r.id == 1) ||
			(reg.Name == "user" && r.id == in.user.ID)
		if builtin {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: reg.Name, UID: r.uid, class: ErrRefused,
				Reason: fmt.Sprintf("%s '%s' is built in and cannot be deleted", reg.Class, r.label)})
		}
	}
}

// checkStorageDelete applies lamindb's storage rules (spec §1.8): a managed
// location must hold no managed files and must not be the default.
func (in *Instance) checkStorageDelete(ctx context.Context, qr querier, rows []rowInfo, plan *Plan) error {
	for _, r := range rows {
		var instUID string
		if err := qr.QueryRowContext(ctx, `SELECT COALESCE(instance_uid, '') FROM lamindb_storage WHERE id = ?`, r.id).Scan(&instUID); err != nil {
			return err
		}
		if instUID != in.uid {
			continue
		}
		dir := joinRoot(r.label, managedDir)
		var objs []string
		var err error
		if isCloudRoot(r.label) {
			_, objs, err = splitManagedStore(ctx, in.store(r.label))
		} else if _, objs, err = splitManaged(dir, true); err != nil && !os.IsNotExist(err) {
			err = errorf(ErrStorage, "list %s: %v", dir, err)
		} else {
			err = nil
		}
		if err != nil {
			return err
		}
		if len(objs) > 0 {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: "storage", UID: r.uid, class: ErrNotEmpty, Reason: notEmptyMessage(dir, objs)})
		}
		if r.id == in.DefaultStorage().ID {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: "storage", UID: r.uid, class: ErrRefused,
				Reason: "Cannot delete the current storage location, switch to another."})
		}
		// SQLite in a bucket lives at the root the settings name; a local
		// database is found by its file.
		if (in.cloud != nil && strings.TrimSuffix(r.label, "/") == strings.TrimSuffix(in.settings.StorageRoot, "/")) ||
			(!isCloudRoot(r.label) && sameFile(filepath.Join(dir, dbFile), in.db.Path())) {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: "storage", UID: r.uid, class: ErrRefused,
				Reason: "Cannot delete the storage location that holds the instance's database; delete the instance instead."})
		}
	}
	return nil
}

// removeMarkers removes the markers of deleted storage locations this instance managed.
func (in *Instance) removeMarkers(rows []rowInfo) {
	for _, r := range rows {
		if isCloudRoot(r.label) {
			st := in.store(r.label)
			if m, err := readMarkerFrom(context.Background(), st); err == nil && m.instanceUID == in.uid {
				st.Delete(context.Background(), markerKey)
			}
			continue
		}
		root := filepath.FromSlash(r.label)
		if m, err := readMarker(markerPath(root)); err == nil && m.instanceUID == in.uid {
			fault.Remove(markerPath(root))
			fault.Remove(filepath.Join(root, managedDir)) // only if empty
		}
	}
}

// planFiles decides, per artifact, what happens to its bytes (spec §1.5).
func (in *Instance) planFiles(ctx context.Context, qr querier, ps *purgeSet, o DeleteOptions, plan *Plan) error {
	headGone := map[string]bool{}
	for _, r := range ps.records {
		if r.art.OverwriteVersions && r.art.IsLatest {
			headGone[r.art.Stem()] = true
		}
	}
	byPath := map[string]int{}
	for _, r := range ps.records {
		a := r.art
		st, err := in.storageByID(ctx, qr, a.StorageID)
		if err != nil {
			return err
		}
		f := PlanFile{root: st.Root, key: a.StorageKey(), isDir: a.NFiles != nil || a.OverwriteVersions}
		f.Path = joinRoot(st.Root, f.key)
		if a.Size != nil {
			f.Bytes = *a.Size
		}
		switch {
		case st.InstanceUID != in.uid:
			f.Action, f.Reason = "keep", "storage not managed by this instance"
			if o.Storage != "keep" {
				plan.Blockers = append(plan.Blockers, Blocker{Registry: "artifact", UID: a.UID, class: ErrForeignStorage,
					Reason: fmt.Sprintf("Cannot simply delete artifacts outside of this instance's managed storage locations. Pass --storage keep to delete only the metadata, or connect to the instance that manages %s (instance uid %s).", st.Root, st.InstanceUID)})
			}
		case a.OverwriteVersions && !a.IsLatest && !headGone[a.Stem()]:
			f.Action, f.Reason = "keep", "shared store of a folder family whose latest version stays"
		case o.Storage == "keep":
			f.Action, f.Reason = "keep", "--storage keep"
		case a.managedKey() || o.Storage == "delete":
			f.Action = "delete"
		case o.Permanent || o.Yes:
			f.Action, f.Reason = "keep", "file at a real path"
		default:
			f.Action, f.Reason = "ask", "file at a real path"
		}
		if i, ok := byPath[f.Path]; ok {
			if plan.Files[i].Action != "delete" && f.Action == "delete" {
				plan.Files[i].Action, plan.Files[i].Reason = "delete", ""
			}
			continue
		}
		byPath[f.Path] = len(plan.Files)
		plan.Files = append(plan.Files, f)
	}
	plan.sumBytes()
	return nil
}

func (p *Plan) sumBytes() {
	p.Bytes = 0
	for _, f := range p.Files {
		if f.Action == "delete" {
			p.Bytes += f.Bytes
		}
	}
}

// purgeTx deletes the rows of a planned purge, promotes successors, records
// purge intents for the bytes and audit events, in the caller's transaction.
// Every DELETE must remove exactly the planned rows, or nothing changes.
func (in *Instance) purgeTx(ctx context.Context, tx *sqldb.Tx, ps *purgeSet, plan *Plan, n *notes) error {
	if len(ps.tables) == 0 {
		return nil
	}
	reg := ps.reg
	now := in.now()
	for i := 0; i < len(ps.records); i += 100 {
		batch := ps.records[i:min(i+100, len(ps.records))]
		vals := make([]string, len(batch))
		args := make([]any, 0, 7*len(batch))
		for j, r := range batch {
			var size *int64
			if r.art != nil {
				size = r.art.Size
			}
			vals[j] = "(?, ?, 'purge', ?, ?, ?, ?, ?)"
			args = append(args, now, in.user.Handle, reg.Name, r.uid, r.id, r.branch, size)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_audit_event (created_at, user_handle, action, registry, record_uid, record_id, from_branch_id, bytes) VALUES `+
			strings.Join(vals, ", "), args...); err != nil {
			return err
		}
	}
	// Which heads have versions left to promote: asked before the rows go
	// (most records have a single version and need no promotion query).
	var headIDs []int64
	for _, h := range ps.heads {
		headIDs = append(headIDs, h.id)
	}
	siblings, err := withSiblings(ctx, tx, reg.Table, reg.StemLen, headIDs)
	if err != nil {
		return err
	}
	// Children first, so every foreign key holds at each step.
	for i := len(ps.tables) - 1; i >= 0; i-- {
		t := ps.tables[i]
		for _, c := range chunks(ps.ids[t], 500) {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE id IN (`+placeholders(len(c))+`)`, int64Args(c)...)
			if err != nil {
				return fmt.Errorf("delete from %s: %w", t, err)
			}
			if k, err := res.RowsAffected(); err != nil || k != int64(len(c)) {
				return errorf(ErrChanged, "changed meanwhile: %d of %d planned rows of %s were there to delete; nothing was deleted", k, len(c), t)
			}
		}
	}
	done := map[string]bool{}
	for _, h := range ps.heads {
		k := fmt.Sprintf("%s/%d", h.uid[:reg.StemLen], h.branch)
		if !siblings[h.id] || done[k] {
			continue
		}
		done[k] = true
		promoted, _, err := normalizeHeads(ctx, tx, reg.Table, h.uid[:reg.StemLen], h.branch, true)
		if err != nil {
			return err
		}
		if promoted != "" {
			n.add(LevelHint, "new latest %s version is: %s", reg.Class, promoted)
		}
	}
	var gone []PlanFile
	for _, f := range plan.Files {
		if f.Action == "delete" {
			gone = append(gone, f)
		}
	}
	for i := 0; i < len(gone); i += 100 {
		batch := gone[i:min(i+100, len(gone))]
		vals := make([]string, len(batch))
		args := make([]any, 0, 6*len(batch))
		for j, f := range batch {
			vals[j] = "(?, ?, ?, ?, ?, ?)"
			args = append(args, f.root, f.key, f.isDir, f.Bytes, in.owner, now)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_purge_intent (storage_root, path, is_dir, size, owner, created_at) VALUES `+
			strings.Join(vals, ", "), args...); err != nil {
			return err
		}
	}
	return nil
}

// finishPurge deletes the bytes recorded by a committed purge. Bytes that cannot
// be deleted stay recorded and are retried on the next open.
func (in *Instance) finishPurge(ctx context.Context, plan *Plan) error {
	for _, f := range plan.Files {
		if f.Action == "keep" && f.Reason != "" && !strings.HasPrefix(f.Reason, "shared store") {
			in.opts.Notify.say(LevelImportant, "a file/folder remains here: %s", f.Path)
		}
	}
	if !plan.anyFile("delete") {
		return nil
	}
	fault.Hit(fault.PurgeAfterCommit)
	// The bytes go even if the command was interrupted after the commit.
	ctx = context.WithoutCancel(ctx)
	its, err := in.ownIntents(ctx)
	if err != nil {
		return err
	}
	left, derr := in.deleteIntents(ctx, its)
	if len(left) > 0 {
		plan.Left = left
		return &Error{Class: ErrIncomplete, Err: derr,
			Msg: fmt.Sprintf("records deleted, but %d file(s) could not be deleted yet: %s (%v); the purge is recorded and will be retried when the instance is next opened (or run `lamin check --repair`)",
				len(left), strings.Join(left, ", "), derr)}
	}
	return nil
}

// reprByID formats a record for messages.
func (in *Instance) reprByID(ctx context.Context, reg *registry.Registry, id int64) string {
	if reg.Name == "artifact" {
		a, err := scanArtifact(in.db.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE id = ?`, id))
		if err == nil {
			return a.String()
		}
	}
	r, err := (&Query{in: in, reg: reg, fq: filter.Query{Reg: reg, Dialect: in.filterDialect()}}).getByID(ctx, in.db, id)
	if err != nil {
		return fmt.Sprintf("%s(id=%d)", reg.Class, id)
	}
	return r.String()
}

func (q *Query) getByID(ctx context.Context, qr querier, id int64) (Record, error) {
	fields := append([]string{"id"}, q.reg.List...)
	fq := filter.Query{Reg: q.reg, Scope: filter.All, Dialect: q.in.filterDialect()}
	c, err := filter.New(q.reg, "id", id)
	if err != nil {
		return Record{}, invalid(err)
	}
	fq.Conds = []filter.Cond{c}
	query, args, err := fq.Select(fields)
	if err != nil {
		return Record{}, invalid(err)
	}
	recs, err := q.in.scanRecords(ctx, qr, q.reg, fields, query, args)
	if err != nil {
		return Record{}, err
	}
	if len(recs) == 0 {
		return Record{}, errNoRow
	}
	return recs[0], nil
}

// errNoRow is getByID's answer for an id that is gone (deleted by another
// process, say, right after this one changed it).
var errNoRow = errorf(ErrNotFound, "the record no longer exists (it was deleted meanwhile)")
