package lamindb

import (
	"context"
	"errors"
	"iter"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	ID        int64  `json:"id"`
	CreatedAt string `json:"created_at"`
	User      string `json:"user"`
	Action    string `json:"action"` // trash, restore, purge, archive, move, lock, unlock, update
	Registry  string `json:"registry"`
	UID       string `json:"uid"`
	RecordID  *int64 `json:"record_id"` // the row; a purged uid can come back as a new row
	From      *int64 `json:"from_branch_id"`
	To        *int64 `json:"to_branch_id"`
	Bytes     *int64 `json:"bytes"`
	Detail    string `json:"detail,omitempty"` // what an update changed, as JSON
}

// AuditLog returns the newest audit events first; limit 0 means all. It holds
// every event in memory: for long logs use AuditEvents.
func (in *Instance) AuditLog(ctx context.Context, limit int) ([]AuditEvent, error) {
	out := []AuditEvent{}
	for e, err := range in.AuditEvents(ctx, limit) {
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// AuditEvents yields the audit events newest first, as the database returns
// them (nothing is buffered); limit 0 means all. An error ends the sequence.
func (in *Instance) AuditEvents(ctx context.Context, limit int) iter.Seq2[AuditEvent, error] {
	return func(yield func(AuditEvent, error) bool) {
		q := `SELECT id, created_at, user_handle, action, registry, record_uid, record_id, from_branch_id, to_branch_id, bytes, COALESCE(detail, '') FROM lamin_audit_event ORDER BY id DESC`
		var args []any
		if limit > 0 {
			q += ` LIMIT ?`
			args = append(args, limit)
		}
		stop := false
		err := sqldb.Each(ctx, in.db, func(s sqldb.Scanner) error {
			var e AuditEvent
			var ts timeScanner
			if err := s.Scan(&e.ID, &ts, &e.User, &e.Action, &e.Registry, &e.UID, &e.RecordID, &e.From, &e.To, &e.Bytes, &e.Detail); err != nil {
				return err
			}
			e.CreatedAt = ts.t.Format("2006-01-02T15:04:05.000000Z")
			if !yield(e, nil) {
				stop = true
				return errStop
			}
			return nil
		}, q, args...)
		if err != nil && !stop {
			yield(AuditEvent{}, err)
		}
	}
}

// errStop ends an iteration early without being an error.
var errStop = errors.New("stop")
