package lamindb

import (
	"errors"
	"testing"
)

func TestCanonicalSuffix(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"csv", "a/b/data.csv", ".csv"},
		{"upper case", "DATA.PARQUET", ".parquet"},
		{"unknown", "test.xyz", ""},
		{"none", "README", ""},
		{"compressed known", "x.csv.gz", ".csv.gz"},
		{"compressed unknown", "x.xyz.gz", ".gz"},
		{"tar.gz", "x.tar.gz", ".tar.gz"},
		{"anndata zarr", "x.anndata.zarr", ".anndata.zarr"},
		{"h5ad.tar.gz", "x.h5ad.tar.gz", ".h5ad.tar.gz"},
		{"dotfile", ".bashrc", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CanonicalSuffix(tc.in); got != tc.want {
				t.Errorf("CanonicalSuffix(%q)=%q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidateKey(t *testing.T) {
	for _, tc := range []struct {
		name, key, suffix string
		ok                bool
	}{
		{"plain", "raw/data.csv", ".csv", true},
		{"no key", "", ".csv", true},
		{"dotdot", "raw/../x.csv", ".csv", false},
		{"dot", "./x.csv", ".csv", false},
		{"backslash", `raw\x.csv`, ".csv", false},
		{"managed", ".lamindb/x.csv", ".csv", false},
		{"managed nested", "a/.lamindb/x.csv", ".csv", false},
		{"suffix mismatch", "x.parquet", ".csv", false},
		{"unknown suffix both", "x.xyz", ".xyz", true},
		{"key without suffix", "mykey", ".xyz", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateKey(tc.key, tc.suffix)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateKey(%q, %q)=%v, want ok=%v", tc.key, tc.suffix, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}
