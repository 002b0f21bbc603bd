package lamindb

import (
	"context"
	"fmt"

	"github.com/lamindb-go/lamindb/internal/sqldb"
)

// runKind is the kind of the report and environment artifacts lamindb makes
// for a run (spec §1.7).
const runKind = "__lamindb_run__"

// planRunCleanup lists in plan.Cleanup the report and environment artifacts
// of the runs a run or transform purge deletes. lamindb's
// _permanent_delete_runs collects report_id and environment_id (not plan_id)
// of the runs it is given (for a transform: the transform's runs, not the
// runs they initiated, which the collector cascades), and a detached process
// then deletes those artifacts, asserting each one's kind is __lamindb_run__;
// one that is not aborts the whole cleanup, so here any such artifact leaves
// all of them (plan.noCleanup says why).
func (in *Instance) planRunCleanup(ctx context.Context, qr querier, ps *purgeSet, plan *Plan) error {
	col := "id"
	if ps.reg.Name == "transform" {
		col = "transform_id"
	}
	ids := make([]int64, len(ps.records))
	for i, r := range ps.records {
		ids[i] = r.id
	}
	type art struct {
		rec  PlanRecord
		kind string
	}
	seen := map[int64]bool{}
	for _, c := range chunks(ids, 500) {
		ph := placeholders(len(c))
		arts, err := sqldb.Query(ctx, qr, func(s sqldb.Scanner) (art, error) {
			a := art{rec: PlanRecord{Registry: "artifact", Action: "cleanup"}}
			err := s.Scan(&a.rec.ID, &a.rec.UID, &a.rec.Name, &a.rec.BranchID, &a.kind)
			return a, err
		}, `SELECT a.id, a.uid, COALESCE(a.key, a.description, ''), a.branch_id, COALESCE(a.kind, '') FROM lamindb_artifact a
			WHERE a.id IN (SELECT report_id FROM lamindb_run WHERE `+col+` IN (`+ph+`) UNION SELECT environment_id FROM lamindb_run WHERE `+col+` IN (`+ph+`))
			ORDER BY a.id`, append(int64Args(c), int64Args(c)...)...)
		if err != nil {
			return err
		}
		for _, a := range arts {
			if seen[a.rec.ID] {
				continue
			}
			seen[a.rec.ID] = true
			if a.kind != runKind && plan.noCleanup == "" {
				plan.noCleanup = fmt.Sprintf("artifact %s is of kind %q, not %s", a.rec.UID, a.kind, runKind)
			}
			plan.Cleanup = append(plan.Cleanup, a.rec)
		}
	}
	if plan.noCleanup != "" {
		plan.Cleanup = nil
	}
	return nil
}

// runCleanup purges the artifacts of plan.Cleanup after the runs' purge has
// committed, each in its own permanent delete, as lamindb's _run_cleanup
// does: one that cannot go (say, another run's environment: Run.environment
// PROTECT) is reported and left, and the command still succeeds. Our
// choices: the cleanup runs in this process right away instead of in a
// detached one, so the artifacts are gone when the command returns (a crash
// in between leaves them, as lamindb's failed cleanup does); and an artifact
// whose purge would delete other records along (a transform whose
// environment it also is, Transform.environment CASCADE) is left, not
// deleted unasked.
func (in *Instance) runCleanup(ctx context.Context, plan *Plan) {
	if plan.DryRun {
		return
	}
	if plan.noCleanup != "" {
		in.opts.Notify.say(LevelWarning, "did not delete the runs' report and environment artifacts: %s", plan.noCleanup)
		return
	}
	for _, r := range plan.Cleanup {
		if _, err := in.Artifacts().UID(r.UID).Delete(ctx, DeleteOptions{Permanent: true, onlyLinks: true}); err != nil {
			in.opts.Notify.say(LevelWarning, "did not delete artifact %s: %v", r.UID, err)
			continue
		}
		in.opts.Notify.say(LevelSuccess, "deleted artifact %s, a report or environment of the deleted runs", r.UID)
	}
}
