package filter_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lamindb-go/lamindb/internal/filter"
	"github.com/lamindb-go/lamindb/internal/registry"
)

var testDir string

func tempDir() (string, error) { return testDir, nil }

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "filter-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = d
	code := m.Run()
	if seedDB != nil {
		seedDB.Close()
	}
	os.RemoveAll(d)
	os.Exit(code)
}

type queryCase struct {
	name    string
	filters []string
	scope   filter.Scope
	order   []string
	limit   int
	offset  int
	want    []int64
}

const (
	art1 = "AAAAart0000000000000"
	art2 = "AAAAart0000000000001" // trashed version of art1
	art3 = "BBBBart0000000000000" // __lamindb_run__ report
)

// queryCases lists, per registry, lookups against the seed rows and the ids
// they must return in order (default order: -id).
var queryCases = map[string][]queryCase{
	"artifact": {
		{name: "default scope hides trash, archive and __lamindb kinds", want: []int64{6, 5, 1}},
		{name: "scope all still hides __lamindb kinds", scope: filter.All, want: []int64{6, 5, 4, 2, 1}},
		{name: "scope main still hides __lamindb kinds", scope: filter.Main, want: []int64{6, 5, 1}},
		{name: "scope trash", scope: filter.Trash, want: []int64{2}},
		{name: "scope archive", scope: filter.Archive, want: []int64{4}},
		{name: "uid finds trashed row", filters: []string{"uid=" + art2}, want: []int64{2}},
		{name: "uid__exact finds trashed row", filters: []string{"uid__exact=" + art2}, want: []int64{2}},
		{name: "uid finds hidden kind", filters: []string{"uid=" + art3}, want: []int64{3}},
		{name: "uid__startswith does not exempt", filters: []string{"uid__startswith=AAAAart"}, want: []int64{1}},
		{name: "uid__startswith in trash", filters: []string{"uid__startswith=AAAAart"}, scope: filter.Trash, want: []int64{2}},
		{name: "uid__in exempts", filters: []string{"uid__in=" + art1 + "," + art2}, want: []int64{2, 1}},
		{name: "uid case-sensitive", filters: []string{"uid=aaaaart0000000000000"}, want: []int64{}},
		{name: "id exempts", filters: []string{"id=3"}, want: []int64{3}},
		{name: "id__in exempts", filters: []string{"id__in=2, 4"}, want: []int64{4, 2}},
		{name: "id__gt does not exempt", filters: []string{"id__gt=1"}, want: []int64{6, 5}},
		{name: "hash exempts", filters: []string{"hash=hashA2"}, want: []int64{2}},
		{name: "hash__in exempts", filters: []string{"hash__in=hashA2,hashC"}, want: []int64{4, 2}},
		{name: "branch_id=-1 bypasses default", filters: []string{"branch_id=-1"}, want: []int64{2}},
		{name: "branch__name=trash bypasses default", filters: []string{"branch__name=trash"}, want: []int64{2}},
		{name: "branch=0", filters: []string{"branch=0"}, want: []int64{4}},
		{name: "visibility=0 (2023 name)", filters: []string{"visibility=0"}, want: []int64{4}},
		{name: "branch_id__in", filters: []string{"branch_id__in=-1,0"}, want: []int64{4, 2}},
		{name: "branch_id and scope both apply", filters: []string{"branch_id=-1"}, scope: filter.Main, want: []int64{}},
		{name: "kind named shows hidden kinds", filters: []string{"kind=__lamindb_run__"}, want: []int64{3}},
		{name: "kind__startswith", filters: []string{"kind__startswith=__lamindb"}, want: []int64{3}},
		{name: "kind__isnull", filters: []string{"kind__isnull=true"}, want: []int64{5}},
		{name: "kind__in", filters: []string{"kind__in=model,dataset"}, want: []int64{6, 1}},
		{name: "key exact is case-sensitive", filters: []string{"key=raw/Data.csv"}, want: []int64{1}},
		{name: "key iexact", filters: []string{"key__iexact=RAW/DATA.CSV"}, want: []int64{5, 1}},
		{name: "key contains is case-sensitive", filters: []string{"key__contains=Data"}, want: []int64{1}},
		{name: "key icontains", filters: []string{"key__icontains=DATA"}, want: []int64{5, 1}},
		{name: "key startswith is case-sensitive", filters: []string{"key__startswith=raw/D"}, want: []int64{1}},
		{name: "key istartswith", filters: []string{"key__istartswith=RAW/d"}, want: []int64{5, 1}},
		{name: "key endswith is case-sensitive", filters: []string{"key__endswith=Data.csv"}, want: []int64{1}},
		{name: "key iendswith", filters: []string{"key__iendswith=DATA.CSV"}, want: []int64{5, 1}},
		{name: "key gt text", filters: []string{"key__gt=raw/E"}, want: []int64{5}},
		{name: "key isnull", filters: []string{"key__isnull=True"}, want: []int64{6}},
		{name: "key startswith empty matches non-null", filters: []string{"key__startswith="}, want: []int64{5, 1}},
		{name: "value may contain =", filters: []string{"description=a=b"}, want: []int64{}},
		{name: "icontains escapes %", filters: []string{"description__icontains=0%_d"}, want: []int64{6}},
		{name: "icontains escapes _", filters: []string{"description__icontains=y_d"}, scope: filter.All, want: []int64{}},
		{name: "contains with %", filters: []string{"description__contains=%"}, want: []int64{6}},
		{name: "description exact vs iexact", filters: []string{"description=my data"}, want: []int64{5}},
		{name: "description iexact", filters: []string{"description__iexact=MY DATA"}, want: []int64{5, 1}},
		{name: "suffix", filters: []string{"suffix=.parquet"}, scope: filter.All, want: []int64{4}},
		{name: "otype", filters: []string{"otype=DataFrame"}, scope: filter.All, want: []int64{4, 2, 1}},
		{name: "size gt", filters: []string{"size__gt=100"}, scope: filter.All, want: []int64{4, 2}},
		{name: "size gte", filters: []string{"size__gte=100"}, scope: filter.All, want: []int64{4, 2, 1}},
		{name: "size lt hides kinds", filters: []string{"size__lt=100"}, want: []int64{5}},
		{name: "size lte", filters: []string{"size__lte=50"}, scope: filter.All, want: []int64{5}},
		{name: "n_files", filters: []string{"n_files=3"}, scope: filter.All, want: []int64{4}},
		{name: "n_observations in", filters: []string{"n_observations__in=10,20"}, scope: filter.All, want: []int64{2, 1}},
		{name: "extra_data contains", filters: []string{`extra_data__contains="a"`}, scope: filter.All, want: []int64{4}},
		{name: "version maps to version_tag", filters: []string{"version=v1"}, want: []int64{1}},
		{name: "version_tag", filters: []string{"version_tag=v2"}, scope: filter.All, want: []int64{2}},
		{name: "is_latest false", filters: []string{"is_latest=false"}, want: []int64{1}},
		{name: "is_latest True", filters: []string{"is_latest=True"}, want: []int64{6, 5}},
		{name: "is_locked 1", filters: []string{"is_locked=1"}, scope: filter.All, want: []int64{4}},
		{name: "created_at gt date", filters: []string{"created_at__gt=2024-04-01"}, scope: filter.All, want: []int64{6, 5, 4}},
		{name: "created_at exact RFC 3339", filters: []string{"created_at=2024-04-01T12:30:45.5Z"}, scope: filter.All, want: []int64{4}},
		{name: "created_at exact with offset", filters: []string{"created_at=2024-04-01T14:30:45.5+02:00"}, scope: filter.All, want: []int64{4}},
		{name: "created_at lte", filters: []string{"created_at__lte=2024-04-01 12:30:45.5"}, scope: filter.All, want: []int64{4, 2, 1}},
		{name: "created_at lt", filters: []string{"created_at__lt=2024-04-01 12:30:45.5"}, scope: filter.All, want: []int64{2, 1}},
		{name: "created_at exact on 3-digit stored value", filters: []string{"created_at=2024-05-01"}, want: []int64{5}},
		{name: "created_at gte on 3-digit stored value", filters: []string{"created_at__gte=2024-05-01 00:00:00.000000"}, want: []int64{6, 5}},
		{name: "created_at gt on 3-digit stored value", filters: []string{"created_at__gt=2024-05-01"}, want: []int64{6}},
		{name: "created_at in", filters: []string{"created_at__in=2024-05-01,2024-01-01"}, want: []int64{5, 1}},
		{name: "created_at startswith text", filters: []string{"created_at__startswith=2024-0"}, want: []int64{6, 5, 1}},
		{name: "created_at startswith number-like", filters: []string{"created_at__startswith=2024"}, want: []int64{6, 5, 1}},
		{name: "updated_at gte", filters: []string{"updated_at__gte=2024-04-02"}, scope: filter.All, want: []int64{6, 5, 4}},
		{name: "storage__root", filters: []string{"storage__root=/data/Store"}, want: []int64{6, 1}},
		{name: "storage__root__startswith", filters: []string{"storage__root__startswith=s3://"}, scope: filter.All, want: []int64{2}},
		{name: "storage by id", filters: []string{"storage=3"}, want: []int64{5}},
		{name: "storage_id", filters: []string{"storage_id=3"}, want: []int64{5}},
		{name: "created_by__handle", filters: []string{"created_by__handle=Alice"}, scope: filter.All, want: []int64{4, 2}},
		{name: "created_by__handle__iexact", filters: []string{"created_by__handle__iexact=alice"}, scope: filter.All, want: []int64{4, 2}},
		{name: "created_by__handle exact case-sensitive", filters: []string{"created_by__handle=alice"}, scope: filter.All, want: []int64{}},
		{name: "run__transform__key multi-level", filters: []string{"run__transform__key=pipelines/Train.py"}, scope: filter.All, want: []int64{5, 1}},
		{name: "transform shortcut", filters: []string{"transform__key=notebooks/Explore.ipynb"}, scope: filter.All, want: []int64{4}},
		{name: "traversed isnull matches NULL key", filters: []string{"run__transform__key__isnull=true"}, scope: filter.All, want: []int64{6, 2}},
		{name: "traversed isnull false", filters: []string{"run__name__isnull=false"}, scope: filter.All, want: []int64{5, 1}},
		{name: "run isnull", filters: []string{"run__isnull=true"}, want: []int64{6}},
		{name: "run_id", filters: []string{"run_id=2"}, scope: filter.All, want: []int64{4}},
		{name: "space_id", filters: []string{"space_id=2"}, scope: filter.All, want: []int64{4, 2}},
		{name: "space__name", filters: []string{"space__name=Lab Space"}, scope: filter.All, want: []int64{4, 2}},
		{name: "created_on_id", filters: []string{"created_on_id=2"}, want: []int64{5}},
		{name: "schema_id isnull", filters: []string{"schema_id__isnull=true"}, want: []int64{6, 5, 1}},
		{name: "private _real_key", filters: []string{"_real_key=real/x.parquet"}, scope: filter.All, want: []int64{4}},
		{name: "private _hash_type", filters: []string{"_hash_type=sha1-fl"}, scope: filter.All, want: []int64{4}},
		{name: "private _key_is_virtual", filters: []string{"_key_is_virtual=false"}, want: []int64{6}},
		{name: "private _overwrite_versions", filters: []string{"_overwrite_versions=1"}, scope: filter.All, want: []int64{4}},
		{name: "private _aux", filters: []string{"_aux__contains=sha256"}, scope: filter.All, want: []int64{4}},
		{name: "two conditions AND", filters: []string{"key__startswith=raw/", "size__gt=60"}, scope: filter.All, want: []int64{2, 1}},
		{name: "order key ascending, NULL first, id tie-break", order: []string{"key"}, scope: filter.All, want: []int64{6, 4, 1, 2, 5}},
		{name: "order -created_at", order: []string{"-created_at"}, want: []int64{6, 5, 1}},
		{name: "order version alias", order: []string{"version", "-id"}, scope: filter.All, want: []int64{6, 5, 4, 1, 2}},
		{name: "limit", order: []string{"-created_at"}, limit: 2, scope: filter.All, want: []int64{6, 5}},
		{name: "limit and offset", order: []string{"-created_at"}, limit: 2, offset: 1, scope: filter.All, want: []int64{5, 4}},
		{name: "offset alone", order: []string{"-created_at"}, offset: 3, scope: filter.All, want: []int64{2, 1}},
	},
	"collection": {
		{name: "default", want: []int64{1}},
		{name: "all", scope: filter.All, want: []int64{3, 2, 1}},
		{name: "key exact", filters: []string{"key=My Collection"}, want: []int64{1}},
		{name: "key exact in trash is hidden", filters: []string{"key=my collection"}, want: []int64{}},
		{name: "key exact all", filters: []string{"key=my collection"}, scope: filter.All, want: []int64{2}},
		{name: "key iexact all", filters: []string{"key__iexact=MY COLLECTION"}, scope: filter.All, want: []int64{2, 1}},
		{name: "uid exempt", filters: []string{"uid=CoLLcoll000000000001"}, want: []int64{2}},
		{name: "uid startswith not exempt", filters: []string{"uid__startswith=CoLL"}, want: []int64{1}},
		{name: "meta_artifact__key", filters: []string{"meta_artifact__key=raw/Data.csv"}, want: []int64{1}},
		{name: "created_by__handle", filters: []string{"created_by__handle=Alice"}, scope: filter.All, want: []int64{2}},
		{name: "run__name", filters: []string{"run__name=First Run"}, want: []int64{1}},
		{name: "run__transform__key", filters: []string{"run__transform__key=notebooks/Explore.ipynb"}, scope: filter.All, want: []int64{3}},
		{name: "branch__name archive", filters: []string{"branch__name=archive"}, want: []int64{3}},
		{name: "hash in", filters: []string{"hash__in=chash1,chash2"}, want: []int64{2, 1}},
		{name: "reference icontains", filters: []string{"reference__icontains=ref-c"}, want: []int64{1}},
		{name: "reference contains case", filters: []string{"reference__contains=ref-c"}, want: []int64{}},
		{name: "version", filters: []string{"version=v1"}, want: []int64{1}},
		{name: "is_locked", filters: []string{"is_locked=true"}, scope: filter.All, want: []int64{2}},
		{name: "order key", order: []string{"key"}, scope: filter.All, want: []int64{3, 1, 2}},
	},
	"transform": {
		{name: "default", want: []int64{1}},
		{name: "key exact", filters: []string{"key=pipelines/Train.py"}, scope: filter.All, want: []int64{1}},
		{name: "key iexact", filters: []string{"key__iexact=pipelines/train.py"}, scope: filter.All, want: []int64{3, 1}},
		{name: "kind in trash hidden", filters: []string{"kind=notebook"}, want: []int64{}},
		{name: "kind all", filters: []string{"kind=notebook"}, scope: filter.All, want: []int64{2}},
		{name: "environment__uid", filters: []string{"environment__uid=" + art3}, scope: filter.All, want: []int64{2}},
		{name: "plan__kind", filters: []string{"plan__kind__startswith=__lamindb"}, scope: filter.All, want: []int64{2}},
		{name: "version", filters: []string{"version=v1"}, scope: filter.All, want: []int64{2}},
		{name: "source_code contains", filters: []string{"source_code__contains=print"}, want: []int64{1}},
		{name: "hash exempt", filters: []string{"hash=thashB"}, want: []int64{2}},
		{name: "created_on", filters: []string{"created_on=2"}, scope: filter.All, want: []int64{3}},
		{name: "run__name", filters: []string{"run__name__iexact=first run"}, scope: filter.Trash, want: []int64{2}},
	},
	"run": {
		{name: "default", want: []int64{1}},
		{name: "transform__key", filters: []string{"transform__key=pipelines/Train.py"}, scope: filter.All, want: []int64{3, 1}},
		{name: "initiated_by_run__name", filters: []string{"initiated_by_run__name=First Run"}, scope: filter.All, want: []int64{2}},
		{name: "started_at gte", filters: []string{"started_at__gte=2024-02-01"}, scope: filter.All, want: []int64{3, 2}},
		{name: "started_at exact on 3-digit stored", filters: []string{"started_at=2024-02-01 10:00:00"}, scope: filter.All, want: []int64{2}},
		{name: "finished_at exact micro", filters: []string{"finished_at=2024-01-01 11:00:00.123456"}, want: []int64{1}},
		{name: "finished_at isnull", filters: []string{"finished_at__isnull=true"}, scope: filter.All, want: []int64{3, 2}},
		{name: "params contains", filters: []string{"params__contains=lr"}, want: []int64{1}},
		{name: "report__kind", filters: []string{"report__kind=__lamindb_run__"}, want: []int64{1}},
		{name: "created_by__handle", filters: []string{"created_by__handle=anonymous"}, want: []int64{1}},
		{name: "_status_code", filters: []string{"_status_code=-3"}, scope: filter.All, want: []int64{2}},
		{name: "name istartswith", filters: []string{"name__istartswith=FIRST"}, want: []int64{1}},
		{name: "cli_args", filters: []string{"cli_args=--fast"}, want: []int64{1}},
		{name: "uid exempt", filters: []string{"uid=RRRRrun000000002"}, want: []int64{2}},
		{name: "branch__name trash", filters: []string{"branch__name=trash"}, want: []int64{2}},
		{name: "order -started_at", order: []string{"-started_at"}, scope: filter.All, want: []int64{3, 2, 1}},
	},
	"ulabel": {
		{name: "default", want: []int64{2, 1}},
		{name: "name exact", filters: []string{"name=Experiment-1"}, want: []int64{2}},
		{name: "name exact case", filters: []string{"name=experiment-1"}, want: []int64{}},
		{name: "name iexact", filters: []string{"name__iexact=EXPERIMENT-1"}, want: []int64{2}},
		{name: "name istartswith all", filters: []string{"name__istartswith=experiment"}, scope: filter.All, want: []int64{3, 2}},
		{name: "name startswith case", filters: []string{"name__startswith=experiment"}, scope: filter.All, want: []int64{3}},
		{name: "type__name", filters: []string{"type__name=Project"}, want: []int64{2}},
		{name: "type isnull", filters: []string{"type__isnull=true"}, want: []int64{1}},
		{name: "is_type", filters: []string{"is_type=true"}, want: []int64{1}},
		{name: "branch__name trash", filters: []string{"branch__name=trash"}, want: []int64{3}},
		{name: "run__transform__key", filters: []string{"run__transform__key=pipelines/Train.py"}, want: []int64{2}},
		{name: "created_by__handle", filters: []string{"created_by__handle=Alice"}, want: []int64{2}},
		{name: "order name", order: []string{"name"}, scope: filter.All, want: []int64{2, 1, 3}},
	},
	"storage": {
		{name: "default", want: []int64{2, 1}},
		{name: "root startswith all", filters: []string{"root__startswith=/"}, scope: filter.All, want: []int64{3, 1}},
		{name: "root exact case", filters: []string{"root=/data/store"}, want: []int64{}},
		{name: "root iexact", filters: []string{"root__iexact=/data/store"}, want: []int64{1}},
		{name: "type", filters: []string{"type=s3"}, want: []int64{2}},
		{name: "created_by__handle", filters: []string{"created_by__handle=Alice"}, want: []int64{2}},
		{name: "instance_uid isnull false", filters: []string{"instance_uid__isnull=false"}, want: []int64{1}},
		{name: "branch_id archive", filters: []string{"branch_id=0"}, want: []int64{3}},
		{name: "run__name", filters: []string{"run__name=First Run"}, want: []int64{2}},
		{name: "region icontains", filters: []string{"region__icontains=host"}, want: []int64{1}},
	},
	"user": {
		{name: "no branch scope", want: []int64{2, 1}},
		{name: "scope ignored", scope: filter.Trash, want: []int64{2, 1}},
		{name: "handle exact case", filters: []string{"handle=alice"}, want: []int64{}},
		{name: "handle iexact", filters: []string{"handle__iexact=alice"}, want: []int64{2}},
		{name: "name isnull", filters: []string{"name__isnull=true"}, want: []int64{1}},
		{name: "uid startswith", filters: []string{"uid__startswith=Alice"}, want: []int64{2}},
		{name: "order handle", order: []string{"handle"}, want: []int64{2, 1}},
	},
	"branch": {
		{name: "all rows, no scope", want: []int64{2, 1, 0, -1}},
		{name: "name trash", filters: []string{"name=trash"}, want: []int64{-1}},
		{name: "name iexact", filters: []string{"name__iexact=feature-x"}, want: []int64{2}},
		{name: "space__name", filters: []string{"space__name=Lab Space"}, want: []int64{2}},
		{name: "created_by__handle", filters: []string{"created_by__handle=Alice"}, want: []int64{2}},
		{name: "id in", filters: []string{"id__in=-1,0"}, want: []int64{0, -1}},
		{name: "_status_code", filters: []string{"_status_code=1"}, want: []int64{2}},
	},
	"space": {
		{name: "name", filters: []string{"name=all"}, want: []int64{1}},
		{name: "created_by__handle", filters: []string{"created_by__handle=Alice"}, want: []int64{2}},
		{name: "description icontains", filters: []string{"description__icontains=team"}, want: []int64{2}},
		{name: "description contains case", filters: []string{"description__contains=team"}, want: []int64{}},
	},
}

func TestQueries(t *testing.T) {
	db := seeded(t)
	for _, reg := range registry.All() {
		t.Run(reg.Name, func(t *testing.T) {
			cases := queryCases[reg.Name]
			if len(cases) == 0 {
				t.Fatalf("no cases for %s", reg.Name)
			}
			for _, tt := range cases {
				t.Run(tt.name, func(t *testing.T) {
					q := &filter.Query{Reg: reg, Scope: tt.scope, Order: tt.order, Limit: tt.limit, Offset: tt.offset}
					for _, f := range tt.filters {
						c, err := filter.Parse(reg, f)
						if err != nil {
							t.Fatalf("Parse(%q): %v", f, err)
						}
						q.Conds = append(q.Conds, c)
					}
					if d := cmp.Diff(tt.want, ids(t, db, q)); d != "" {
						s, args, _ := q.Select([]string{"id"})
						t.Errorf("ids (-want +got):\n%s\nSQL: %s %q", d, s, args)
					}
				})
			}
		})
	}
}

// TestEveryColumn filters every column of every registry by a stored value
// (exact, as the CLI would spell it) and by isnull, and compares with plain SQL.
func TestEveryColumn(t *testing.T) {
	db := seeded(t)
	for _, reg := range registry.All() {
		for _, col := range reg.Columns {
			t.Run(reg.Name+"/"+col.Name, func(t *testing.T) {
				var id int64
				var val string
				err := db.QueryRow(fmt.Sprintf(`SELECT id, CAST(%s AS TEXT) FROM %s WHERE %s IS NOT NULL ORDER BY id LIMIT 1`,
					col.Name, reg.Table, col.Name)).Scan(&id, &val)
				if err != nil {
					t.Fatalf("seed has no non-null %s: %v", col.Name, err)
				}
				hidden := ""
				if reg.Name == "artifact" && col.Name != "kind" {
					hidden = ` AND (kind IS NULL OR kind NOT LIKE '\_\_lamindb%' ESCAPE '\')`
				}
				for _, tc := range []struct {
					expr, where string
					args        []any
				}{
					{col.Name + "=" + val, "CAST(" + col.Name + " AS TEXT) = ?", []any{val}},
					{col.Name + "__in=" + val, "CAST(" + col.Name + " AS TEXT) = ?", []any{val}},
					{col.Name + "__isnull=true", col.Name + " IS NULL", nil},
					{col.Name + "__isnull=false", col.Name + " IS NOT NULL", nil},
				} {
					if strings.Contains(val, ",") && strings.Contains(tc.expr, "__in=") {
						continue
					}
					hide := hidden
					if (col.Name == "id" || col.Name == "uid" || col.Name == "hash") && !strings.Contains(tc.expr, "isnull") {
						hide = "" // the id/uid/hash exemption shows hidden kinds
					}
					c, err := filter.Parse(reg, tc.expr)
					if err != nil {
						t.Fatalf("Parse(%q): %v", tc.expr, err)
					}
					got := ids(t, db, &filter.Query{Reg: reg, Conds: []filter.Cond{c}, Scope: filter.All})
					want := []int64{}
					rows, err := db.Query(`SELECT id FROM `+reg.Table+` WHERE `+tc.where+hide+` ORDER BY id DESC`, tc.args...)
					if err != nil {
						t.Fatal(err)
					}
					for rows.Next() {
						var n int64
						rows.Scan(&n)
						want = append(want, n)
					}
					rows.Close()
					if d := cmp.Diff(want, got); d != "" {
						t.Errorf("%s (-want +got):\n%s", tc.expr, d)
					}
					if strings.HasSuffix(tc.expr, "="+val) && !strings.Contains(tc.expr, "isnull") && !contains(got, id) && hide == "" {
						t.Errorf("%s: row %d not found", tc.expr, id)
					}
				}
			})
		}
	}
}

func contains(s []int64, n int64) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

func TestNewValues(t *testing.T) {
	db := seeded(t)
	art := mustReg(t, "artifact")
	tests := []struct {
		name  string
		field string
		value any
		scope filter.Scope
		want  []int64
	}{
		{"int", "size__gt", 150, filter.All, []int64{4, 2}},
		{"int64", "size", int64(100), filter.Default, []int64{1}},
		{"bool", "is_latest", false, filter.Default, []int64{1}},
		{"time", "created_at__gte", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), filter.Default, []int64{6, 5}},
		{"time in other zone", "created_at", time.Date(2024, 4, 1, 14, 30, 45, 500000000, time.FixedZone("x", 7200)), filter.All, []int64{4}},
		{"string slice", "uid__in", []string{art1, art2}, filter.Default, []int64{2, 1}},
		{"int64 slice", "id__in", []int64{1, 4}, filter.Default, []int64{4, 1}},
		{"empty slice matches nothing", "key__in", []string{}, filter.All, []int64{}},
		{"empty in string matches nothing", "key__in", "", filter.All, []int64{}},
		{"nil is isnull", "run", nil, filter.Default, []int64{6}},
		{"nil traversed is isnull", "run__name", nil, filter.All, []int64{6, 4, 2}},
		{"nil branch_id shows all branches", "branch_id", nil, filter.Default, []int64{6, 5, 4, 2, 1}},
		{"nil visibility shows all branches", "visibility", nil, filter.Default, []int64{6, 5, 4, 2, 1}},
		{"int on text column", "n_files", 3, filter.All, []int64{4}},
		{"isnull bool", "key__isnull", true, filter.Default, []int64{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := filter.New(art, tt.field, tt.value)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			got := ids(t, db, &filter.Query{Reg: art, Conds: []filter.Cond{c}, Scope: tt.scope})
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, reg, expr string
		is              error
		msg             string // substring of the message
	}{
		{"unknown field", "artifact", "foo=1", registry.ErrUnknown,
			"unknown field 'foo' for artifact; available fields: id, uid, key, description, suffix, kind,"},
		{"unknown field lists relations", "artifact", "foo=1", registry.ErrUnknown, "storage, created_by"},
		{"unknown traversed field", "artifact", "storage__foo=1", registry.ErrUnknown,
			"unknown field 'foo' for storage (in 'storage__foo'); available fields: id, uid, root,"},
		{"unknown lookup", "artifact", "key__foo=1", registry.ErrUnknown,
			"unknown lookup 'foo' for key in 'key__foo'; available lookups: exact, iexact, contains, icontains, startswith, istartswith, endswith, iendswith, in, gt, gte, lt, lte, isnull"},
		{"lookup in the middle", "artifact", "key__startswith__x=1", registry.ErrUnknown, "unknown lookup 'startswith__x'"},
		{"text lookup on integer", "artifact", "size__contains=1", registry.ErrUnknown, "unknown lookup 'contains' for integer field size of artifact"},
		{"version on run", "run", "version=1", registry.ErrUnknown, "unknown field 'version' for run"},
		{"empty field", "artifact", "=x", registry.ErrUnknown, "unknown field '' for artifact"},
		{"trailing __", "artifact", "key__=x", registry.ErrUnknown, "unknown lookup '' for key in 'key__'"},
		{"no =", "artifact", "key", filter.ErrInvalidValue, "filter 'key' must look like FIELD=VALUE"},
		{"bad int", "artifact", "size=abc", filter.ErrInvalidValue, "invalid value 'abc' for size of artifact (integer): want an integer"},
		{"bad bool", "artifact", "is_latest=maybe", filter.ErrInvalidValue, "invalid value 'maybe' for is_latest of artifact (boolean): want true or false"},
		{"bad time", "artifact", "created_at__gt=yesterday", filter.ErrInvalidValue, "invalid value 'yesterday' for created_at__gt of artifact (datetime)"},
		{"bad isnull", "artifact", "key__isnull=maybe", filter.ErrInvalidValue, "want true or false"},
		{"bad in item", "artifact", "size__in=1,x", filter.ErrInvalidValue, "invalid value 'x' for size__in"},
		{"name on relation", "artifact", "storage=/data", filter.ErrInvalidValue, "did you mean storage__root?"},
		{"name on branch", "artifact", "branch=trash", filter.ErrInvalidValue, "did you mean branch__name?"},
		{"traversed bad int", "artifact", "storage__id=x", filter.ErrInvalidValue, "invalid value 'x' for storage__id of artifact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := filter.Parse(mustReg(t, tt.reg), tt.expr)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err=%v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err=%q\nwant substring %q", err, tt.msg)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	art := mustReg(t, "artifact")
	tests := []struct {
		name  string
		field string
		value any
	}{
		{"float on int", "size", 1.5},
		{"string on bool", "is_latest", "yes"},
		{"slice on exact", "key", []string{"a"}},
		{"nil on gt", "size__gt", nil},
		{"bool on text", "key", true},
		{"map in", "key__in", map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := filter.New(art, tt.field, tt.value)
			if !errors.Is(err, filter.ErrInvalidValue) {
				t.Fatalf("err=%v, want ErrInvalidValue", err)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	art, coll := mustReg(t, "artifact"), mustReg(t, "collection")
	c, err := filter.Parse(coll, "key=x")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    filter.Query
		cols []string
		is   error
		msg  string
	}{
		{"unknown order field", filter.Query{Reg: art, Order: []string{"foo"}}, nil, registry.ErrUnknown, "unknown order field 'foo' for artifact; available fields: id, uid"},
		{"order traversal", filter.Query{Reg: art, Order: []string{"storage__root"}}, nil, registry.ErrUnknown, "unknown order field 'storage__root'"},
		{"order lookup", filter.Query{Reg: art, Order: []string{"-key__exact"}}, nil, registry.ErrUnknown, "unknown order field '-key__exact'"},
		{"empty order field", filter.Query{Reg: art, Order: []string{"-"}}, nil, registry.ErrUnknown, "unknown order field '-'"},
		{"unknown select column", filter.Query{Reg: art}, []string{"id", "nope"}, registry.ErrUnknown, "unknown field 'nope' for artifact"},
		{"negative limit", filter.Query{Reg: art, Limit: -1}, nil, filter.ErrInvalidValue, "limit and offset must not be negative"},
		{"cond of another registry", filter.Query{Reg: art, Conds: []filter.Cond{c}}, nil, nil, `condition "key" is for collection, query is for artifact`},
		{"zero cond", filter.Query{Reg: art, Conds: []filter.Cond{{}}}, nil, nil, "is for no registry"},
		{"bad scope", filter.Query{Reg: art, Scope: filter.Scope(42)}, nil, nil, "invalid scope 42"},
		{"no registry", filter.Query{}, nil, nil, "query without registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.q.Select(tt.cols)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err=%v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err=%q\nwant substring %q", err, tt.msg)
			}
		})
	}
}

func TestParseScope(t *testing.T) {
	tests := []struct {
		in      string
		want    filter.Scope
		wantErr bool
	}{
		{"", filter.Default, false},
		{"default", filter.Default, false},
		{"main", filter.Main, false},
		{"Trash", filter.Trash, false},
		{"archive", filter.Archive, false},
		{"all", filter.All, false},
		{"1", filter.Main, false},
		{"0", filter.Archive, false},
		{"-1", filter.Trash, false},
		{"None", filter.All, false},
		{"2", filter.Default, true},
		{"everything", filter.Default, true},
	}
	for _, tt := range tests {
		t.Run("scope "+tt.in, func(t *testing.T) {
			got, err := filter.ParseScope(tt.in)
			if tt.wantErr {
				if !errors.Is(err, filter.ErrInvalidValue) {
					t.Fatalf("err=%v, want ErrInvalidValue", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseScope(%q)=%v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCount(t *testing.T) {
	db := seeded(t)
	art := mustReg(t, "artifact")
	tests := []struct {
		name string
		q    filter.Query
		want int
	}{
		{"default ignores limit", filter.Query{Reg: art, Limit: 1, Offset: 1}, 3},
		{"all hides __lamindb kinds", filter.Query{Reg: art, Scope: filter.All}, 5},
		{"trash", filter.Query{Reg: art, Scope: filter.Trash}, 1},
		{"user", filter.Query{Reg: mustReg(t, "user")}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, args, err := tt.q.Count()
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow(s, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if n != tt.want {
				t.Errorf("Count=%d, want %d", n, tt.want)
			}
		})
	}
}

// TestSQLShape pins the generated SQL for the cases other packages rely on.
func TestSQLShape(t *testing.T) {
	art, user := mustReg(t, "artifact"), mustReg(t, "user")
	parse := func(r *registry.Registry, exprs ...string) []filter.Cond {
		var out []filter.Cond
		for _, e := range exprs {
			c, err := filter.Parse(r, e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	hidden := `(t.kind IS NULL OR t.kind NOT LIKE '\_\_lamindb%' ESCAPE '\')`
	tests := []struct {
		name      string
		q         filter.Query
		wantWhere string
		wantArgs  []any
		wantSel   string
	}{
		{
			name:      "empty user query",
			q:         filter.Query{Reg: user},
			wantWhere: "1=1",
			wantSel:   "SELECT t.id FROM lamindb_user t WHERE 1=1 ORDER BY t.id DESC",
		},
		{
			name:      "startswith range with default scope",
			q:         filter.Query{Reg: art, Conds: parse(art, "key__startswith=raw/"), Limit: 20},
			wantWhere: "(t.key >= ? AND t.key < ?) AND t.branch_id = 1 AND " + hidden,
			wantArgs:  []any{"raw/", "raw/\U0010FFFF"},
			wantSel:   "SELECT t.id FROM lamindb_artifact t WHERE (t.key >= ? AND t.key < ?) AND t.branch_id = 1 AND " + hidden + " ORDER BY t.id DESC LIMIT ?",
		},
		{
			name:      "nested traversal",
			q:         filter.Query{Reg: art, Conds: parse(art, "run__transform__key=k"), Scope: filter.All},
			wantWhere: "t.run_id IN (SELECT t1.id FROM lamindb_run t1 WHERE t1.transform_id IN (SELECT t2.id FROM lamindb_transform t2 WHERE t2.key = ?)) AND " + hidden,
			wantArgs:  []any{"k"},
		},
		{
			name:      "traversed isnull keeps NULL keys",
			q:         filter.Query{Reg: art, Conds: parse(art, "storage__region__isnull=true"), Scope: filter.Trash},
			wantWhere: "(t.storage_id IS NULL OR t.storage_id IN (SELECT t1.id FROM lamindb_storage t1 WHERE t1.region IS NULL)) AND t.branch_id = -1 AND " + hidden,
		},
		{
			name:      "uid exemption",
			q:         filter.Query{Reg: art, Conds: parse(art, "uid=x")},
			wantWhere: "t.uid = ?",
			wantArgs:  []any{"x"},
		},
		{
			name:      "order with tie-break",
			q:         filter.Query{Reg: art, Order: []string{"key", "-created_at"}, Offset: 5, Scope: filter.All},
			wantWhere: hidden,
			wantSel:   "SELECT t.id FROM lamindb_artifact t WHERE " + hidden + " ORDER BY t.key ASC, t.created_at DESC, t.id ASC LIMIT -1 OFFSET ?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, args, err := tt.q.Where()
			if err != nil {
				t.Fatal(err)
			}
			if w != tt.wantWhere {
				t.Errorf("Where=\n%s\nwant\n%s", w, tt.wantWhere)
			}
			if d := cmp.Diff(tt.wantArgs, args); d != "" {
				t.Errorf("args (-want +got):\n%s", d)
			}
			if tt.wantSel != "" {
				s, _, err := tt.q.Select([]string{"id"})
				if err != nil {
					t.Fatal(err)
				}
				if s != tt.wantSel {
					t.Errorf("Select=\n%s\nwant\n%s", s, tt.wantSel)
				}
			}
		})
	}
}

func TestSelectDefaultColumns(t *testing.T) {
	db := seeded(t)
	for _, reg := range registry.All() {
		t.Run(reg.Name, func(t *testing.T) {
			q := &filter.Query{Reg: reg, Scope: filter.All, Limit: 1}
			s, args, err := q.Select(nil)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query(s, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(append([]string{"id"}, reg.List...), cols); d != "" {
				t.Errorf("columns (-want +got):\n%s", d)
			}
		})
	}
}

func TestExempt(t *testing.T) {
	art := mustReg(t, "artifact")
	tests := []struct {
		expr string
		want bool
	}{
		{"id=1", true},
		{"uid=x", true},
		{"hash=x", true},
		{"uid__in=a,b", true},
		{"id__in=1", true},
		{"uid__exact=x", true},
		{"uid__startswith=x", false},
		{"uid__iexact=x", false},
		{"storage__id=1", false},
		{"key=x", false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := filter.Parse(art, tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			q := filter.Query{Reg: art, Conds: []filter.Cond{c}}
			if got := q.Exempt(); got != tt.want {
				t.Errorf("Exempt()=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestCondAccessors(t *testing.T) {
	art := mustReg(t, "artifact")
	tests := []struct {
		expr, field, lookup string
	}{
		{"storage__root__startswith=/", "storage_id", "startswith"},
		{"version=1", "version_tag", "exact"},
		{"visibility=1", "branch_id", "exact"},
		{"transform__key=k", "run_id", "exact"},
		{"size__gte=1", "size", "gte"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := filter.Parse(art, tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if c.Field() != tt.field || c.Lookup() != tt.lookup || c.Registry() != art {
				t.Errorf("Field=%q Lookup=%q, want %q %q", c.Field(), c.Lookup(), tt.field, tt.lookup)
			}
		})
	}
}

// FuzzParse checks that no input panics and that every accepted filter
// renders SQL the database accepts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"key__startswith=raw/", "storage__root=/x", "run__transform__key__isnull=true",
		"size__in=1,2", "created_at__gte=2024-01-01", "uid=x", "branch__name=trash", "=", "__=__",
		"key__", "description__icontains=%_\\", "is_latest=TRUE", "created_at__startswith=2024"} {
		f.Add(s, "artifact")
	}
	f.Add("name__iexact=x", "ulabel")
	f.Add("handle=x", "user")
	f.Fuzz(func(t *testing.T, expr, regName string) {
		reg, err := registry.Lookup(regName)
		if err != nil {
			return
		}
		c, err := filter.Parse(reg, expr)
		if err != nil {
			if !errors.Is(err, registry.ErrUnknown) && !errors.Is(err, filter.ErrInvalidValue) {
				t.Fatalf("Parse(%q): error %v wraps neither ErrUnknown nor ErrInvalidValue", expr, err)
			}
			return
		}
		q := &filter.Query{Reg: reg, Conds: []filter.Cond{c}, Scope: filter.All, Limit: 3}
		s, args, err := q.Select(nil)
		if err != nil {
			t.Fatalf("Select after Parse(%q): %v", expr, err)
		}
		rows, err := seeded(t).Query(s, args...)
		if err != nil {
			t.Fatalf("Parse(%q): SQL %s %q: %v", expr, s, args, err)
		}
		rows.Close()
	})
}
