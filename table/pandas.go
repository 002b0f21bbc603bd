package table

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// pandasKey is the schema metadata key pyarrow and pandas use to restore
// dtypes (notably nullable Int64/boolean) when reading Parquet.
const pandasKey = "pandas"

// pandasCreator names this writer honestly; pyarrow ignores the creator
// field when reconstructing a DataFrame, as it does for fastparquet files.
var pandasCreator = pandasLib{Library: "lamindb-go", Version: "arrow-go/v18"}

// pandasVersion is the pandas version whose metadata layout we emit (the
// 'columns'/'index_columns' format unchanged since pandas 0.25).
const pandasVersion = "2.2.3"

type pandasLib struct {
	Library string `json:"library"`
	Version string `json:"version"`
}

type pandasRangeIndex struct {
	Kind  string  `json:"kind"`
	Name  *string `json:"name"`
	Start int64   `json:"start"`
	Stop  int64   `json:"stop"`
	Step  int64   `json:"step"`
}

type pandasColumn struct {
	Name       *string        `json:"name"`
	FieldName  *string        `json:"field_name"`
	PandasType string         `json:"pandas_type"`
	NumpyType  string         `json:"numpy_type"`
	Metadata   map[string]any `json:"metadata"`
}

type pandasMeta struct {
	IndexColumns  []pandasRangeIndex `json:"index_columns"`
	ColumnIndexes []pandasColumn     `json:"column_indexes"`
	Columns       []pandasColumn     `json:"columns"`
	Creator       pandasLib          `json:"creator"`
	PandasVersion string             `json:"pandas_version"`
}

// pandasMetadata returns the JSON pyarrow would write for a DataFrame with a
// default RangeIndex and these columns. Columns holding nulls get pandas'
// nullable extension dtypes, otherwise pandas would turn int64 into float64.
// nulls[i] reports whether column i holds any null.
func pandasMetadata(fields []arrow.Field, nulls []bool, rows int64) (string, error) {
	cols := make([]pandasColumn, len(fields))
	for i, f := range fields {
		name := f.Name
		nulls := nulls[i]
		c := pandasColumn{Name: &name, FieldName: &name}
		switch f.Type.ID() {
		case arrow.INT64:
			c.PandasType, c.NumpyType = "int64", "int64"
			if nulls {
				c.NumpyType = "Int64"
			}
		case arrow.FLOAT64:
			c.PandasType, c.NumpyType = "float64", "float64"
		case arrow.BOOL:
			c.PandasType, c.NumpyType = "bool", "bool"
			if nulls {
				c.NumpyType = "boolean"
			}
		case arrow.STRING:
			c.PandasType, c.NumpyType = "unicode", "object"
		default:
			return "", fmt.Errorf("table: column %q: no pandas mapping for %s", f.Name, f.Type)
		}
		cols[i] = c
	}
	m := pandasMeta{
		IndexColumns: []pandasRangeIndex{{Kind: "range", Start: 0, Stop: rows, Step: 1}},
		ColumnIndexes: []pandasColumn{{
			PandasType: "unicode",
			NumpyType:  "object",
			Metadata:   map[string]any{"encoding": "UTF-8"},
		}},
		Columns:       cols,
		Creator:       pandasCreator,
		PandasVersion: pandasVersion,
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// pandasSchema returns the schema for fields carrying only the pandas
// metadata; ReadCSV and the streaming CSVToParquet share it so both write the
// same schema for the same input.
func pandasSchema(fields []arrow.Field, nulls []bool, rows int64) (*arrow.Schema, error) {
	md, err := pandasMetadata(fields, nulls, rows)
	if err != nil {
		return nil, err
	}
	meta := arrow.NewMetadata([]string{pandasKey}, []string{md})
	return arrow.NewSchema(fields, &meta), nil
}

// withPandasMetadata returns tbl with pandas metadata attached (retained, so
// the caller releases the result either way). Tables that already carry the
// key, or have types without a pandas mapping, are returned as they are.
func withPandasMetadata(tbl arrow.Table) arrow.Table {
	sc := tbl.Schema()
	if sc.HasMetadata() && sc.Metadata().FindKey(pandasKey) >= 0 {
		tbl.Retain()
		return tbl
	}
	nulls := make([]bool, tbl.NumCols())
	for i := range nulls {
		nulls[i] = tbl.Column(i).NullN() > 0
	}
	md, err := pandasMetadata(sc.Fields(), nulls, tbl.NumRows())
	if err != nil {
		tbl.Retain()
		return tbl
	}
	meta := sc.Metadata()
	// Clone: Keys/Values return the schema's own slices.
	keys := append(slices.Clone(meta.Keys()), pandasKey)
	vals := append(slices.Clone(meta.Values()), md)
	return replaceMetadata(tbl, arrow.NewMetadata(keys, vals))
}

// replaceMetadata returns a new table sharing tbl's columns under a schema
// with the given metadata.
func replaceMetadata(tbl arrow.Table, meta arrow.Metadata) arrow.Table {
	sc := arrow.NewSchema(tbl.Schema().Fields(), &meta)
	cols := make([]arrow.Column, tbl.NumCols())
	for i := range cols {
		cols[i] = *tbl.Column(i)
	}
	return array.NewTable(sc, cols, tbl.NumRows())
}
