package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/lamindb-go/lamindb/internal/fault"
)

// A lamin save commits the artifact's row before its bytes are in place, and
// marks the save in-flight only in our own lamin_storing table. Python
// lamindb knows nothing of that table; its own in-flight flag is the row's
// `_aux` {"so": 1} (`_storage_ongoing`), and when a hash lookup returns an
// artifact with that flag set it uploads the bytes again. Without the flag,
// `ln.Artifact(same_content).save()` during or after a crashed lamin save
// returns the row without bytes ("returning artifact with same hash"), and
// the next lamin open undoes the crashed save, deleting the row lamindb just
// handed to the user (reproduced with lamindb 2.9.1). With a collection
// linking it, the undo is refused on every open instead.
func TestHostileInFlightSaveFlaggedForLamindb(t *testing.T) {
	sqliteOnly(t) // reads the flag from SQLite's file while the save is stopped
	t.Parallel()
	e := newEnv(t)
	root := e.init("inst")
	e.write("new.txt", "new\n")
	e.killAt(fault.SaveAfterInsert, "save", "new.txt", "--key", "new.txt")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(root, ".lamindb", "lamin.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var so sql.NullInt64
	if err := db.QueryRow(`SELECT json_extract(_aux, '$.so') FROM lamindb_artifact WHERE key = 'new.txt'`).Scan(&so); err != nil {
		t.Fatal(err)
	}
	if !so.Valid || so.Int64 != 1 {
		t.Errorf(`a row whose bytes are not stored yet has no _aux {"so": 1}: lamindb's dedup hands it out as saved`)
	}
}
