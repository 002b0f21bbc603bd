package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/s3"
	"github.com/lamindb-go/lamindb/blob/s3/s3test"
)

// TestBadCredentials: a wrong secret or an unknown access key gives
// blob.ErrAccessDenied on every kind of request, and no message shows the
// secret.
func TestBadCredentials(t *testing.T) {
	good, bucket := s3test.Bucket(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(c *s3.Config)
	}{
		{"wrong secret", func(c *s3.Config) { c.SecretAccessKey = "wrong-secret-do-not-print" }},
		{"unknown access key", func(c *s3.Config) { c.AccessKeyID = "nobody"; c.SecretAccessKey = "wrong-secret-do-not-print" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.change(&cfg)
			_, err := s3.Open(ctx, "s3://"+bucket, cfg)
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, blob.ErrAccessDenied) {
					t.Errorf("%s: %v, want blob.ErrAccessDenied", op, err)
				}
				if err != nil && (strings.Contains(err.Error(), cfg.SecretAccessKey) || strings.Contains(err.Error(), good.SecretAccessKey)) {
					t.Errorf("%s: the message shows the secret: %v", op, err)
				}
			}
			check("Open", err)
			s, err := s3.New("s3://"+bucket, cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Put(ctx, "k", strings.NewReader("x"), 1)
			check("Put", err)
			_, err = s.Stat(ctx, "k")
			check("Stat", err)
			_, err = s.Open(ctx, "k")
			check("Open", err)
			_, err = s.List(ctx, "k")
			check("List", err)
			check("Delete", s.Delete(ctx, "k"))
			t.Logf("message: %v", err)
		})
	}
}

// TestMissingBucket: every method reports blob.ErrNoBucket, not a missing
// key (a Stat that said "not found" would let a repair think bytes are gone).
func TestMissingBucket(t *testing.T) {
	cfg, _ := s3test.Bucket(t)
	ctx := context.Background()
	root := "s3://lamin-no-such-bucket-4f1a"
	if _, err := s3.Open(ctx, root, cfg); !errors.Is(err, blob.ErrNoBucket) {
		t.Errorf("Open=%v, want blob.ErrNoBucket", err)
	}
	s, err := s3.New(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]error{}
	_, ops["Put"] = s.Put(ctx, "k", strings.NewReader("x"), 1)
	_, ops["Put multipart"] = s.Put(ctx, "k", bytes.NewReader(make([]byte, s3.DefaultPartSize+1)), -1)
	_, ops["Stat"] = s.Stat(ctx, "k")
	_, ops["Open"] = s.Open(ctx, "k")
	_, ops["List"] = s.List(ctx, "k")
	ops["Delete"] = s.Delete(ctx, "k")
	ops["DeleteMany"] = s.DeleteMany(ctx, []string{"a", "b"})
	ops["Rename"] = s.Rename(ctx, "a", "b")
	ops["MakeFolder"] = s.MakeFolder(ctx, "d")
	_, ops["AbortUploads"] = s.AbortUploads(ctx, "k", 0)
	for op, err := range ops {
		if !errors.Is(err, blob.ErrNoBucket) || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s=%v, want blob.ErrNoBucket", op, err)
		}
	}
	t.Logf("message: %v", ops["Stat"])
}

// TestUnreachable: a closed port fails fast with blob.ErrUnreachable, not
// after minutes of retries.
func TestUnreachable(t *testing.T) {
	cfg := s3test.Config(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint = "http://" + l.Addr().String()
	l.Close()
	ctx := context.Background()
	start := time.Now()
	_, err = s3.Open(ctx, "s3://bucket", cfg)
	if !errors.Is(err, blob.ErrUnreachable) {
		t.Errorf("Open=%v, want blob.ErrUnreachable", err)
	}
	s, err := s3.New("s3://bucket", cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, "k", strings.NewReader("x"), 1)
	if !errors.Is(err, blob.ErrUnreachable) {
		t.Errorf("Put=%v, want blob.ErrUnreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("two requests to a closed port took %v", d)
	}
	t.Logf("message: %v (after %v)", err, time.Since(start))
}

// proxy forwards TCP connections to the server and can cut them once a
// number of bytes went from the client to the server.
type proxy struct {
	l        net.Listener
	upstream string
	sent     atomic.Int64
	cutAt    int64       // cut when sent passes this (0: never)
	dead     atomic.Bool // after the cut: refuse every connection
	stayDead bool        // false: after one cut, forward again
	mu       sync.Mutex
	conns    []net.Conn
}

func newProxy(t *testing.T, upstream string, cutAt int64, stayDead bool) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, upstream: upstream, cutAt: cutAt, stayDead: stayDead}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.closeAll() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		if p.dead.Load() {
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go io.Copy(c, u)
		go p.up(c, u)
	}
}

// up copies client to server, counting, and cuts every connection when the
// count passes cutAt.
func (p *proxy) up(c, u net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			total := p.sent.Add(int64(n))
			if p.cutAt > 0 && total >= p.cutAt && !p.dead.Load() && p.sent.Load()-int64(n) < p.cutAt {
				if p.stayDead {
					p.dead.Store(true)
				}
				p.closeAll()
				return
			}
			if _, err := u.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			u.Close()
			return
		}
	}
}

func (p *proxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func randomData(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{42}).Read(b)
	return b
}

// TestCutMidSinglePut: the connection dies in the middle of a one-request
// upload and stays dead: Put fails and nothing appears, not even a hidden
// upload.
func TestCutMidSinglePut(t *testing.T) {
	cfg, bucket := s3test.Bucket(t)
	ctx := context.Background()
	direct, err := s3.New("s3://"+bucket, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Put(ctx, "k", strings.NewReader("previous"), 8); err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, strings.TrimPrefix(cfg.Endpoint, "http://"), 5<<20, true)
	pcfg := cfg
	pcfg.Endpoint = "http://" + p.l.Addr().String()
	viaProxy, err := s3.New("s3://"+bucket, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	data := randomData(10 << 20)
	if _, err := viaProxy.Put(ctx, "k", bytes.NewReader(data), int64(len(data))); err == nil {
		t.Fatal("Put succeeded through a cut connection")
	}
	rc, err := direct.Open(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); string(got) != "previous" {
		t.Errorf("after the cut the key holds %d bytes, not the previous 8", len(got))
	}
	if n, err := direct.AbortUploads(ctx, "k", 0); err != nil || n != 0 {
		t.Errorf("AbortUploads()=%d,%v, want 0: a single request leaves no upload", n, err)
	}
}

// TestCutMidUpload: the connection dies in the second part of a multipart
// upload and stays dead. Put fails, nothing appears at the key, the upload
// it could not abort is left, and AbortUploads removes it.
func TestCutMidUpload(t *testing.T) {
	cfg, bucket := s3test.Bucket(t)
	ctx := context.Background()
	direct, err := s3.New("s3://"+bucket+"/pre", cfg)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(cfg.Endpoint, "http://")
	p := newProxy(t, host, s3.DefaultPartSize+s3.DefaultPartSize/2, true)
	pcfg := cfg
	pcfg.Endpoint = "http://" + p.l.Addr().String()
	viaProxy, err := s3.New("s3://"+bucket+"/pre", pcfg)
	if err != nil {
		t.Fatal(err)
	}
	data := randomData(40 << 20)
	start := time.Now()
	_, err = viaProxy.Put(ctx, ".lamindb/big.bin", bytes.NewReader(data), int64(len(data)))
	if err == nil {
		t.Fatal("Put succeeded through a connection cut in its second part")
	}
	t.Logf("Put failed after %v: %v", time.Since(start), err)
	if _, err := direct.Stat(ctx, ".lamindb/big.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the cut Stat=%v, want fs.ErrNotExist", err)
	}
	c, err := s3.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	uploads := func() []string {
		var ks []string
		for u := range c.ListIncompleteUploads(ctx, bucket, "pre/", true) {
			if u.Err != nil {
				t.Fatal(u.Err)
			}
			ks = append(ks, u.Key)
		}
		return ks
	}
	if got := uploads(); len(got) != 1 || got[0] != "pre/.lamindb/big.bin" {
		t.Fatalf("incomplete uploads after the cut: %v, want the one Put could not abort", got)
	}
	// Younger than the age given: kept (it could be a Put still running).
	if n, err := direct.AbortUploads(ctx, ".lamindb", time.Hour); err != nil || n != 0 {
		t.Errorf("AbortUploads(1h)=%d,%v, want 0", n, err)
	}
	// Another prefix: kept.
	if n, err := direct.AbortUploads(ctx, ".lamin", 0); err != nil || n != 0 {
		t.Errorf("AbortUploads(.lamin)=%d,%v, want 0", n, err)
	}
	if n, err := direct.AbortUploads(ctx, ".lamindb", 0); err != nil || n != 1 {
		t.Errorf("AbortUploads(0)=%d,%v, want 1", n, err)
	}
	if got := uploads(); len(got) != 0 {
		t.Errorf("incomplete uploads after AbortUploads: %v", got)
	}
	if _, err := direct.Stat(ctx, ".lamindb/big.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after AbortUploads Stat=%v, want fs.ErrNotExist", err)
	}
}

// TestCutOnceIsRetried: a connection cut once, in the middle of a part, is
// retried from the buffered part, and the object arrives whole.
func TestCutOnceIsRetried(t *testing.T) {
	cfg, bucket := s3test.Bucket(t)
	ctx := context.Background()
	p := newProxy(t, strings.TrimPrefix(cfg.Endpoint, "http://"), s3.DefaultPartSize+s3.DefaultPartSize/2, false)
	pcfg := cfg
	pcfg.Endpoint = "http://" + p.l.Addr().String()
	s, err := s3.New("s3://"+bucket, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	data := randomData(40 << 20)
	if _, err := s.Put(ctx, "big", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put through a connection cut once: %v", err)
	}
	if p.sent.Load() < int64(len(data))+s3.DefaultPartSize/2 {
		t.Errorf("the proxy forwarded %d bytes: the cut did not happen, or no part was sent again", p.sent.Load())
	}
	rc, err := s.Open(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
	c, _ := s3.NewClient(cfg)
	for u := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		t.Errorf("incomplete upload left: %+v", u)
	}
}
