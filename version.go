package lamindb

import (
	"context"
	"fmt"
	"sort"

	"github.com/lamindb-go/lamindb/internal/registry"
	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// Versions and is_latest (spec §1.4). A version family is every row whose uid
// starts with the family's stem; is_latest is per branch. Every way a record
// leaves or enters a branch (trash, restore, archive, update --branch, the
// implicit restore of a save) goes through moveTx, and every way one
// disappears (purge, an undone save) through normalizeHeads, so that each
// (family, branch) keeps one head:
//
//   - a head that leaves a branch where other versions remain hands is_latest
//     to the newest of them and loses it (lamindb); the last version of a
//     branch keeps it;
//   - on the branch a record enters, two heads are never left: the newest
//     keeps is_latest; and a non-trash branch whose versions have no head
//     gets its newest as head (lamindb leaves it without one, which wedges
//     later saves under that key);
//   - folder families (_overwrite_versions) share one store whose bytes are
//     the newest version's, so no older version is ever promoted.

// notes are messages of a transaction, told only once it has committed: a
// rolled-back change must not have said it happened.
type notes struct{ list []note }

type note struct {
	level Level
	msg   string
}

func (n *notes) add(l Level, format string, args ...any) {
	n.list = append(n.list, note{l, fmt.Sprintf(format, args...)})
}

// tell says the notes of a committed transaction.
func (in *Instance) tell(n *notes) {
	for _, x := range n.list {
		in.opts.Notify.say(x.level, "%s", x.msg)
	}
	n.list = nil
}

// moveTx moves records to branch to, with one audit event each, and keeps
// one head per family and branch (see above).
func (in *Instance) moveTx(ctx context.Context, tx *sqldb.Tx, reg *registry.Registry, rows []rowInfo, to int64, action string, n *notes) error {
	var ids []int64
	var moving []rowInfo
	for _, r := range rows {
		if r.branch != to {
			ids = append(ids, r.id)
			moving = append(moving, r)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := in.setBranch(ctx, tx, reg, ids, to, action); err != nil {
		return err
	}
	if !reg.Versioned {
		return nil
	}
	siblings, err := withSiblings(ctx, tx, reg.Table, reg.StemLen, ids)
	if err != nil {
		return err
	}
	type family struct {
		stem      string
		from      int64
		heads     []int64 // leaving heads
		overwrite bool
	}
	fams := map[string]*family{}
	for _, r := range moving {
		if !siblings[r.id] && r.latest {
			continue // a lone head stays its family's head wherever it goes
		}
		k := fmt.Sprintf("%s/%d", r.uid[:reg.StemLen], r.branch)
		f := fams[k]
		if f == nil {
			f = &family{stem: r.uid[:reg.StemLen], from: r.branch, overwrite: r.art != nil && r.art.OverwriteVersions}
			fams[k] = f
		}
		if r.latest {
			f.heads = append(f.heads, r.id)
		}
	}
	keys := make([]string, 0, len(fams))
	for k := range fams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := fams[k]
		if len(f.heads) > 0 && !f.overwrite {
			promoted, remain, err := normalizeHeads(ctx, tx, reg.Table, f.stem, f.from, true)
			if err != nil {
				return err
			}
			if remain {
				if _, err := tx.ExecContext(ctx, `UPDATE `+reg.Table+` SET is_latest = FALSE WHERE id IN (`+placeholders(len(f.heads))+`)`, int64Args(f.heads)...); err != nil {
					return err
				}
			}
			if promoted != "" {
				n.add(LevelHint, "new latest %s version is: %s", reg.Class, promoted)
			}
		}
		if _, _, err := normalizeHeads(ctx, tx, reg.Table, f.stem, to, to != -1 && !f.overwrite); err != nil {
			return err
		}
	}
	return nil
}

// normalizeHeads leaves at most one head of a family on a branch, the newest
// (created_at, then id); with promote, a branch whose versions have no head
// gets its newest as head. It returns the uid it promoted ("" if none) and
// whether the branch holds any version of the family.
func normalizeHeads(ctx context.Context, tx *sqldb.Tx, table, stem string, branch int64, promote bool) (promoted string, any bool, err error) {
	ms, err := familyOnBranch(ctx, tx, table, stem, branch)
	if err != nil || len(ms) == 0 {
		return "", false, err
	}
	// The newest head keeps is_latest, unless an older one is locked: a
	// locked record keeps every field, so the others give way to it.
	keeper := -1
	for i, m := range ms {
		if m.latest && (keeper < 0 || m.locked && !ms[keeper].locked) {
			keeper = i
		}
	}
	var extra []int64
	for i, m := range ms {
		if m.latest && i != keeper {
			if m.locked {
				return "", true, withHint(errorf(ErrLocked, "Cannot change this: version %s is locked ('is_locked=True') and would lose is_latest", m.uid), unlockHint(registryName(table), m.uid))
			}
			extra = append(extra, m.id)
		}
	}
	if len(extra) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET is_latest = FALSE WHERE id IN (`+placeholders(len(extra))+`)`, int64Args(extra)...); err != nil {
			return "", true, err
		}
	}
	if keeper >= 0 || !promote {
		return "", true, nil
	}
	if ms[0].locked {
		return "", true, withHint(errorf(ErrLocked, "Cannot change this: version %s would become the latest, but it is locked ('is_locked=True')", ms[0].uid), unlockHint(registryName(table), ms[0].uid))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET is_latest = TRUE WHERE id = ?`, ms[0].id); err != nil {
		return "", true, err
	}
	return ms[0].uid, true, nil
}

// unlockHint tells how to unlock a record of a registry (by name, e.g. "artifact").
func unlockHint(registry, uid string) string {
	return "unlock it first: lamin update " + registry + " --uid " + uid + " --locked false"
}

// member is one version of a family.
type member struct {
	id     int64
	uid    string
	latest bool
	locked bool
	branch int64
}

// familyOnBranch returns a family's versions on a branch, newest first.
func familyOnBranch(ctx context.Context, q querier, table, stem string, branch int64) ([]member, error) {
	return sqldb.Query(ctx, q, scanMember, `SELECT id, uid, is_latest, is_locked, branch_id FROM `+table+`
		WHERE `+sqldb.On(q).PrefixRange("uid")+` AND branch_id = ? ORDER BY created_at DESC, id DESC`, stem, stem+"~", branch)
}

// familyHeads returns a family's heads on every branch, main first, then
// other branches, the trash last.
func familyHeads(ctx context.Context, q querier, table, stem string) ([]member, error) {
	return sqldb.Query(ctx, q, scanMember, `SELECT id, uid, is_latest, is_locked, branch_id FROM `+table+`
		WHERE `+sqldb.On(q).PrefixRange("uid")+` AND is_latest = TRUE ORDER BY (branch_id = 1) DESC, (branch_id = -1) ASC, created_at DESC, id DESC`, stem, stem+"~")
}

func scanMember(s sqldb.Scanner) (member, error) {
	var m member
	err := s.Scan(&m.id, &m.uid, &m.latest, &m.locked, &m.branch)
	return m, err
}

// withSiblings returns the ids among ids whose version family has other
// members, in one query per 500: most records have a single version, and
// promotion need not look at them one by one.
func withSiblings(ctx context.Context, tx *sqldb.Tx, table string, stemLen int, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	stem := "substr(h.uid, 1, " + fmt.Sprint(stemLen) + ")"
	for _, c := range chunks(ids, 500) {
		found, err := sqldb.Int64s(ctx, tx, `SELECT h.id FROM `+table+` h WHERE h.id IN (`+placeholders(len(c))+`)
			AND EXISTS (SELECT 1 FROM `+table+` b WHERE `+sqldb.On(tx).ByteRange("b.uid", stem, "("+stem+" || '~')")+` AND b.id <> h.id)`, int64Args(c)...)
		if err != nil {
			return nil, err
		}
		for _, id := range found {
			out[id] = true
		}
	}
	return out, nil
}

// artifactByUID finds an artifact by full uid or 16-character stem on any
// branch; a stem prefers the head, then the newest version.
func (in *Instance) artifactByUID(ctx context.Context, q querier, u string) (*Artifact, error) {
	var row *sqldb.Row
	switch len(u) {
	case 20:
		row = q.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE uid = ?`, u)
	case 16:
		row = q.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE `+in.db.PrefixRange("uid")+`
			ORDER BY is_latest DESC, created_at DESC, id DESC LIMIT 1`, sqldb.PrefixArgs(u)...)
	default:
		return nil, errorf(ErrInvalid, "invalid artifact uid %q: expected 20 characters or a 16-character stem", u)
	}
	a, err := scanArtifact(row)
	if sqldb.IsNoRows(err) {
		return nil, withHint(errorf(ErrNotFound, "No record found with uid '%s'. Did you forget a keyword as in Artifact.get(key='%s')?", u, u),
			"list artifacts with `lamin list artifact --branch all`")
	}
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", u, err)
	}
	return a, nil
}
