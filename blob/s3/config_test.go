package s3_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

func TestParseRoot(t *testing.T) {
	for _, tc := range []struct {
		root, bucket, prefix string
		ok                   bool
	}{
		{"s3://b", "b", "", true},
		{"s3://b/", "b", "", true},
		{"s3://b/p", "b", "p", true},
		{"s3://b/p/q/", "b", "p/q", true},
		{"s3://", "", "", false},
		{"s3:///p", "", "", false},
		{"/local/path", "", "", false},
		{"gs://b", "", "", false},
		{"s3://b/p/../q", "", "", false},
		{"s3://b/p//q", "", "", false},
	} {
		b, p, err := s3.ParseRoot(tc.root)
		if (err == nil) != tc.ok || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseRoot(%q)=%q,%q,%v", tc.root, b, p, err)
		}
	}
}

func TestNewStore(t *testing.T) {
	for _, tc := range []struct {
		endpoint, want string
		ok             bool
	}{
		{"http://127.0.0.1:7070", "http://127.0.0.1:7070", true},
		{"https://s3.example.org", "https://s3.example.org", true},
		{"s3.example.org", "https://s3.example.org", true}, // no scheme: TLS
		{"", "https://s3.amazonaws.com", true},
		{"ftp://x", "", false},
		{"http://host/with/path", "", false},
		{"http://", "", false},
	} {
		s, err := s3.New("s3://bucket/pre", s3.Config{Endpoint: tc.endpoint, AccessKeyID: "k", SecretAccessKey: "s"})
		if (err == nil) != tc.ok {
			t.Errorf("New(endpoint %q)=%v", tc.endpoint, err)
			continue
		}
		if err != nil {
			continue
		}
		if got := s.Root(); got != "s3://bucket/pre" {
			t.Errorf("Root()=%s", got)
		}
		if f := s.Features(); !f.AtomicPut || f.PartSize != s3.DefaultPartSize {
			t.Errorf("Features()=%+v", f)
		}
		if p := s.LocalPath("x"); p != "" {
			t.Errorf("LocalPath()=%q", p)
		}
	}
	for _, ps := range []int64{1 << 20, 6 << 30} {
		if _, err := s3.New("s3://b", s3.Config{PartSize: ps}); err == nil {
			t.Errorf("New(part size %d) succeeded", ps)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://a:1")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	want := s3.Config{Endpoint: "http://a:1", AccessKeyID: "id", SecretAccessKey: "secret", SessionToken: "token", Region: "eu-west-1"}
	if got := s3.ConfigFromEnv(); got != want {
		t.Errorf("ConfigFromEnv()=%+v, want %+v", got, want)
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://b:2")
	t.Setenv("AWS_REGION", "us-west-2")
	if got := s3.ConfigFromEnv(); got.Endpoint != "http://b:2" || got.Region != "us-west-2" {
		t.Errorf("ConfigFromEnv()=%+v, want the S3 endpoint and AWS_REGION", got)
	}
}

// TestOpen checks the bucket at once: a good one opens.
func TestOpen(t *testing.T) {
	cfg, bucket := s3test.Bucket(t)
	s, err := s3.Open(context.Background(), "s3://"+bucket+"/p", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Check(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, blob.ErrUnreachable) {
		t.Errorf("Check(cancelled)=%v, want context.Canceled", err)
	}
}

func TestHashFromETag(t *testing.T) {
	for _, tc := range []struct {
		etag, hash, typ string
		ok              bool
	}{
		// md5("a"): lamindb's test vector for the file "a".
		{"0cc175b9c0f1b6a831c399e269772661", "DMF1ucDxtqgxw5niaXcmYQ", "md5", true},
		{`"0cc175b9c0f1b6a831c399e269772661"`, "DMF1ucDxtqgxw5niaXcmYQ", "md5", true},
		// md5 of the empty file.
		{"d41d8cd98f00b204e9800998ecf8427e", "1B2M2Y8AsgTpgAmY7PhCfg", "md5", true},
		{"0cc175b9c0f1b6a831c399e269772661-3", "DMF1ucDxtqgxw5niaXcmYQ", "md5-3", true},
		{"0cc175b9c0f1b6a831c399e269772661-x", "", "", false},
		{"0cc175b9c0f1b6a831c399e269772661-0", "", "", false},
		{"not hex", "", "", false},
		{"0cc175b9", "", "", false},
	} {
		h, typ, err := s3.HashFromETag(tc.etag)
		if (err == nil) != tc.ok || h != tc.hash || typ != tc.typ {
			t.Errorf("HashFromETag(%q)=%q,%q,%v, want %q,%q", tc.etag, h, typ, err, tc.hash, tc.typ)
		}
	}
}

func TestPresignGet(t *testing.T) {
	s := s3test.Store(t, "p")
	ctx := context.Background()
	if _, err := s.Put(ctx, "k.txt", strings.NewReader("shared"), 6); err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignGet(ctx, "k.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "shared" {
		t.Errorf("GET presigned URL: %s %q", resp.Status, b)
	}
	if strings.Contains(u, s3test.Config(t).SecretAccessKey) {
		t.Error("the URL holds the secret")
	}
}

// FuzzParseRoot: whatever the root, a parsed prefix is a valid key path and
// the bucket has no slash.
func FuzzParseRoot(f *testing.F) {
	for _, r := range []string{"s3://b", "s3://b/p/q", "s3://b//", "s3://b/../x", "s3://b/./x", `s3://b/a\b`} {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, root string) {
		b, p, err := s3.ParseRoot(root)
		if err != nil {
			return
		}
		if b == "" || strings.Contains(b, "/") {
			t.Errorf("ParseRoot(%q): bucket %q", root, b)
		}
		for _, seg := range strings.Split(p, "/") {
			if p != "" && (seg == "" || seg == "." || seg == "..") {
				t.Errorf("ParseRoot(%q): prefix %q", root, p)
			}
		}
	})
}

// FuzzHashFromETag: a hash is always 22 characters of URL-safe base64.
func FuzzHashFromETag(f *testing.F) {
	f.Add("0cc175b9c0f1b6a831c399e269772661-3")
	f.Add(`"d41d8cd98f00b204e9800998ecf8427e"`)
	f.Fuzz(func(t *testing.T, etag string) {
		h, typ, err := s3.HashFromETag(etag)
		if err != nil {
			return
		}
		if len(h) != 22 || strings.ContainsAny(h, "+/=") || !strings.HasPrefix(typ, "md5") {
			t.Errorf("HashFromETag(%q)=%q,%q", etag, h, typ)
		}
	})
}
