package lamindb

import (
	"path"
	"strings"
)

// knownSuffixes are the single suffixes lamindb keeps (its MIME-type list plus
// bio, ML and array formats); anything else is canonicalised to "".
var knownSuffixes = setOf(
	".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".md", ".html", ".htm", ".xml", ".toml",
	".ini", ".cfg", ".log", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".tif", ".tiff", ".bmp", ".webp",
	".zip", ".tar", ".parquet", ".ipc", ".feather", ".arrow", ".h5ad", ".h5mu", ".h5", ".hdf5", ".zarr",
	".tiledbsoma", ".fastq", ".fq", ".fasta", ".fa", ".fna", ".bam", ".bai", ".sam", ".cram", ".vcf", ".bcf",
	".bed", ".bedgraph", ".bw", ".bigwig", ".gtf", ".gff", ".gff3", ".mtx", ".loom", ".npy", ".npz", ".pt",
	".pth", ".safetensors", ".pkl", ".pickle", ".ckpt", ".onnx", ".joblib", ".ipynb", ".py", ".r", ".rmd",
	".qmd", ".sh", ".rds", ".rdata", ".fcs", ".czi", ".nd2", ".lif", ".mzml", ".xlsx", ".xls", ".docx", ".doc",
	".pptx", ".mp4", ".mov", ".avi", ".wav", ".mp3", ".js", ".css", ".sql", ".db", ".sqlite", ".nc", ".mat",
	".gz", ".bz2", ".xz", ".zst",
)

var compositeSuffixes = []string{".anndata.zarr", ".spatialdata.zarr", ".mudata.zarr", ".vitessce.json",
	".ome.zarr", ".ome.h5", ".ome.hdf5", ".ome.tif", ".ome.tiff", ".h5ad.tar.gz", ".tar.gz"}

var encodingSuffixes = setOf(".gz", ".bz2", ".xz", ".zst")

func setOf(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// CanonicalSuffix returns lamindb's canonical suffix of a path or key:
// composite suffixes (.anndata.zarr, .tar.gz), known suffixes optionally
// compressed (.csv.gz), or "" for unknown ones (spec §3.3).
func CanonicalSuffix(p string) string {
	base := strings.ToLower(path.Base(strings.ReplaceAll(p, "\\", "/")))
	for _, c := range compositeSuffixes {
		if strings.HasSuffix(base, c) && len(base) > len(c) {
			return c
		}
	}
	ext := path.Ext(base)
	if ext == "" || ext == base {
		return ""
	}
	if encodingSuffixes[ext] {
		inner := path.Ext(strings.TrimSuffix(base, ext))
		if inner != "" && knownSuffixes[inner] && !encodingSuffixes[inner] && inner != strings.TrimSuffix(base, ext) {
			return inner + ext
		}
		return ext
	}
	if knownSuffixes[ext] {
		return ext
	}
	return ""
}

// rawSuffix is the suffix a path shows, known or not: the canonical one if
// there is one, else the last extension. Keys and paths must agree on it.
func rawSuffix(p string) string {
	if c := CanonicalSuffix(p); c != "" {
		return c
	}
	base := path.Base(strings.ReplaceAll(p, "\\", "/"))
	if ext := path.Ext(base); ext != base {
		return strings.ToLower(ext)
	}
	return ""
}

// ValidateKey checks a key before anything else happens (spec §3.4): no
// backslash, no "." or ".." segments, nothing inside .lamindb/, and, when a
// path or format is given, the same suffix as the data.
func ValidateKey(key, dataSuffix string) error {
	if key == "" {
		return nil
	}
	if strings.Contains(key, "\\") {
		return errorf(ErrInvalid, "invalid key %q: no backslashes allowed", key)
	}
	if strings.Contains("/"+key+"/", "/"+managedDir+"/") || strings.HasPrefix(key, managedDir) {
		return errorf(ErrInvalid, "Do not pass key that contains a managed storage path in `.lamindb/`")
	}
	if strings.HasPrefix(key, "/") {
		return errorf(ErrInvalid, "invalid key %q: keys are relative, no leading '/'", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return errorf(ErrInvalid, "invalid key %q: no '.' or '..' segments allowed", key)
		}
		if seg == "" {
			return errorf(ErrInvalid, "invalid key %q: empty path segment", key)
		}
	}
	if ks := rawSuffix(key); ks != dataSuffix {
		return errorf(ErrInvalid, "The passed path's suffix '%s' must match the passed key's suffix '%s'.", dataSuffix, ks)
	}
	return nil
}

// RawSuffix returns the suffix a path shows, known or not; keys must carry the
// same one as their data.
func RawSuffix(p string) string { return rawSuffix(p) }
