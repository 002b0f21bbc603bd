package lamindb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// promoteSuccessor makes the newest remaining member of a version family on a
// branch its head (spec §1.4), if the branch has no head left. Members whose id
// is in exclude (being deleted) are skipped. It returns the promoted uid, or "".
func promoteSuccessor(ctx context.Context, tx *sqldb.Tx, table, stem string, branch int64, exclude map[int64]bool) error {
	_, err := promote(ctx, tx, table, stem, branch, exclude)
	return err
}

func promote(ctx context.Context, tx *sqldb.Tx, table, stem string, branch int64, exclude map[int64]bool) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, uid, is_latest FROM `+table+`
		WHERE uid >= ? AND uid < ? AND branch_id = ? ORDER BY created_at DESC, id DESC`, stem, stem+"~", branch)
	if err != nil {
		return "", err
	}
	var cand struct {
		id  int64
		uid string
	}
	for rows.Next() {
		var id int64
		var u string
		var latest bool
		if err := rows.Scan(&id, &u, &latest); err != nil {
			rows.Close()
			return "", err
		}
		if exclude[id] {
			continue
		}
		if latest { // the branch still has a head
			rows.Close()
			return "", nil
		}
		if cand.uid == "" {
			cand.id, cand.uid = id, u
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || cand.uid == "" {
		return "", err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+table+` SET is_latest = 1 WHERE id = ?`, cand.id)
	return cand.uid, err
}

// withSiblings returns the ids among heads whose version family has other
// members, in one query: most records have a single version, and promotion
// need not look at them one by one.
func withSiblings(ctx context.Context, tx *sqldb.Tx, table string, stemLen int, heads []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	for _, c := range chunks(heads, 500) {
		rows, err := tx.QueryContext(ctx, `SELECT h.id FROM `+table+` h WHERE h.id IN (`+placeholders(len(c))+`)
			AND EXISTS (SELECT 1 FROM `+table+` b WHERE b.uid >= substr(h.uid, 1, `+fmt.Sprint(stemLen)+`)
			AND b.uid < substr(h.uid, 1, `+fmt.Sprint(stemLen)+`) || '~' AND b.id <> h.id)`, int64Args(c)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// artifactByUIDTx finds an artifact by full uid or 16-character stem on any
// branch; a stem prefers the head, then the newest version.
func (in *Instance) artifactByUIDTx(ctx context.Context, q querier, u string) (*Artifact, error) {
	var row *sql.Row
	switch len(u) {
	case 20:
		row = q.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE uid = ?`, u)
	case 16:
		row = q.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM lamindb_artifact WHERE uid >= ? AND uid < ?
			ORDER BY is_latest DESC, created_at DESC, id DESC LIMIT 1`, u, u+"~")
	default:
		return nil, errorf(ErrInvalid, "invalid artifact uid %q: expected 20 characters or a 16-character stem", u)
	}
	a, err := scanArtifact(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, withHint(errorf(ErrNotFound, "No record found with uid '%s'. Did you forget a keyword as in Artifact.get(key='%s')?", u, u),
			"list artifacts with `lamin list artifact --branch all`")
	}
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", u, err)
	}
	return a, nil
}
