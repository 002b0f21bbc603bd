package registry

import "strings"

// Rule is what a permanent delete of the parent does to rows that reference it
// (Django's on_delete). The SQL schema has no ON DELETE clauses, as in
// lamindb, so the delete planner enforces these rules itself.
type Rule int

// The delete rules lamindb uses: on-delete.md finds no SET_NULL, SET_DEFAULT,
// DO_NOTHING or RESTRICT among its 322 foreign keys.
const (
	// Protect refuses to delete the parent while a child row references it,
	// even a row the same delete would cascade away (Django has no exemption).
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
	Table       string // child table, e.g. "lamindb_artifactulabel"
	Column      string // FK column in Table, e.g. "artifact_id"
	ParentTable string // referenced table, e.g. "lamindb_artifact"
	// Parent is the registry stored in ParentTable ("artifact"), or "" when
	// that table is not one we implement (lamindb_feature, lamindb_schema, …).
	Parent string
	// ParentColumn is the referenced column when it is not ParentTable's id:
	// every lamindb foreign key references id, another module's might not.
	ParentColumn string
	Rule         Rule
	Name         string // Django's name in errors: Model.field, e.g. "ArtifactULabel.artifact"
}

// fk declares one relation; Parent follows from the parent table.
func fk(table, column, parentTable string, rule Rule, name string) Relation {
	r := Relation{Table: table, Column: column, ParentTable: parentTable, Rule: rule, Name: name}
	for _, reg := range registries {
		if reg.Table == parentTable {
			r.Parent = reg.Name
		}
	}
	return r
}

// Relations lists every foreign key of lamindb 2.9.1's tables, all 322 of
// reference/lamindb-2.9.1/on-delete.md, with Django's on_delete rule and name,
// grouped by child table. It drives the delete planner, the dry run and the
// texts of "protected" errors, and fills Column.FK. Names follow Django:
// inherited fields (TracksRun.run, SQLRecord.branch, …) are named after the
// concrete model (ArtifactULabel.run), auto-created M2M through models are
// Owner_field (Artifact_input_of_runs.run). A relation whose table a database
// lacks is skipped there; foreign keys a database has beyond these (bionty,
// other modules) are PROTECT, read when an instance is opened.
var Relations = []Relation{
	fk("lamindb_artifact", "branch_id", "lamindb_branch", Protect, "Artifact.branch"),
	fk("lamindb_artifact", "created_by_id", "lamindb_user", Protect, "Artifact.created_by"),
	fk("lamindb_artifact", "created_on_id", "lamindb_branch", Protect, "Artifact.created_on"),
	fk("lamindb_artifact", "run_id", "lamindb_run", Protect, "Artifact.run"),
	fk("lamindb_artifact", "schema_id", "lamindb_schema", Protect, "Artifact.schema"),
	fk("lamindb_artifact", "space_id", "lamindb_space", Protect, "Artifact.space"),
	fk("lamindb_artifact", "storage_id", "lamindb_storage", Protect, "Artifact.storage"),

	fk("lamindb_artifact__actions", "from_artifact_id", "lamindb_artifact", Cascade, "Artifact__actions.from_artifact"),
	fk("lamindb_artifact__actions", "to_artifact_id", "lamindb_artifact", Cascade, "Artifact__actions.to_artifact"),

	fk("lamindb_artifact_input_of_runs", "artifact_id", "lamindb_artifact", Cascade, "Artifact_input_of_runs.artifact"),
	fk("lamindb_artifact_input_of_runs", "run_id", "lamindb_run", Cascade, "Artifact_input_of_runs.run"),

	fk("lamindb_artifact_recreating_runs", "artifact_id", "lamindb_artifact", Cascade, "Artifact_recreating_runs.artifact"),
	fk("lamindb_artifact_recreating_runs", "run_id", "lamindb_run", Cascade, "Artifact_recreating_runs.run"),

	fk("lamindb_artifactartifact", "artifact_id", "lamindb_artifact", Cascade, "ArtifactArtifact.artifact"),
	fk("lamindb_artifactartifact", "created_by_id", "lamindb_user", Protect, "ArtifactArtifact.created_by"),
	fk("lamindb_artifactartifact", "feature_id", "lamindb_feature", Protect, "ArtifactArtifact.feature"),
	fk("lamindb_artifactartifact", "run_id", "lamindb_run", Protect, "ArtifactArtifact.run"),
	fk("lamindb_artifactartifact", "value_id", "lamindb_artifact", Cascade, "ArtifactArtifact.value"),

	fk("lamindb_artifactblock", "artifact_id", "lamindb_artifact", Cascade, "ArtifactBlock.artifact"),
	fk("lamindb_artifactblock", "branch_id", "lamindb_branch", Protect, "ArtifactBlock.branch"),
	fk("lamindb_artifactblock", "created_by_id", "lamindb_user", Protect, "ArtifactBlock.created_by"),
	fk("lamindb_artifactblock", "created_on_id", "lamindb_branch", Protect, "ArtifactBlock.created_on"),

	fk("lamindb_artifactjsonvalue", "artifact_id", "lamindb_artifact", Cascade, "ArtifactJsonValue.artifact"),
	fk("lamindb_artifactjsonvalue", "created_by_id", "lamindb_user", Protect, "ArtifactJsonValue.created_by"),
	fk("lamindb_artifactjsonvalue", "jsonvalue_id", "lamindb_jsonvalue", Protect, "ArtifactJsonValue.jsonvalue"),
	fk("lamindb_artifactjsonvalue", "run_id", "lamindb_run", Protect, "ArtifactJsonValue.run"),

	fk("lamindb_artifactproject", "artifact_id", "lamindb_artifact", Cascade, "ArtifactProject.artifact"),
	fk("lamindb_artifactproject", "created_by_id", "lamindb_user", Protect, "ArtifactProject.created_by"),
	fk("lamindb_artifactproject", "feature_id", "lamindb_feature", Protect, "ArtifactProject.feature"),
	fk("lamindb_artifactproject", "project_id", "lamindb_project", Protect, "ArtifactProject.project"),
	fk("lamindb_artifactproject", "run_id", "lamindb_run", Protect, "ArtifactProject.run"),

	fk("lamindb_artifactrecord", "artifact_id", "lamindb_artifact", Cascade, "ArtifactRecord.artifact"),
	fk("lamindb_artifactrecord", "created_by_id", "lamindb_user", Protect, "ArtifactRecord.created_by"),
	fk("lamindb_artifactrecord", "feature_id", "lamindb_feature", Protect, "ArtifactRecord.feature"),
	fk("lamindb_artifactrecord", "record_id", "lamindb_record", Protect, "ArtifactRecord.record"),
	fk("lamindb_artifactrecord", "run_id", "lamindb_run", Protect, "ArtifactRecord.run"),

	fk("lamindb_artifactreference", "artifact_id", "lamindb_artifact", Cascade, "ArtifactReference.artifact"),
	fk("lamindb_artifactreference", "created_by_id", "lamindb_user", Protect, "ArtifactReference.created_by"),
	fk("lamindb_artifactreference", "feature_id", "lamindb_feature", Protect, "ArtifactReference.feature"),
	fk("lamindb_artifactreference", "reference_id", "lamindb_reference", Protect, "ArtifactReference.reference"),
	fk("lamindb_artifactreference", "run_id", "lamindb_run", Protect, "ArtifactReference.run"),

	fk("lamindb_artifactrun", "artifact_id", "lamindb_artifact", Cascade, "ArtifactRun.artifact"),
	fk("lamindb_artifactrun", "created_by_id", "lamindb_user", Protect, "ArtifactRun.created_by"),
	fk("lamindb_artifactrun", "feature_id", "lamindb_feature", Protect, "ArtifactRun.feature"),
	fk("lamindb_artifactrun", "run_id", "lamindb_run", Cascade, "ArtifactRun.run"),

	fk("lamindb_artifactschema", "artifact_id", "lamindb_artifact", Cascade, "ArtifactSchema.artifact"),
	fk("lamindb_artifactschema", "created_by_id", "lamindb_user", Protect, "ArtifactSchema.created_by"),
	fk("lamindb_artifactschema", "run_id", "lamindb_run", Protect, "ArtifactSchema.run"),
	fk("lamindb_artifactschema", "schema_id", "lamindb_schema", Protect, "ArtifactSchema.schema"),

	fk("lamindb_artifactulabel", "artifact_id", "lamindb_artifact", Cascade, "ArtifactULabel.artifact"),
	fk("lamindb_artifactulabel", "created_by_id", "lamindb_user", Protect, "ArtifactULabel.created_by"),
	fk("lamindb_artifactulabel", "feature_id", "lamindb_feature", Protect, "ArtifactULabel.feature"),
	fk("lamindb_artifactulabel", "run_id", "lamindb_run", Protect, "ArtifactULabel.run"),
	fk("lamindb_artifactulabel", "ulabel_id", "lamindb_ulabel", Protect, "ArtifactULabel.ulabel"),

	fk("lamindb_artifactuser", "artifact_id", "lamindb_artifact", Cascade, "ArtifactUser.artifact"),
	fk("lamindb_artifactuser", "created_by_id", "lamindb_user", Protect, "ArtifactUser.created_by"),
	fk("lamindb_artifactuser", "feature_id", "lamindb_feature", Protect, "ArtifactUser.feature"),
	fk("lamindb_artifactuser", "run_id", "lamindb_run", Protect, "ArtifactUser.run"),
	fk("lamindb_artifactuser", "user_id", "lamindb_user", Protect, "ArtifactUser.user"),

	fk("lamindb_block", "anchor_id", "lamindb_block", Protect, "Block.anchor"),
	fk("lamindb_block", "branch_id", "lamindb_branch", Protect, "Block.branch"),
	fk("lamindb_block", "created_by_id", "lamindb_user", Protect, "Block.created_by"),
	fk("lamindb_block", "created_on_id", "lamindb_branch", Protect, "Block.created_on"),
	fk("lamindb_block", "space_id", "lamindb_space", Protect, "Block.space"),

	fk("lamindb_blockproject", "block_id", "lamindb_block", Cascade, "BlockProject.block"),
	fk("lamindb_blockproject", "created_by_id", "lamindb_user", Protect, "BlockProject.created_by"),
	fk("lamindb_blockproject", "project_id", "lamindb_project", Protect, "BlockProject.project"),
	fk("lamindb_blockproject", "run_id", "lamindb_run", Protect, "BlockProject.run"),

	fk("lamindb_branch", "created_by_id", "lamindb_user", Protect, "Branch.created_by"),
	fk("lamindb_branch", "space_id", "lamindb_space", Protect, "Branch.space"),

	fk("lamindb_branchblock", "branch_id", "lamindb_branch", Cascade, "BranchBlock.branch"),
	fk("lamindb_branchblock", "created_by_id", "lamindb_user", Protect, "BranchBlock.created_by"),

	fk("lamindb_branchproject", "branch_id", "lamindb_branch", Cascade, "BranchProject.branch"),
	fk("lamindb_branchproject", "project_id", "lamindb_project", Protect, "BranchProject.project"),

	fk("lamindb_branchulabel", "branch_id", "lamindb_branch", Cascade, "BranchULabel.branch"),
	fk("lamindb_branchulabel", "ulabel_id", "lamindb_ulabel", Protect, "BranchULabel.ulabel"),

	fk("lamindb_branchuser", "branch_id", "lamindb_branch", Cascade, "BranchUser.branch"),
	fk("lamindb_branchuser", "user_id", "lamindb_user", Protect, "BranchUser.user"),

	fk("lamindb_collection", "branch_id", "lamindb_branch", Protect, "Collection.branch"),
	fk("lamindb_collection", "created_by_id", "lamindb_user", Protect, "Collection.created_by"),
	fk("lamindb_collection", "created_on_id", "lamindb_branch", Protect, "Collection.created_on"),
	fk("lamindb_collection", "meta_artifact_id", "lamindb_artifact", Protect, "Collection.meta_artifact"),
	fk("lamindb_collection", "run_id", "lamindb_run", Protect, "Collection.run"),
	fk("lamindb_collection", "schema_id", "lamindb_schema", Protect, "Collection.schema"),
	fk("lamindb_collection", "space_id", "lamindb_space", Protect, "Collection.space"),

	fk("lamindb_collection__actions", "artifact_id", "lamindb_artifact", Cascade, "Collection__actions.artifact"),
	fk("lamindb_collection__actions", "collection_id", "lamindb_collection", Cascade, "Collection__actions.collection"),

	fk("lamindb_collection_input_of_runs", "collection_id", "lamindb_collection", Cascade, "Collection_input_of_runs.collection"),
	fk("lamindb_collection_input_of_runs", "run_id", "lamindb_run", Cascade, "Collection_input_of_runs.run"),

	fk("lamindb_collection_recreating_runs", "collection_id", "lamindb_collection", Cascade, "Collection_recreating_runs.collection"),
	fk("lamindb_collection_recreating_runs", "run_id", "lamindb_run", Cascade, "Collection_recreating_runs.run"),

	fk("lamindb_collectionartifact", "artifact_id", "lamindb_artifact", Protect, "CollectionArtifact.artifact"),
	fk("lamindb_collectionartifact", "collection_id", "lamindb_collection", Cascade, "CollectionArtifact.collection"),
	fk("lamindb_collectionartifact", "created_by_id", "lamindb_user", Protect, "CollectionArtifact.created_by"),
	fk("lamindb_collectionartifact", "run_id", "lamindb_run", Protect, "CollectionArtifact.run"),

	fk("lamindb_collectionblock", "branch_id", "lamindb_branch", Protect, "CollectionBlock.branch"),
	fk("lamindb_collectionblock", "collection_id", "lamindb_collection", Cascade, "CollectionBlock.collection"),
	fk("lamindb_collectionblock", "created_by_id", "lamindb_user", Protect, "CollectionBlock.created_by"),
	fk("lamindb_collectionblock", "created_on_id", "lamindb_branch", Protect, "CollectionBlock.created_on"),

	fk("lamindb_collectionproject", "collection_id", "lamindb_collection", Cascade, "CollectionProject.collection"),
	fk("lamindb_collectionproject", "created_by_id", "lamindb_user", Protect, "CollectionProject.created_by"),
	fk("lamindb_collectionproject", "project_id", "lamindb_project", Protect, "CollectionProject.project"),
	fk("lamindb_collectionproject", "run_id", "lamindb_run", Protect, "CollectionProject.run"),

	fk("lamindb_collectionrecord", "collection_id", "lamindb_collection", Cascade, "CollectionRecord.collection"),
	fk("lamindb_collectionrecord", "created_by_id", "lamindb_user", Protect, "CollectionRecord.created_by"),
	fk("lamindb_collectionrecord", "feature_id", "lamindb_feature", Protect, "CollectionRecord.feature"),
	fk("lamindb_collectionrecord", "record_id", "lamindb_record", Protect, "CollectionRecord.record"),
	fk("lamindb_collectionrecord", "run_id", "lamindb_run", Protect, "CollectionRecord.run"),

	fk("lamindb_collectionreference", "collection_id", "lamindb_collection", Cascade, "CollectionReference.collection"),
	fk("lamindb_collectionreference", "created_by_id", "lamindb_user", Protect, "CollectionReference.created_by"),
	fk("lamindb_collectionreference", "reference_id", "lamindb_reference", Protect, "CollectionReference.reference"),
	fk("lamindb_collectionreference", "run_id", "lamindb_run", Protect, "CollectionReference.run"),

	fk("lamindb_collectionulabel", "collection_id", "lamindb_collection", Cascade, "CollectionULabel.collection"),
	fk("lamindb_collectionulabel", "created_by_id", "lamindb_user", Protect, "CollectionULabel.created_by"),
	fk("lamindb_collectionulabel", "feature_id", "lamindb_feature", Protect, "CollectionULabel.feature"),
	fk("lamindb_collectionulabel", "run_id", "lamindb_run", Protect, "CollectionULabel.run"),
	fk("lamindb_collectionulabel", "ulabel_id", "lamindb_ulabel", Protect, "CollectionULabel.ulabel"),

	fk("lamindb_feature", "branch_id", "lamindb_branch", Protect, "Feature.branch"),
	fk("lamindb_feature", "created_by_id", "lamindb_user", Protect, "Feature.created_by"),
	fk("lamindb_feature", "created_on_id", "lamindb_branch", Protect, "Feature.created_on"),
	fk("lamindb_feature", "run_id", "lamindb_run", Protect, "Feature.run"),
	fk("lamindb_feature", "space_id", "lamindb_space", Protect, "Feature.space"),
	fk("lamindb_feature", "type_id", "lamindb_feature", Protect, "Feature.type"),

	fk("lamindb_featureblock", "branch_id", "lamindb_branch", Protect, "FeatureBlock.branch"),
	fk("lamindb_featureblock", "created_by_id", "lamindb_user", Protect, "FeatureBlock.created_by"),
	fk("lamindb_featureblock", "created_on_id", "lamindb_branch", Protect, "FeatureBlock.created_on"),
	fk("lamindb_featureblock", "feature_id", "lamindb_feature", Cascade, "FeatureBlock.feature"),

	fk("lamindb_featureproject", "created_by_id", "lamindb_user", Protect, "FeatureProject.created_by"),
	fk("lamindb_featureproject", "feature_id", "lamindb_feature", Cascade, "FeatureProject.feature"),
	fk("lamindb_featureproject", "project_id", "lamindb_project", Protect, "FeatureProject.project"),
	fk("lamindb_featureproject", "run_id", "lamindb_run", Protect, "FeatureProject.run"),

	fk("lamindb_jsonvalue", "branch_id", "lamindb_branch", Protect, "JsonValue.branch"),
	fk("lamindb_jsonvalue", "created_by_id", "lamindb_user", Protect, "JsonValue.created_by"),
	fk("lamindb_jsonvalue", "created_on_id", "lamindb_branch", Protect, "JsonValue.created_on"),
	fk("lamindb_jsonvalue", "feature_id", "lamindb_feature", Cascade, "JsonValue.feature"),
	fk("lamindb_jsonvalue", "run_id", "lamindb_run", Protect, "JsonValue.run"),
	fk("lamindb_jsonvalue", "space_id", "lamindb_space", Protect, "JsonValue.space"),

	fk("lamindb_project", "branch_id", "lamindb_branch", Protect, "Project.branch"),
	fk("lamindb_project", "created_by_id", "lamindb_user", Protect, "Project.created_by"),
	fk("lamindb_project", "created_on_id", "lamindb_branch", Protect, "Project.created_on"),
	fk("lamindb_project", "run_id", "lamindb_run", Protect, "Project.run"),
	fk("lamindb_project", "space_id", "lamindb_space", Protect, "Project.space"),
	fk("lamindb_project", "type_id", "lamindb_project", Protect, "Project.type"),

	fk("lamindb_project_parents", "from_project_id", "lamindb_project", Cascade, "Project_parents.from_project"),
	fk("lamindb_project_parents", "to_project_id", "lamindb_project", Cascade, "Project_parents.to_project"),

	fk("lamindb_project_predecessors", "from_project_id", "lamindb_project", Cascade, "Project_predecessors.from_project"),
	fk("lamindb_project_predecessors", "to_project_id", "lamindb_project", Cascade, "Project_predecessors.to_project"),

	fk("lamindb_project_references", "project_id", "lamindb_project", Cascade, "Project_references.project"),
	fk("lamindb_project_references", "reference_id", "lamindb_reference", Cascade, "Project_references.reference"),

	fk("lamindb_projectblock", "branch_id", "lamindb_branch", Protect, "ProjectBlock.branch"),
	fk("lamindb_projectblock", "created_by_id", "lamindb_user", Protect, "ProjectBlock.created_by"),
	fk("lamindb_projectblock", "created_on_id", "lamindb_branch", Protect, "ProjectBlock.created_on"),
	fk("lamindb_projectblock", "project_id", "lamindb_project", Cascade, "ProjectBlock.project"),

	fk("lamindb_projectrecord", "created_by_id", "lamindb_user", Protect, "ProjectRecord.created_by"),
	fk("lamindb_projectrecord", "feature_id", "lamindb_feature", Protect, "ProjectRecord.feature"),
	fk("lamindb_projectrecord", "project_id", "lamindb_project", Protect, "ProjectRecord.project"),
	fk("lamindb_projectrecord", "record_id", "lamindb_record", Cascade, "ProjectRecord.record"),
	fk("lamindb_projectrecord", "run_id", "lamindb_run", Protect, "ProjectRecord.run"),

	fk("lamindb_projectuser", "project_id", "lamindb_project", Cascade, "ProjectUser.project"),
	fk("lamindb_projectuser", "user_id", "lamindb_user", Protect, "ProjectUser.user"),

	fk("lamindb_record", "branch_id", "lamindb_branch", Protect, "Record.branch"),
	fk("lamindb_record", "created_by_id", "lamindb_user", Protect, "Record.created_by"),
	fk("lamindb_record", "created_on_id", "lamindb_branch", Protect, "Record.created_on"),
	fk("lamindb_record", "run_id", "lamindb_run", Protect, "Record.run"),
	fk("lamindb_record", "schema_id", "lamindb_schema", Cascade, "Record.schema"),
	fk("lamindb_record", "space_id", "lamindb_space", Protect, "Record.space"),
	fk("lamindb_record", "type_id", "lamindb_record", Protect, "Record.type"),

	fk("lamindb_record_input_of_runs", "record_id", "lamindb_record", Cascade, "Record_input_of_runs.record"),
	fk("lamindb_record_input_of_runs", "run_id", "lamindb_run", Cascade, "Record_input_of_runs.run"),

	fk("lamindb_record_parents", "from_record_id", "lamindb_record", Cascade, "Record_parents.from_record"),
	fk("lamindb_record_parents", "to_record_id", "lamindb_record", Cascade, "Record_parents.to_record"),

	fk("lamindb_recordartifact", "feature_id", "lamindb_feature", Protect, "RecordArtifact.feature"),
	fk("lamindb_recordartifact", "record_id", "lamindb_record", Cascade, "RecordArtifact.record"),
	fk("lamindb_recordartifact", "value_id", "lamindb_artifact", Protect, "RecordArtifact.value"),

	fk("lamindb_recordblock", "branch_id", "lamindb_branch", Protect, "RecordBlock.branch"),
	fk("lamindb_recordblock", "created_by_id", "lamindb_user", Protect, "RecordBlock.created_by"),
	fk("lamindb_recordblock", "created_on_id", "lamindb_branch", Protect, "RecordBlock.created_on"),
	fk("lamindb_recordblock", "record_id", "lamindb_record", Cascade, "RecordBlock.record"),

	fk("lamindb_recordcollection", "feature_id", "lamindb_feature", Protect, "RecordCollection.feature"),
	fk("lamindb_recordcollection", "record_id", "lamindb_record", Cascade, "RecordCollection.record"),
	fk("lamindb_recordcollection", "value_id", "lamindb_collection", Protect, "RecordCollection.value"),

	fk("lamindb_recordjson", "feature_id", "lamindb_feature", Protect, "RecordJson.feature"),
	fk("lamindb_recordjson", "record_id", "lamindb_record", Cascade, "RecordJson.record"),

	fk("lamindb_recordproject", "feature_id", "lamindb_feature", Protect, "RecordProject.feature"),
	fk("lamindb_recordproject", "record_id", "lamindb_record", Cascade, "RecordProject.record"),
	fk("lamindb_recordproject", "value_id", "lamindb_project", Protect, "RecordProject.value"),

	fk("lamindb_recordrecord", "feature_id", "lamindb_feature", Protect, "RecordRecord.feature"),
	fk("lamindb_recordrecord", "record_id", "lamindb_record", Cascade, "RecordRecord.record"),
	fk("lamindb_recordrecord", "value_id", "lamindb_record", Protect, "RecordRecord.value"),

	fk("lamindb_recordreference", "feature_id", "lamindb_feature", Protect, "RecordReference.feature"),
	fk("lamindb_recordreference", "record_id", "lamindb_record", Cascade, "RecordReference.record"),
	fk("lamindb_recordreference", "value_id", "lamindb_reference", Protect, "RecordReference.value"),

	fk("lamindb_recordrun", "feature_id", "lamindb_feature", Protect, "RecordRun.feature"),
	fk("lamindb_recordrun", "record_id", "lamindb_record", Cascade, "RecordRun.record"),
	fk("lamindb_recordrun", "value_id", "lamindb_run", Protect, "RecordRun.value"),

	fk("lamindb_recordtransform", "feature_id", "lamindb_feature", Protect, "RecordTransform.feature"),
	fk("lamindb_recordtransform", "record_id", "lamindb_record", Cascade, "RecordTransform.record"),
	fk("lamindb_recordtransform", "value_id", "lamindb_transform", Protect, "RecordTransform.value"),

	fk("lamindb_recordulabel", "feature_id", "lamindb_feature", Protect, "RecordULabel.feature"),
	fk("lamindb_recordulabel", "record_id", "lamindb_record", Cascade, "RecordULabel.record"),
	fk("lamindb_recordulabel", "value_id", "lamindb_ulabel", Protect, "RecordULabel.value"),

	fk("lamindb_recorduser", "feature_id", "lamindb_feature", Protect, "RecordUser.feature"),
	fk("lamindb_recorduser", "record_id", "lamindb_record", Cascade, "RecordUser.record"),
	fk("lamindb_recorduser", "value_id", "lamindb_user", Protect, "RecordUser.value"),

	fk("lamindb_reference", "branch_id", "lamindb_branch", Protect, "Reference.branch"),
	fk("lamindb_reference", "created_by_id", "lamindb_user", Protect, "Reference.created_by"),
	fk("lamindb_reference", "created_on_id", "lamindb_branch", Protect, "Reference.created_on"),
	fk("lamindb_reference", "run_id", "lamindb_run", Protect, "Reference.run"),
	fk("lamindb_reference", "space_id", "lamindb_space", Protect, "Reference.space"),
	fk("lamindb_reference", "type_id", "lamindb_reference", Protect, "Reference.type"),

	fk("lamindb_referencerecord", "created_by_id", "lamindb_user", Protect, "ReferenceRecord.created_by"),
	fk("lamindb_referencerecord", "feature_id", "lamindb_feature", Protect, "ReferenceRecord.feature"),
	fk("lamindb_referencerecord", "record_id", "lamindb_record", Cascade, "ReferenceRecord.record"),
	fk("lamindb_referencerecord", "reference_id", "lamindb_reference", Protect, "ReferenceRecord.reference"),
	fk("lamindb_referencerecord", "run_id", "lamindb_run", Protect, "ReferenceRecord.run"),

	fk("lamindb_run", "branch_id", "lamindb_branch", Protect, "Run.branch"),
	fk("lamindb_run", "created_by_id", "lamindb_user", Cascade, "Run.created_by"),
	fk("lamindb_run", "created_on_id", "lamindb_branch", Protect, "Run.created_on"),
	fk("lamindb_run", "environment_id", "lamindb_artifact", Protect, "Run.environment"),
	fk("lamindb_run", "initiated_by_run_id", "lamindb_run", Cascade, "Run.initiated_by_run"),
	fk("lamindb_run", "plan_id", "lamindb_artifact", Protect, "Run.plan"),
	fk("lamindb_run", "report_id", "lamindb_artifact", Protect, "Run.report"),
	fk("lamindb_run", "space_id", "lamindb_space", Protect, "Run.space"),
	fk("lamindb_run", "transform_id", "lamindb_transform", Cascade, "Run.transform"),

	fk("lamindb_runartifact", "artifact_id", "lamindb_artifact", Protect, "RunArtifact.artifact"),
	fk("lamindb_runartifact", "feature_id", "lamindb_feature", Protect, "RunArtifact.feature"),
	fk("lamindb_runartifact", "run_id", "lamindb_run", Cascade, "RunArtifact.run"),

	fk("lamindb_runblock", "branch_id", "lamindb_branch", Protect, "RunBlock.branch"),
	fk("lamindb_runblock", "created_by_id", "lamindb_user", Protect, "RunBlock.created_by"),
	fk("lamindb_runblock", "created_on_id", "lamindb_branch", Protect, "RunBlock.created_on"),
	fk("lamindb_runblock", "run_id", "lamindb_run", Cascade, "RunBlock.run"),

	fk("lamindb_runjsonvalue", "created_by_id", "lamindb_user", Protect, "RunJsonValue.created_by"),
	fk("lamindb_runjsonvalue", "jsonvalue_id", "lamindb_jsonvalue", Protect, "RunJsonValue.jsonvalue"),
	fk("lamindb_runjsonvalue", "run_id", "lamindb_run", Cascade, "RunJsonValue.run"),

	fk("lamindb_runproject", "created_by_id", "lamindb_user", Protect, "RunProject.created_by"),
	fk("lamindb_runproject", "project_id", "lamindb_project", Protect, "RunProject.project"),
	fk("lamindb_runproject", "run_id", "lamindb_run", Cascade, "RunProject.run"),

	fk("lamindb_runrecord", "created_by_id", "lamindb_user", Protect, "RunRecord.created_by"),
	fk("lamindb_runrecord", "feature_id", "lamindb_feature", Protect, "RunRecord.feature"),
	fk("lamindb_runrecord", "record_id", "lamindb_record", Protect, "RunRecord.record"),
	fk("lamindb_runrecord", "run_id", "lamindb_run", Cascade, "RunRecord.run"),

	fk("lamindb_runulabel", "created_by_id", "lamindb_user", Protect, "RunULabel.created_by"),
	fk("lamindb_runulabel", "run_id", "lamindb_run", Cascade, "RunULabel.run"),
	fk("lamindb_runulabel", "ulabel_id", "lamindb_ulabel", Protect, "RunULabel.ulabel"),

	fk("lamindb_schema", "branch_id", "lamindb_branch", Protect, "Schema.branch"),
	fk("lamindb_schema", "created_by_id", "lamindb_user", Protect, "Schema.created_by"),
	fk("lamindb_schema", "created_on_id", "lamindb_branch", Protect, "Schema.created_on"),
	fk("lamindb_schema", "run_id", "lamindb_run", Protect, "Schema.run"),
	fk("lamindb_schema", "space_id", "lamindb_space", Protect, "Schema.space"),
	fk("lamindb_schema", "type_id", "lamindb_schema", Protect, "Schema.type"),

	fk("lamindb_schemablock", "branch_id", "lamindb_branch", Protect, "SchemaBlock.branch"),
	fk("lamindb_schemablock", "created_by_id", "lamindb_user", Protect, "SchemaBlock.created_by"),
	fk("lamindb_schemablock", "created_on_id", "lamindb_branch", Protect, "SchemaBlock.created_on"),
	fk("lamindb_schemablock", "schema_id", "lamindb_schema", Cascade, "SchemaBlock.schema"),

	fk("lamindb_schemacomponent", "component_id", "lamindb_schema", Protect, "SchemaComponent.component"),
	fk("lamindb_schemacomponent", "composite_id", "lamindb_schema", Cascade, "SchemaComponent.composite"),
	fk("lamindb_schemacomponent", "created_by_id", "lamindb_user", Protect, "SchemaComponent.created_by"),
	fk("lamindb_schemacomponent", "run_id", "lamindb_run", Protect, "SchemaComponent.run"),

	fk("lamindb_schemafeature", "feature_id", "lamindb_feature", Protect, "SchemaFeature.feature"),
	fk("lamindb_schemafeature", "schema_id", "lamindb_schema", Cascade, "SchemaFeature.schema"),

	fk("lamindb_schemaproject", "created_by_id", "lamindb_user", Protect, "SchemaProject.created_by"),
	fk("lamindb_schemaproject", "project_id", "lamindb_project", Protect, "SchemaProject.project"),
	fk("lamindb_schemaproject", "run_id", "lamindb_run", Protect, "SchemaProject.run"),
	fk("lamindb_schemaproject", "schema_id", "lamindb_schema", Cascade, "SchemaProject.schema"),

	fk("lamindb_space", "created_by_id", "lamindb_user", Cascade, "Space.created_by"),

	fk("lamindb_spaceblock", "branch_id", "lamindb_branch", Protect, "SpaceBlock.branch"),
	fk("lamindb_spaceblock", "created_by_id", "lamindb_user", Protect, "SpaceBlock.created_by"),
	fk("lamindb_spaceblock", "created_on_id", "lamindb_branch", Protect, "SpaceBlock.created_on"),
	fk("lamindb_spaceblock", "space_id", "lamindb_space", Cascade, "SpaceBlock.space"),

	fk("lamindb_storage", "branch_id", "lamindb_branch", Protect, "Storage.branch"),
	fk("lamindb_storage", "created_by_id", "lamindb_user", Protect, "Storage.created_by"),
	fk("lamindb_storage", "created_on_id", "lamindb_branch", Protect, "Storage.created_on"),
	fk("lamindb_storage", "run_id", "lamindb_run", Protect, "Storage.run"),
	fk("lamindb_storage", "space_id", "lamindb_space", Protect, "Storage.space"),

	fk("lamindb_transform", "branch_id", "lamindb_branch", Protect, "Transform.branch"),
	fk("lamindb_transform", "created_by_id", "lamindb_user", Protect, "Transform.created_by"),
	fk("lamindb_transform", "created_on_id", "lamindb_branch", Protect, "Transform.created_on"),
	fk("lamindb_transform", "environment_id", "lamindb_artifact", Cascade, "Transform.environment"),
	fk("lamindb_transform", "plan_id", "lamindb_artifact", Cascade, "Transform.plan"),
	fk("lamindb_transform", "run_id", "lamindb_run", Protect, "Transform.run"),
	fk("lamindb_transform", "space_id", "lamindb_space", Protect, "Transform.space"),

	fk("lamindb_transformblock", "branch_id", "lamindb_branch", Protect, "TransformBlock.branch"),
	fk("lamindb_transformblock", "created_by_id", "lamindb_user", Protect, "TransformBlock.created_by"),
	fk("lamindb_transformblock", "created_on_id", "lamindb_branch", Protect, "TransformBlock.created_on"),
	fk("lamindb_transformblock", "transform_id", "lamindb_transform", Cascade, "TransformBlock.transform"),

	fk("lamindb_transformproject", "created_by_id", "lamindb_user", Protect, "TransformProject.created_by"),
	fk("lamindb_transformproject", "project_id", "lamindb_project", Protect, "TransformProject.project"),
	fk("lamindb_transformproject", "run_id", "lamindb_run", Protect, "TransformProject.run"),
	fk("lamindb_transformproject", "transform_id", "lamindb_transform", Cascade, "TransformProject.transform"),

	fk("lamindb_transformrecord", "created_by_id", "lamindb_user", Protect, "TransformRecord.created_by"),
	fk("lamindb_transformrecord", "feature_id", "lamindb_feature", Protect, "TransformRecord.feature"),
	fk("lamindb_transformrecord", "record_id", "lamindb_record", Protect, "TransformRecord.record"),
	fk("lamindb_transformrecord", "run_id", "lamindb_run", Protect, "TransformRecord.run"),
	fk("lamindb_transformrecord", "transform_id", "lamindb_transform", Cascade, "TransformRecord.transform"),

	fk("lamindb_transformreference", "created_by_id", "lamindb_user", Protect, "TransformReference.created_by"),
	fk("lamindb_transformreference", "reference_id", "lamindb_reference", Protect, "TransformReference.reference"),
	fk("lamindb_transformreference", "run_id", "lamindb_run", Protect, "TransformReference.run"),
	fk("lamindb_transformreference", "transform_id", "lamindb_transform", Cascade, "TransformReference.transform"),

	fk("lamindb_transformtransform", "created_by_id", "lamindb_user", Protect, "TransformTransform.created_by"),
	fk("lamindb_transformtransform", "predecessor_id", "lamindb_transform", Cascade, "TransformTransform.predecessor"),
	fk("lamindb_transformtransform", "run_id", "lamindb_run", Protect, "TransformTransform.run"),
	fk("lamindb_transformtransform", "successor_id", "lamindb_transform", Cascade, "TransformTransform.successor"),

	fk("lamindb_transformulabel", "created_by_id", "lamindb_user", Protect, "TransformULabel.created_by"),
	fk("lamindb_transformulabel", "run_id", "lamindb_run", Protect, "TransformULabel.run"),
	fk("lamindb_transformulabel", "transform_id", "lamindb_transform", Cascade, "TransformULabel.transform"),
	fk("lamindb_transformulabel", "ulabel_id", "lamindb_ulabel", Protect, "TransformULabel.ulabel"),

	fk("lamindb_ulabel", "branch_id", "lamindb_branch", Protect, "ULabel.branch"),
	fk("lamindb_ulabel", "created_by_id", "lamindb_user", Protect, "ULabel.created_by"),
	fk("lamindb_ulabel", "created_on_id", "lamindb_branch", Protect, "ULabel.created_on"),
	fk("lamindb_ulabel", "run_id", "lamindb_run", Protect, "ULabel.run"),
	fk("lamindb_ulabel", "space_id", "lamindb_space", Protect, "ULabel.space"),
	fk("lamindb_ulabel", "type_id", "lamindb_ulabel", Protect, "ULabel.type"),

	fk("lamindb_ulabel_parents", "from_ulabel_id", "lamindb_ulabel", Cascade, "ULabel_parents.from_ulabel"),
	fk("lamindb_ulabel_parents", "to_ulabel_id", "lamindb_ulabel", Cascade, "ULabel_parents.to_ulabel"),

	fk("lamindb_ulabelblock", "branch_id", "lamindb_branch", Protect, "ULabelBlock.branch"),
	fk("lamindb_ulabelblock", "created_by_id", "lamindb_user", Protect, "ULabelBlock.created_by"),
	fk("lamindb_ulabelblock", "created_on_id", "lamindb_branch", Protect, "ULabelBlock.created_on"),
	fk("lamindb_ulabelblock", "ulabel_id", "lamindb_ulabel", Cascade, "ULabelBlock.ulabel"),

	fk("lamindb_ulabelproject", "created_by_id", "lamindb_user", Protect, "ULabelProject.created_by"),
	fk("lamindb_ulabelproject", "project_id", "lamindb_project", Protect, "ULabelProject.project"),
	fk("lamindb_ulabelproject", "run_id", "lamindb_run", Protect, "ULabelProject.run"),
	fk("lamindb_ulabelproject", "ulabel_id", "lamindb_ulabel", Cascade, "ULabelProject.ulabel"),
}

// ReferencesTo returns the relations whose parent is parentTable: the rows a
// permanent delete of a parent row must check (Protect) or delete along
// (Cascade).
func ReferencesTo(parentTable string) []Relation {
	var out []Relation
	for _, r := range Relations {
		if r.ParentTable == parentTable {
			out = append(out, r)
		}
	}
	return out
}

// classes maps each lamindb table to its Django model name.
var classes = func() map[string]string {
	m := map[string]string{}
	for _, r := range Relations {
		m[r.Table] = r.Name[:strings.IndexByte(r.Name, '.')]
	}
	for _, reg := range registries {
		m[reg.Table] = reg.Class
	}
	return m
}()

// ClassOf returns the Django model name of a lamindb table ("Feature" for
// lamindb_feature), so errors name rows as lamindb would; "" for a table that
// is not lamindb's.
func ClassOf(table string) string { return classes[table] }
