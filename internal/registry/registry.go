// Package registry describes, as data, every lamindb registry this module
// implements: its table, its physical columns and their types, lamindb's
// to_dataframe column order, its uid shape, and the foreign-key rules
// (PROTECT/CASCADE) that the delete planner enforces.
//
// Everything that needs to know "which columns does artifact have" or "what
// blocks deleting a storage" reads it from here, so the filter builder, the
// output code and the delete planner never disagree.
package registry

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknown is wrapped by every error about an unknown registry, field or
// lookup; callers map it to "invalid input" (exit code 2).
var ErrUnknown = errors.New("unknown")

// ColType is the kind of value a column stores; it decides how filter values
// are parsed and compared.
type ColType int

// The column types. Floats are not needed by the registries we implement.
const (
	// Int is integer, bigint or smallint: ids, foreign keys, counts.
	Int ColType = iota
	// Text is varchar or text.
	Text
	// Bool is SQLite's bool, stored as 0/1.
	Bool
	// Time is datetime, stored as UTC text "YYYY-MM-DD HH:MM:SS.ffffff".
	Time
	// JSON is JSON text (_aux, extra_data, params), compared as text.
	JSON
)

// String returns the type's name as used in error messages.
func (t ColType) String() string {
	switch t {
	case Int:
		return "integer"
	case Text:
		return "text"
	case Bool:
		return "boolean"
	case Time:
		return "datetime"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("ColType(%d)", int(t))
}

// Column is one physical column of a registry's table.
type Column struct {
	Name string
	Type ColType
	// FK is the parent registry's name for foreign-key columns to registries
	// we implement, "" otherwise. It is derived from Relations so the two
	// cannot drift apart.
	FK string
}

// Relation returns the relation's name as Django spells it: the column
// without its "_id" suffix ("storage" for storage_id).
func (c Column) Relation() string { return strings.TrimSuffix(c.Name, "_id") }

// Registry describes one lamindb registry.
type Registry struct {
	Name    string   // CLI name: "artifact", "collection", …
	Class   string   // lamindb class name: "Artifact", …
	Table   string   // SQL table: "lamindb_artifact", …
	Columns []Column // every physical column, in table order, private ones included
	// List is lamindb's to_dataframe column order without id (spec §2.4);
	// output puts "id" first, then these.
	List      []string
	HasBranch bool // has branch_id, so the default branch scope applies
	Trashable bool // can be moved to the trash (branch_id = -1)
	Versioned bool // uid = stem + 4-character version suffix; version_tag, is_latest
	StemLen   int  // uid stem length for versioned registries, else 0
	UIDLen    int  // full uid length
	// NameField is the field lamindb suggests in "Did you forget a keyword as in
	// {Class}.get({NameField}=…)?" and the natural human key of a record.
	NameField string

	byName map[string]int
}

// Column returns the column called name.
func (r *Registry) Column(name string) (Column, bool) {
	i, ok := r.byName[name]
	if !ok {
		return Column{}, false
	}
	return r.Columns[i], true
}

// ColumnNames returns the physical column names in table order.
func (r *Registry) ColumnNames() []string {
	out := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = c.Name
	}
	return out
}

// Fields returns the filterable field names in display order: id, the List
// columns, the remaining public columns (updated_at), then the private "_"
// ones. Error messages list them so users see the familiar fields first.
func (r *Registry) Fields() []string {
	out := []string{"id"}
	seen := map[string]bool{"id": true}
	for _, n := range r.List {
		out = append(out, n)
		seen[n] = true
	}
	for _, private := range []bool{false, true} {
		for _, c := range r.Columns {
			if !seen[c.Name] && strings.HasPrefix(c.Name, "_") == private {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

// Relations returns the names of the foreign keys that can be traversed with
// "__" (e.g. "storage" in storage__root), in table order.
func (r *Registry) Relations() []string {
	var out []string
	for _, c := range r.Columns {
		if c.FK != "" {
			out = append(out, c.Relation())
		}
	}
	return out
}

// col is shorthand for the declarations below.
func col(name string, t ColType) Column { return Column{Name: name, Type: t} }

// Shared column groups, in the order the lamindb schema declares them.
var (
	cID        = col("id", Int)
	cUID       = col("uid", Text)
	cCreatedAt = col("created_at", Time)
	cUpdatedAt = col("updated_at", Time)
	cIsLocked  = col("is_locked", Bool)
	cAux       = col("_aux", JSON)
)

// registries holds every registry; the order is the one CLI help and error
// messages use.
var registries = []*Registry{
	{
		Name: "artifact", Class: "Artifact", Table: "lamindb_artifact",
		Columns: []Column{
			col("version_tag", Text), col("is_latest", Bool), cIsLocked, cAux, cCreatedAt, cUpdatedAt, cID, cUID,
			col("key", Text), col("_real_key", Text), col("description", Text), col("suffix", Text), col("kind", Text),
			col("otype", Text), col("size", Int), col("hash", Text), col("n_files", Int), col("n_observations", Int),
			col("_hash_type", Text), col("_key_is_virtual", Bool), col("_overwrite_versions", Bool),
			col("branch_id", Int), col("created_on_id", Int), col("run_id", Int), col("schema_id", Int),
			col("space_id", Int), col("storage_id", Int), col("created_by_id", Int), col("extra_data", JSON),
		},
		List: []string{"uid", "key", "description", "suffix", "kind", "otype", "size", "hash", "n_files",
			"n_observations", "extra_data", "version_tag", "is_latest", "is_locked", "created_at", "branch_id",
			"created_on_id", "space_id", "storage_id", "run_id", "schema_id", "created_by_id"},
		HasBranch: true, Trashable: true, Versioned: true, StemLen: 16, UIDLen: 20, NameField: "key",
	},
	{
		Name: "collection", Class: "Collection", Table: "lamindb_collection",
		Columns: []Column{
			col("version_tag", Text), col("is_latest", Bool), cIsLocked, cAux, cCreatedAt, cUpdatedAt, cID, cUID,
			col("key", Text), col("description", Text), col("hash", Text), col("reference", Text),
			col("reference_type", Text), col("branch_id", Int), col("created_on_id", Int),
			col("meta_artifact_id", Int), col("run_id", Int), col("space_id", Int), col("created_by_id", Int),
			col("schema_id", Int),
		},
		List: []string{"uid", "key", "description", "hash", "reference", "reference_type", "version_tag",
			"is_latest", "is_locked", "created_at", "branch_id", "created_on_id", "space_id", "created_by_id",
			"run_id", "schema_id", "meta_artifact_id"},
		HasBranch: true, Trashable: true, Versioned: true, StemLen: 16, UIDLen: 20, NameField: "key",
	},
	{
		Name: "transform", Class: "Transform", Table: "lamindb_transform",
		Columns: []Column{
			col("version_tag", Text), col("is_latest", Bool), cIsLocked, cAux, cID, cUID,
			col("key", Text), col("description", Text), col("kind", Text), col("source_code", Text),
			col("hash", Text), col("reference", Text), col("reference_type", Text), cCreatedAt, cUpdatedAt,
			col("branch_id", Int), col("created_on_id", Int), col("environment_id", Int), col("plan_id", Int),
			col("space_id", Int), col("created_by_id", Int), col("run_id", Int),
		},
		List: []string{"uid", "key", "description", "kind", "source_code", "hash", "reference", "reference_type",
			"version_tag", "is_latest", "is_locked", "created_at", "branch_id", "created_on_id", "space_id",
			"environment_id", "plan_id", "run_id", "created_by_id"},
		HasBranch: true, Trashable: true, Versioned: true, StemLen: 12, UIDLen: 16, NameField: "key",
	},
	{
		Name: "run", Class: "Run", Table: "lamindb_run",
		Columns: []Column{
			cIsLocked, cAux, cUpdatedAt, cID, cUID,
			col("name", Text), col("description", Text), col("entrypoint", Text), col("started_at", Time),
			col("finished_at", Time), col("params", JSON), col("reference", Text), col("reference_type", Text),
			col("cli_args", Text), cCreatedAt, col("_is_consecutive", Bool), col("_status_code", Int),
			col("branch_id", Int), col("created_on_id", Int), col("environment_id", Int), col("plan_id", Int),
			col("report_id", Int), col("space_id", Int), col("transform_id", Int), col("created_by_id", Int),
			col("initiated_by_run_id", Int), col("extra_data", JSON),
		},
		List: []string{"uid", "name", "description", "entrypoint", "started_at", "finished_at", "params",
			"extra_data", "reference", "reference_type", "cli_args", "is_locked", "created_at", "branch_id",
			"created_on_id", "space_id", "transform_id", "report_id", "environment_id", "plan_id",
			"created_by_id", "initiated_by_run_id"},
		// A run uid is 16 random characters in a varchar(20) column; runs are not versioned.
		HasBranch: true, Trashable: true, UIDLen: 16, NameField: "started_at",
	},
	{
		Name: "ulabel", Class: "ULabel", Table: "lamindb_ulabel",
		Columns: []Column{
			cIsLocked, cAux, cCreatedAt, cUpdatedAt, cID, cUID,
			col("name", Text), col("description", Text), col("reference", Text), col("reference_type", Text),
			col("is_type", Bool), col("type_id", Int), col("branch_id", Int), col("created_on_id", Int),
			col("space_id", Int), col("created_by_id", Int), col("run_id", Int),
		},
		// ULabel's order is not in spec §2.4; it is derived the way Record's is
		// (same mixins: SQLRecord, HasType, TracksRun, TracksUpdates): body fields
		// name, description, reference, reference_type; then the moved fields
		// is_locked, is_type, created_at; then the foreign keys in model order
		// (branch, created_on, space from SQLRecord, created_by from TracksRun,
		// type from the body, run from TracksRun as Record places it). Record's
		// extra_data and schema_id do not exist on ULabel.
		List: []string{"uid", "name", "description", "reference", "reference_type", "is_locked", "is_type",
			"created_at", "branch_id", "created_on_id", "space_id", "created_by_id", "type_id", "run_id"},
		HasBranch: true, Trashable: true, UIDLen: 8, NameField: "name",
	},
	{
		Name: "storage", Class: "Storage", Table: "lamindb_storage",
		Columns: []Column{
			cIsLocked, cAux, cCreatedAt, cUpdatedAt, cID, cUID,
			col("root", Text), col("description", Text), col("type", Text), col("region", Text),
			col("instance_uid", Text), col("branch_id", Int), col("created_on_id", Int), col("run_id", Int),
			col("space_id", Int), col("created_by_id", Int),
		},
		List: []string{"uid", "root", "description", "type", "region", "instance_uid", "is_locked", "created_at",
			"branch_id", "created_on_id", "space_id", "created_by_id", "run_id"},
		// Storage has branch_id (so the default scope applies) but is deleted,
		// never trashed (spec §1.8).
		HasBranch: true, UIDLen: 12, NameField: "root",
	},
	{
		Name: "user", Class: "User", Table: "lamindb_user",
		Columns: []Column{
			cID, cUID, col("handle", Text), col("name", Text), cCreatedAt, cUpdatedAt,
		},
		List:   []string{"uid", "handle", "name", "created_at"},
		UIDLen: 8, NameField: "handle",
	},
	{
		Name: "branch", Class: "Branch", Table: "lamindb_branch",
		Columns: []Column{
			cID, cUID, col("name", Text), col("description", Text), cCreatedAt, col("space_id", Int),
			col("created_by_id", Int), col("_status_code", Int), cAux,
		},
		List:   []string{"uid", "name", "description", "created_at", "space_id", "created_by_id"},
		UIDLen: 12, NameField: "name",
	},
	{
		Name: "space", Class: "Space", Table: "lamindb_space",
		Columns: []Column{
			cID, cUID, col("name", Text), col("description", Text), cCreatedAt, col("created_by_id", Int),
		},
		List:   []string{"uid", "name", "description", "created_at", "created_by_id"},
		UIDLen: 12, NameField: "name",
	},
}

// aliases are lamindb 2023 registry names (File and Dataset became Artifact
// and Collection in 0.6x) so old scripts and muscle memory keep working.
var aliases = map[string]string{"file": "artifact", "dataset": "collection"}

var byName = map[string]*Registry{}

func init() {
	for _, r := range registries {
		byName[r.Name] = r
		r.byName = make(map[string]int, len(r.Columns))
		for i, c := range r.Columns {
			r.byName[c.Name] = i
		}
		// Only relations to our registries can be traversed (schema_id
		// points at lamindb_schema, which we do not implement).
		for _, rel := range Relations {
			if i, ok := r.byName[rel.Column]; ok && rel.Table == r.Table && rel.Parent != "" {
				r.Columns[i].FK = rel.Parent
			}
		}
	}
}

// Lookup returns the registry called name (a registry name, its class name or
// a lamindb 2023 alias, any case). An unknown name yields an error wrapping
// ErrUnknown that lists the registries.
func Lookup(name string) (*Registry, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := aliases[n]; ok {
		n = a
	}
	if r, ok := byName[n]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("%w registry '%s'; available registries: %s", ErrUnknown, name, strings.Join(Names(), ", "))
}

// All returns every registry in a fixed order.
func All() []*Registry {
	return append([]*Registry(nil), registries...)
}

// Names returns the registry names in the order of All.
func Names() []string {
	out := make([]string, len(registries))
	for i, r := range registries {
		out[i] = r.Name
	}
	return out
}
