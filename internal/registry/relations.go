package registry

// Rule is what a permanent delete of the parent does to rows that reference it
// (Django's on_delete). The SQL schema has no ON DELETE clauses, as in
// lamindb, so the delete planner enforces these rules itself.
type Rule int

// The delete rules we need (spec §1.13).
const (
	// Protect refuses to delete the parent while a child row references it.
	Protect Rule = iota
	// Cascade deletes the referring child rows too, recursively.
	Cascade
)

// String returns "PROTECT" or "CASCADE", as Django spells them.
func (r Rule) String() string {
	switch r {
	case Protect:
		return "PROTECT"
	case Cascade:
		return "CASCADE"
	}
	return "Rule(?)"
}

// Relation is one foreign-key column of a child table and its delete rule.
type Relation struct {
	Table  string // child table, e.g. "lamindb_collectionartifact"
	Column string // FK column in Table, e.g. "artifact_id"
	Parent string // parent registry name, e.g. "artifact"
	Rule   Rule
	Name   string // how errors name it, e.g. "CollectionArtifact.artifact"
}

// rel builds a Relation whose Name is Class.field, the way Django's
// ProtectedError names the blocking relation.
func rel(table, class, column, parent string, rule Rule) Relation {
	return Relation{Table: table, Column: column, Parent: parent, Rule: rule,
		Name: class + "." + Column{Name: column}.Relation()}
}

// tracked returns the relations every branch-tracked SQLRecord table has
// (branch, created_on, space: all PROTECT, spec §1.13 "Branch", "Space").
func tracked(table, class string) []Relation {
	return []Relation{
		rel(table, class, "branch_id", "branch", Protect),
		rel(table, class, "created_on_id", "branch", Protect),
		rel(table, class, "space_id", "space", Protect),
	}
}

// Relations lists every foreign-key column of the tables we implement with
// its delete rule (spec §1.13 and §5). It drives the delete planner, the dry
// run and the texts of "protected" errors, and fills Column.FK. Artifact and
// Collection's schema_id have no relation: the schema table is not
// implemented. Space.created_by_id has no SQL REFERENCES clause in our schema
// but is a foreign key in lamindb (CASCADE), so it is listed.
var Relations = concat(
	tracked("lamindb_artifact", "Artifact"),
	[]Relation{
		rel("lamindb_artifact", "Artifact", "run_id", "run", Protect),
		rel("lamindb_artifact", "Artifact", "storage_id", "storage", Protect),
		rel("lamindb_artifact", "Artifact", "created_by_id", "user", Protect),
	},
	tracked("lamindb_collection", "Collection"),
	[]Relation{
		rel("lamindb_collection", "Collection", "meta_artifact_id", "artifact", Protect),
		rel("lamindb_collection", "Collection", "run_id", "run", Protect),
		rel("lamindb_collection", "Collection", "created_by_id", "user", Protect),

		rel("lamindb_collectionartifact", "CollectionArtifact", "artifact_id", "artifact", Protect),
		rel("lamindb_collectionartifact", "CollectionArtifact", "collection_id", "collection", Cascade),
		rel("lamindb_collectionartifact", "CollectionArtifact", "run_id", "run", Protect),
		rel("lamindb_collectionartifact", "CollectionArtifact", "created_by_id", "user", Protect),
	},
	tracked("lamindb_storage", "Storage"),
	[]Relation{
		rel("lamindb_storage", "Storage", "run_id", "run", Protect),
		rel("lamindb_storage", "Storage", "created_by_id", "user", Protect),
	},
	tracked("lamindb_transform", "Transform"),
	[]Relation{
		rel("lamindb_transform", "Transform", "environment_id", "artifact", Cascade),
		rel("lamindb_transform", "Transform", "plan_id", "artifact", Cascade),
		rel("lamindb_transform", "Transform", "created_by_id", "user", Protect),
		rel("lamindb_transform", "Transform", "run_id", "run", Protect),
	},
	tracked("lamindb_run", "Run"),
	[]Relation{
		rel("lamindb_run", "Run", "environment_id", "artifact", Protect),
		rel("lamindb_run", "Run", "plan_id", "artifact", Protect),
		rel("lamindb_run", "Run", "report_id", "artifact", Protect),
		rel("lamindb_run", "Run", "transform_id", "transform", Cascade),
		rel("lamindb_run", "Run", "created_by_id", "user", Cascade),
		rel("lamindb_run", "Run", "initiated_by_run_id", "run", Cascade),
	},
	[]Relation{
		rel("lamindb_ulabel", "ULabel", "type_id", "ulabel", Protect),
	},
	tracked("lamindb_ulabel", "ULabel"),
	[]Relation{
		rel("lamindb_ulabel", "ULabel", "created_by_id", "user", Protect),
		rel("lamindb_ulabel", "ULabel", "run_id", "run", Protect),

		rel("lamindb_branch", "Branch", "space_id", "space", Protect),
		rel("lamindb_branch", "Branch", "created_by_id", "user", Protect),

		rel("lamindb_space", "Space", "created_by_id", "user", Cascade),
	},
)

func concat(groups ...[]Relation) []Relation {
	var out []Relation
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// ReferencesTo returns the relations whose Parent is parent: the rows a
// permanent delete of a parent record must check (Protect) or delete along
// (Cascade).
func ReferencesTo(parent string) []Relation {
	var out []Relation
	for _, r := range Relations {
		if r.Parent == parent {
			out = append(out, r)
		}
	}
	return out
}
