// Package fault names the places where tests make a lamin process fail, pause
// or die, to prove that what it leaves behind is repaired or never harmful.
//
// The points are compiled in only with the build tag laminfault (the tests of
// cmd/lamin build the binary with it); in every other build Hit is an empty
// function the compiler removes, so no environment variable can make a
// release binary kill itself.
//
// With the tag, LAMIN_FAULT holds comma-separated rules POINT[@N][:ACTION]:
// the Nth time (default the first) the process passes POINT, ACTION happens:
//
//	kill        SIGKILL, no deferred cleanup runs, as in a real crash (default)
//	fail        Hit returns an error, as if the storage operation failed
//	pause=DUR   sleep DUR (time.ParseDuration), to widen a race window
//	wait=PATH   create PATH.reached, then wait until PATH exists
package fault

// The fault points, in the order a save, a purge or a repair passes them.
const (
	SaveAfterInsert  = "save-after-insert"  // row and mark committed, no bytes yet
	SaveMidWrite     = "save-mid-write"     // part of the bytes in the staging folder
	SaveAfterWrite   = "save-after-write"   // complete bytes staged, not renamed
	SaveAfterRename  = "save-after-rename"  // bytes in place, mark not cleared
	StoreRenameAside = "store-rename-aside" // re-version: old folder moved aside, new one not in place
	StoreRenameSwap  = "store-rename-swap"  // re-version: new folder in place, old one still aside
	StoreDeleteMid   = "store-delete-mid"   // a folder partly deleted
	PurgeAfterCommit = "purge-after-commit" // rows gone, intents recorded, bytes remain
	PurgeMidDelete   = "purge-mid-delete"   // some bytes deleted, intents remain
	DeleteBeforeTx   = "delete-before-tx"   // a delete planned (and asked), its transaction not begun
	CheckAfterRows   = "check-after-rows"   // a check read the rows, storage not listed yet
	CheckAfterList   = "check-after-list"   // a check listed storage, nothing repaired yet
	InitAfterMarker  = "init-after-marker"  // init wrote the marker, no database yet
	InitAfterDB      = "init-after-db"      // init made the database, no settings yet
)

// Points lists every fault point.
var Points = []string{SaveAfterInsert, SaveMidWrite, SaveAfterWrite, SaveAfterRename, StoreRenameAside,
	StoreRenameSwap, StoreDeleteMid, PurgeAfterCommit, PurgeMidDelete, DeleteBeforeTx, CheckAfterRows, CheckAfterList,
	InitAfterMarker, InitAfterDB}
