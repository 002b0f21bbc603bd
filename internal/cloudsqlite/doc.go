// Package cloudsqlite keeps an instance's SQLite database in object storage the
// way lamindb does: the file lives in the bucket at ".lamindb/lamin.db", every
// machine works on a local copy in its cache, and a writer uploads its copy
// after each write command while it holds lamindb's exclusion lock (the files
// under ".lamindb/_exclusion/<instance id>/"), so that two writers never
// overwrite each other's changes.
//
// Two parts:
//
//   - [Locker] takes and releases that lock. It speaks lamindb's protocol (a
//     Lamport bakery over one small object per participant: no rename and no
//     compare-and-swap, which S3 does not offer), so a Python lamindb session
//     and a lamin command exclude each other. It adds what lamindb lacks: one
//     slot per machine and user (processes on one machine queue on a kernel
//     file lock, so two of them never share a slot), a lease that a held lock
//     refreshes and that expires minutes after its holder died, not days, and
//     a re-read of the participant list that closes the late-joiner window.
//   - [DB] is the local copy: [Open] downloads the bucket's copy when it
//     changed, recovers what a killed command left, [DB.Push] uploads in one
//     PUT while the lease holds, [DB.Close] releases.
//
// docs/cloud-sqlite.md describes lamindb's files and timings, and where and
// why this package differs.
package cloudsqlite
