// Package lamindb is lamindb — the data framework for biology and ML — in Go:
// a catalog of data artifacts (files, folders, tables) whose metadata lives in
// SQL (SQLite embedded by default) and whose bytes live in a storage folder,
// with versions and a record lifecycle users can trust: trash → restore →
// permanent delete.
//
// # Instances
//
// Init creates an instance: a database at <root>/.lamindb/lamin.db, a marker
// file .lamindb/storage_uid.txt, and settings in lamindb's settings folder
// ($LAMIN_SETTINGS_DIR/.lamin, default ~/.lamin). Instances are lamindb 2.9's:
// Open and Connect open what Python lamindb made, and Python opens ours. Open opens one by name, or the connected one; Connect makes one
// current; DeleteInstance removes it (refused while .lamindb/ holds artifacts).
//
//	inst, err := lamindb.Init(ctx, lamindb.InitOptions{Storage: "./test-delete"})
//	inst, err := lamindb.Open(ctx, "test-delete", lamindb.Options{})
//
// # Artifacts
//
// Save registers a file or folder (hashing it once, deduplicating on content,
// versioning by key), SaveTable an Arrow table as Parquet, SaveMany many at
// once. The bytes are copied to <root>/.lamindb/<uid><suffix> in two phases, so
// a crash never leaves a row without its bytes.
//
//	art, err := inst.Save(ctx, "raw/sample1.csv", lamindb.SaveOptions{Key: "raw/sample1.csv"})
//
// # Queries
//
// Every read goes through one filter builder with lamindb's default branch
// scope: main only, unless the query looks up by id, uid or hash, or names a
// branch.
//
//	res, err := inst.Artifacts().Filter("key__startswith", "raw/").Branch(lamindb.AllBranches).List(ctx)
//
// # Lifecycle
//
// Delete trashes on the first call and deletes permanently from the trash
// (after a confirmation) or with Permanent; Restore brings records back. Every
// destructive call can return its Plan without acting (DryRun), runs as
// set-based SQL in one transaction with an audit event per record, and deletes
// bytes only after the transaction commits, through purge intents that survive
// a crash.
//
//	plan, err := inst.Artifacts().UID(art.UID).Delete(ctx, lamindb.DeleteOptions{Permanent: true, DryRun: true})
//	_, err = inst.Artifacts().UID(art.UID).Restore(ctx, lamindb.RestoreOptions{})
//
// # Safety
//
// Every change is decided inside the write transaction that makes it. A
// question (Confirm) is asked with no transaction open; what it showed is read
// again afterwards, and a change that happened meanwhile makes the call change
// nothing (ErrChanged). Writers of several processes queue for SQLite's write
// lock. Storage writes are staged and laid out so that the repair on the next
// open (and Check with Repair) rolls a cut-off save, re-version or purge back
// or forward; unclaimed files are quarantined, not deleted, and only when
// older than a grace period. Options.ReadOnly opens an instance without
// migrating, repairing or writing anything (dry runs).
//
// # Errors
//
// Errors wrap one of ErrInvalid, ErrNotFound, ErrRefused (ErrProtected,
// ErrLocked, ErrNotEmpty, ErrForeignStorage, ErrAlreadyManaged, ErrTaken,
// ErrChanged, ErrBusy), ErrCancelled, ErrInterrupted and ErrFailure
// (ErrStorage, ErrDatabase, ErrReadOnly, ErrIncomplete); ExitCode maps them to
// the lamin command's exit codes.
package lamindb
