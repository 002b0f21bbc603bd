package lamindb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	Confirm func(prompt string) bool
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
	return PlanRecord{Registry: reg, ID: r.id, UID: r.uid, Name: r.label, BranchID: r.branch, Action: action}
}

// targets loads the records a destructive command acts on: the one addressed
// by uid or key, or every match of the filters (no limit).
func (q *Query) targets(ctx context.Context, bulkScope Branch) ([]rowInfo, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.uid != "" || q.key != "" {
		id, err := q.resolveOne(ctx)
		if err != nil {
			return nil, err
		}
		return q.in.loadRows(ctx, q.in.db, q.reg, `t.id = ?`, []any{id})
	}
	fq := q.fq
	if !q.scoped {
		fq.Scope = bulkScope
	}
	where, args, err := fq.Where()
	if err != nil {
		return nil, invalid(err)
	}
	return q.in.loadRows(ctx, q.in.db, q.reg, where, args)
}

func (in *Instance) loadRows(ctx context.Context, qr querier, reg *registry.Registry, where string, args []any) ([]rowInfo, error) {
	if reg.Name == "artifact" {
		rows, err := qr.QueryContext(ctx, `SELECT `+prefixCols(artifactCols, "t.")+` FROM lamindb_artifact t WHERE `+where+` ORDER BY t.id`, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []rowInfo
		for rows.Next() {
			a, err := scanArtifact(rows)
			if err != nil {
				return nil, err
			}
			r := rowInfo{id: a.ID, uid: a.UID, branch: a.BranchID, latest: a.IsLatest, locked: a.IsLocked, art: a}
			if a.Key != nil {
				r.label = *a.Key
			} else if a.Description != nil {
				r.label = *a.Description
			}
			out = append(out, r)
		}
		return out, rows.Err()
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
	rows, err := qr.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+reg.Table+` t WHERE `+where+` ORDER BY t.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rowInfo
	for rows.Next() {
		var r rowInfo
		if err := rows.Scan(&r.id, &r.uid, &r.label, &r.branch, &r.latest, &r.locked, &r.isType); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
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
			"unlock it first: lamin update "+strings.ToLower(class)+" --uid "+uid+" --locked false")
	}
	return nil
}

// Delete trashes or permanently deletes the addressed records (spec §1.2):
// records not in the trash go to the trash; records already in the trash, or
// all with Permanent, are deleted permanently after one confirmation for the
// whole set. Storage, user, branch and space records are deleted immediately.
// Rows, purge intents and audit events change in one transaction; bytes are
// deleted after it commits.
func (q *Query) Delete(ctx context.Context, o DeleteOptions) (*Plan, error) {
	if o.Storage != "" && o.Storage != "keep" && o.Storage != "delete" {
		return nil, errorf(ErrInvalid, "--storage takes keep or delete, not %q", o.Storage)
	}
	rows, err := q.targets(ctx, DefaultBranch)
	if err != nil {
		return nil, err
	}
	in, reg := q.in, q.reg
	plan := newPlan(reg.Name, o.DryRun)
	var trash, purge []rowInfo
	for _, r := range rows {
		if !reg.Trashable || o.Permanent || r.branch == -1 {
			purge = append(purge, r)
		} else {
			trash = append(trash, r)
		}
	}
	if reg.Name == "ulabel" && len(trash) > 0 {
		if trash, err = in.withDescendants(ctx, trash); err != nil {
			return nil, err
		}
	}
	for _, r := range trash {
		plan.Records = append(plan.Records, r.planRecord(reg.Name, "trash"))
		if r.locked {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: reg.Name, UID: r.uid, Reason: "locked", class: ErrLocked})
		}
	}
	ps, err := in.planPurge(ctx, reg, purge, o, plan)
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		return plan, nil
	}
	if err := blockedError(reg, plan, "delete"); err != nil {
		return plan, err
	}
	single := q.uid != "" || q.key != ""
	if len(purge) > 0 && reg.Trashable && !o.Permanent && !o.Yes {
		var prompt string
		if single {
			prompt = fmt.Sprintf("%s %s is already in trash! Are you sure you want to delete it from your database? You can't undo this action. (y/n) ", reg.Class, purge[0].uid)
		} else {
			prompt = fmt.Sprintf("%d %s records (%s in storage) are in the trash! Are you sure you want to delete them from your database? You can't undo this action. (y/n) ",
				len(purge), reg.Class, humanBytes(plan.Bytes))
		}
		if err := ask(o.Confirm, prompt, "the permanent delete"); err != nil {
			return plan, err
		}
	}
	if err := in.decideRealFiles(plan, o); err != nil {
		return plan, err
	}
	if err := in.db.Tx(ctx, func(tx *sqldb.Tx) error {
		if err := in.trashTx(ctx, tx, reg, trash); err != nil {
			return err
		}
		return in.purgeTx(ctx, tx, ps, plan)
	}); err != nil {
		return plan, err
	}
	switch {
	case single && len(trash) == 1:
		in.opts.Notify.say(LevelWarning, "moved record to trash (branch_id = -1): %s", in.reprByID(ctx, reg, trash[0].id))
	case len(trash) > 0:
		in.opts.Notify.say(LevelWarning, "moved %d records to trash (branch_id = -1)", len(trash))
	}
	if reg.Name == "storage" {
		in.forgetStorages()
		for _, r := range purge {
			os.Remove(filepath.Join(filepath.FromSlash(r.label), managedDir, markerFile))
		}
	}
	return plan, in.finishPurge(ctx, plan)
}

// ask puts a y/n question; no callback means nobody can answer.
func ask(confirm func(string) bool, prompt, what string) error {
	if confirm == nil {
		return withHint(errorf(ErrConfirmationNeeded, "%s needs a confirmation", what), "pass --yes (or --permanent) to confirm")
	}
	if !confirm(prompt) {
		return errorf(ErrCancelled, "cancelled: nothing was deleted")
	}
	return nil
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

func registryClass(name string) string {
	if r, err := registry.Lookup(name); err == nil {
		return r.Class
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
func (in *Instance) withDescendants(ctx context.Context, rows []rowInfo) ([]rowInfo, error) {
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
	desc, err := in.loadRows(ctx, in.db, reg, `t.id IN (WITH RECURSIVE d(id) AS (SELECT id FROM lamindb_ulabel WHERE type_id IN (`+
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

// trashTx moves rows to the trash and promotes a successor for every head
// that leaves its branch (spec §1.4).
func (in *Instance) trashTx(ctx context.Context, tx *sqldb.Tx, reg *registry.Registry, rows []rowInfo) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	moved := make(map[int64]bool, len(rows))
	for i, r := range rows {
		ids[i] = r.id
		moved[r.id] = true
	}
	if err := in.setBranch(ctx, tx, reg, ids, -1, "trash"); err != nil {
		return err
	}
	if !reg.Versioned {
		return nil
	}
	var heads []int64
	for _, r := range rows {
		if r.latest && !(r.art != nil && r.art.OverwriteVersions) {
			heads = append(heads, r.id)
		}
	}
	siblings, err := withSiblings(ctx, tx, reg.Table, reg.StemLen, heads)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if !siblings[r.id] || !r.latest || (r.art != nil && r.art.OverwriteVersions) {
			continue
		}
		promoted, err := promote(ctx, tx, reg.Table, r.uid[:reg.StemLen], r.branch, moved)
		if err != nil {
			return err
		}
		if promoted != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE `+reg.Table+` SET is_latest = 0 WHERE id = ?`, r.id); err != nil {
				return err
			}
			in.opts.Notify.say(LevelHint, "new latest %s version is: %s", reg.Class, promoted)
		}
	}
	return nil
}

// setBranch moves records to a branch and writes one audit event per record,
// set-based, in the caller's transaction.
func (in *Instance) setBranch(ctx context.Context, tx *sqldb.Tx, reg *registry.Registry, ids []int64, to int64, action string) error {
	now := in.now()
	for _, c := range chunks(ids, 500) {
		args := append([]any{now, in.user.Handle, action, reg.Name, to}, int64Args(c)...)
		if _, err := tx.ExecContext(ctx, `INSERT INTO lamin_audit_event (created_at, user_handle, action, registry, record_uid, record_id, from_branch_id, to_branch_id)
			SELECT ?, ?, ?, ?, uid, id, branch_id, ? FROM `+reg.Table+` WHERE id IN (`+placeholders(len(c))+`)`, args...); err != nil {
			return err
		}
		upd := `UPDATE ` + reg.Table + ` SET branch_id = ?`
		if _, ok := reg.Column("updated_at"); ok {
			upd += `, updated_at = '` + now + `'`
		}
		if _, err := tx.ExecContext(ctx, upd+` WHERE id IN (`+placeholders(len(c))+`)`, append([]any{to}, int64Args(c)...)...); err != nil {
			return err
		}
	}
	return nil
}

// moveBranch moves records by id to another branch (used by save's implicit restore).
func (in *Instance) moveBranch(ctx context.Context, tx *sqldb.Tx, regName string, ids []int64, to int64, action string) error {
	reg, err := registry.Lookup(regName)
	if err != nil {
		return err
	}
	return in.setBranch(ctx, tx, reg, ids, to, action)
}

// Restore moves the addressed records back to main (spec §1.12). It does not
// repair is_latest. Filters search the trash unless a branch is given.
func (q *Query) Restore(ctx context.Context, o RestoreOptions) (*Plan, error) {
	rows, err := q.targets(ctx, TrashBranch)
	if err != nil {
		return nil, err
	}
	reg := q.reg
	if !reg.HasBranch || !reg.Trashable {
		return nil, errorf(ErrInvalid, "%s records have no trash to restore from", reg.Class)
	}
	plan := newPlan(reg.Name, o.DryRun)
	var ids []int64
	for _, r := range rows {
		if r.branch == 1 {
			continue
		}
		plan.Records = append(plan.Records, r.planRecord(reg.Name, "restore"))
		ids = append(ids, r.id)
		if r.locked {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: reg.Name, UID: r.uid, Reason: "locked", class: ErrLocked})
		}
	}
	if o.DryRun || len(ids) == 0 {
		return plan, nil
	}
	if err := blockedError(reg, plan, "restore"); err != nil {
		return plan, err
	}
	err = q.in.db.Tx(ctx, func(tx *sqldb.Tx) error { return q.in.setBranch(ctx, tx, reg, ids, 1, "restore") })
	if err == nil {
		q.in.opts.Notify.say(LevelSuccess, "restored %d %s records to main", len(ids), reg.Class)
	}
	return plan, err
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

// planPurge computes a permanent delete: folder families, cascades, what
// protects the rows, and what happens to the bytes; it adds all of it to plan.
func (in *Instance) planPurge(ctx context.Context, reg *registry.Registry, rows []rowInfo, o DeleteOptions, plan *Plan) (*purgeSet, error) {
	ps := &purgeSet{ids: map[string][]int64{}, has: map[string]map[int64]bool{}, reg: reg}
	if len(rows) == 0 {
		return ps, nil
	}
	// Folder families share one store: purging the head purges every version.
	if reg.Name == "artifact" {
		var more []rowInfo
		for _, r := range rows {
			if r.art.OverwriteVersions && r.art.IsLatest {
				fam, err := in.loadRows(ctx, in.db, reg, `t.uid >= ? AND t.uid < ?`, []any{r.art.Stem(), r.art.Stem() + "~"})
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
	// CASCADE: walk the relations breadth first.
	frontier := []string{reg.Table}
	for len(frontier) > 0 {
		table := frontier[0]
		frontier = frontier[1:]
		parent := registryByTable(table)
		if parent == nil {
			continue
		}
		for _, rel := range registry.ReferencesTo(parent.Name) {
			if rel.Rule != registry.Cascade {
				continue
			}
			ids := ps.ids[table]
			for _, c := range chunks(ids, 500) {
				crows, err := in.db.QueryContext(ctx, `SELECT id FROM `+rel.Table+` WHERE `+rel.Column+` IN (`+placeholders(len(c))+`)`, int64Args(c)...)
				if err != nil {
					return nil, err
				}
				var found []int64
				for crows.Next() {
					var id int64
					crows.Scan(&id)
					found = append(found, id)
				}
				crows.Close() // before the next query: the connection is single
				var added bool
				for _, id := range found {
					if ps.add(rel.Table, id) {
						added = true
						pr := PlanRecord{Registry: rel.Table, ID: id, Action: "cascade"}
						if cr := registryByTable(rel.Table); cr != nil {
							pr.Registry = cr.Name
							in.db.QueryRowContext(ctx, `SELECT uid FROM `+rel.Table+` WHERE id = ?`, id).Scan(&pr.UID)
						}
						plan.Cascades = append(plan.Cascades, pr)
					}
				}
				if added {
					frontier = append(frontier, rel.Table)
				}
			}
		}
	}
	// PROTECT: any referencing row that is not itself going blocks the delete.
	for _, table := range ps.tables {
		parent := registryByTable(table)
		if parent == nil {
			continue
		}
		for _, rel := range registry.ReferencesTo(parent.Name) {
			if rel.Rule != registry.Protect {
				continue
			}
			for _, c := range chunks(ps.ids[table], 500) {
				brows, err := in.db.QueryContext(ctx, `SELECT id, `+rel.Column+` FROM `+rel.Table+` WHERE `+rel.Column+` IN (`+placeholders(len(c))+`)`, int64Args(c)...)
				if err != nil {
					return nil, err
				}
				type hit struct{ child, parent int64 }
				var hits []hit
				for brows.Next() {
					var h hit
					brows.Scan(&h.child, &h.parent)
					if !ps.has[rel.Table][h.child] {
						hits = append(hits, h)
					}
				}
				brows.Close()
				for _, h := range hits {
					b := Blocker{Registry: parent.Name, Relation: rel.Name, class: ErrProtected}
					in.db.QueryRowContext(ctx, `SELECT uid FROM `+table+` WHERE id = ?`, h.parent).Scan(&b.UID)
					b.By = in.describeHolder(ctx, rel, h.child)
					b.Reason = "referenced through protected foreign key " + rel.Name
					if parent.Name == "storage" && rel.Table == "lamindb_artifact" {
						b.Reason = "Cannot delete storage with artifacts in current instance."
						b.Relation, b.By = "", ""
						if dup(plan.Blockers, b) {
							continue
						}
					}
					plan.Blockers = append(plan.Blockers, b)
				}
			}
		}
	}
	if reg.Name == "storage" {
		in.checkStorageDelete(ctx, ps.records, plan)
	}
	if reg.Name == "artifact" {
		if err := in.planFiles(ctx, ps, o, plan); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func dup(bs []Blocker, b Blocker) bool {
	for _, x := range bs {
		if x.UID == b.UID && x.Reason == b.Reason {
			return true
		}
	}
	return false
}

// describeHolder names the record behind a protecting row: the row itself if
// it is a record, or, for a link row, the record that owns the link.
func (in *Instance) describeHolder(ctx context.Context, rel registry.Relation, childID int64) string {
	if cr := registryByTable(rel.Table); cr != nil {
		var u, name string
		in.db.QueryRowContext(ctx, `SELECT uid, COALESCE(CAST(`+cr.NameField+` AS TEXT), '') FROM `+rel.Table+` WHERE id = ?`, childID).Scan(&u, &name)
		return fmt.Sprintf("%s '%s' %s", cr.Class, u, name)
	}
	for _, other := range registry.Relations {
		if other.Table == rel.Table && other.Rule == registry.Cascade && other.Column != rel.Column {
			owner, _ := registry.Lookup(other.Parent)
			var u, name string
			in.db.QueryRowContext(ctx, `SELECT o.uid, COALESCE(CAST(o.`+owner.NameField+` AS TEXT), '') FROM `+rel.Table+` l JOIN `+owner.Table+
				` o ON o.id = l.`+other.Column+` WHERE l.id = ?`, childID).Scan(&u, &name)
			return strings.TrimSpace(fmt.Sprintf("%s '%s' %s", owner.Class, u, name))
		}
	}
	return fmt.Sprintf("%s id %d", rel.Table, childID)
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
func (in *Instance) checkStorageDelete(ctx context.Context, rows []rowInfo, plan *Plan) {
	for _, r := range rows {
		root := filepath.FromSlash(r.label)
		var instUID string
		in.db.QueryRowContext(ctx, `SELECT COALESCE(instance_uid, '') FROM lamindb_storage WHERE id = ?`, r.id).Scan(&instUID)
		if instUID != in.uid {
			continue
		}
		dir := filepath.Join(root, managedDir)
		var objs []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			if n == markerFile || strings.HasPrefix(n, dbFile) || n == stagingDir {
				continue
			}
			objs = append(objs, blockedObjects(filepath.Join(dir, n))...)
		}
		if len(objs) > 0 {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: "storage", UID: r.uid, class: ErrNotEmpty,
				Reason: fmt.Sprintf("'%s' contains %d objects:\n%s\ndelete them prior to deleting the storage location", dir, len(objs), strings.Join(objs, "\n"))})
		}
		if r.id == in.storage.ID {
			plan.Blockers = append(plan.Blockers, Blocker{Registry: "storage", UID: r.uid, class: ErrRefused,
				Reason: "Cannot delete the current storage location, switch to another."})
		}
	}
}

// planFiles decides, per artifact, what happens to its bytes (spec §1.5).
func (in *Instance) planFiles(ctx context.Context, ps *purgeSet, o DeleteOptions, plan *Plan) error {
	headGone := map[string]bool{}
	for _, r := range ps.records {
		if r.art.OverwriteVersions && r.art.IsLatest {
			headGone[r.art.Stem()] = true
		}
	}
	byPath := map[string]int{}
	for _, r := range ps.records {
		a := r.art
		st, err := in.storageByID(ctx, in.db, a.StorageID)
		if err != nil {
			return err
		}
		f := PlanFile{root: st.Root, key: a.StorageKey(), isDir: a.NFiles != nil || a.OverwriteVersions}
		f.Path = filepath.Join(filepath.FromSlash(st.Root), filepath.FromSlash(f.key))
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
	in.sumBytes(plan)
	return nil
}

func (in *Instance) sumBytes(plan *Plan) {
	plan.Bytes = 0
	for _, f := range plan.Files {
		if f.Action == "delete" {
			plan.Bytes += f.Bytes
		}
	}
}

// decideRealFiles answers, before anything changes, whether files at real
// paths go too: --storage decides; with --permanent or --yes they stay;
// otherwise one question for the whole set.
func (in *Instance) decideRealFiles(plan *Plan, o DeleteOptions) error {
	var asked []int
	for i, f := range plan.Files {
		if f.Action == "ask" {
			asked = append(asked, i)
		}
	}
	if len(asked) == 0 {
		return nil
	}
	decision := "keep"
	if !o.Permanent && !o.Yes && o.Confirm != nil {
		where := plan.Files[asked[0]].Path
		if len(asked) > 1 {
			var paths []string
			for _, i := range asked {
				paths = append(paths, plan.Files[i].Path)
			}
			where = fmt.Sprintf("%d paths (%s)", len(asked), strings.Join(paths, ", "))
		}
		if o.Confirm(fmt.Sprintf("Do you ALSO want to delete the data in storage at %s? (y/n) You can't undo this action.", where)) {
			decision = "delete"
		}
	}
	for _, i := range asked {
		plan.Files[i].Action = decision
		if decision == "keep" {
			plan.Files[i].Reason = "file at a real path"
		} else {
			plan.Files[i].Reason = ""
		}
	}
	in.sumBytes(plan)
	return nil
}

// purgeTx deletes the rows of a planned purge, promotes successors, records
// purge intents for the bytes and audit events, in the caller's transaction.
func (in *Instance) purgeTx(ctx context.Context, tx *sqldb.Tx, ps *purgeSet, plan *Plan) error {
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
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE id IN (`+placeholders(len(c))+`)`, int64Args(c)...); err != nil {
				return fmt.Errorf("delete from %s: %w", t, err)
			}
		}
	}
	for _, h := range ps.heads {
		if !siblings[h.id] {
			continue
		}
		promoted, err := promote(ctx, tx, reg.Table, h.uid[:reg.StemLen], h.branch, ps.has[reg.Table])
		if err != nil {
			return err
		}
		if promoted != "" {
			in.opts.Notify.say(LevelHint, "new latest %s version is: %s", reg.Class, promoted)
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
	fault(FaultPurgeAfterCommit)
	rows, err := in.db.QueryContext(ctx, `SELECT id, storage_root, path, owner FROM lamin_purge_intent WHERE owner = ? ORDER BY id`, in.owner)
	if err != nil {
		return err
	}
	var its []purgeIntent
	for rows.Next() {
		var it purgeIntent
		if err := rows.Scan(&it.id, &it.root, &it.path, &it.owner); err != nil {
			rows.Close()
			return err
		}
		its = append(its, it)
	}
	rows.Close()
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
	r, err := (&Query{in: in, reg: reg, fq: filter.Query{Reg: reg}}).getByID(ctx, id)
	if err != nil {
		return fmt.Sprintf("%s(id=%d)", reg.Class, id)
	}
	return r.String()
}

func (q *Query) getByID(ctx context.Context, id int64) (Record, error) {
	fields := append([]string{"id"}, q.reg.List...)
	fq := filter.Query{Reg: q.reg, Scope: filter.All}
	c, err := filter.New(q.reg, "id", id)
	if err != nil {
		return Record{}, invalid(err)
	}
	fq.Conds = []filter.Cond{c}
	query, args, err := fq.Select(fields)
	if err != nil {
		return Record{}, invalid(err)
	}
	recs, err := q.in.scanRecords(ctx, q.reg, fields, query, args)
	if err != nil {
		return Record{}, err
	}
	if len(recs) == 0 {
		return Record{}, errNoRow
	}
	return recs[0], nil
}

// errNoRow is getByID's answer for an id that is gone.
var errNoRow = errors.New("no such row")
