// Package s3 implements blob.Store on S3-compatible object storage (AWS S3,
// MinIO, versitygw, …) with minio-go.
//
// A storage root is s3://bucket[/prefix]; keys are relative to the prefix.
// Requests always use path-style addressing (http://host/bucket/key), which
// every S3-compatible server understands, so a local server needs no DNS.
//
// Writes: Put uploads objects up to the part size in one request and larger
// ones as a multipart upload of fixed-size parts, each buffered once in
// memory (up to Config.Parallel parts in flight: 4 × 16 MiB by default per
// running Put), sent with its Content-MD5 (the server refuses damaged
// parts) and retried from the buffer. The object appears only when the upload completes, so a Put
// is atomic; a Put that fails aborts its upload, and AbortUploads removes
// those of killed processes.
//
// Folders: S3 has none. A folder is every key below key + "/"; MakeFolder
// writes a zero-byte marker object named key + "/" so that an empty folder
// exists (Stat sees it, List hides it, Delete and Rename treat it as one of
// the folder's objects). It is the convention of the AWS console's
// "Create folder", so other tools show the empty folder too. A folder Rename
// keeps a journal of hidden markers below ".lamin-move/" in the folder it
// moves (see Rename); keys cannot use that name.
//
// Testing: scripts/start-s3 starts a local server, package s3test gives a
// test a fresh bucket on it.
package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/lamindb-go/lamindb/blob"
)

var _ blob.Store = (*Store)(nil)

// DefaultPartSize is the part size of multipart uploads: large enough that
// a 100 GiB object stays under S3's limit of 10,000 parts, small enough to
// buffer one part per running Put.
const DefaultPartSize = 16 << 20

// maxParts is S3's limit on the parts of one upload.
const maxParts = 10000

// maxCopySize is the largest object one CopyObject request copies (S3's limit).
const maxCopySize = 5 << 30

// Config says how to reach the storage service. The zero value of a field
// means its default.
type Config struct {
	// Endpoint is the service's URL, e.g. http://127.0.0.1:7070; http:// means
	// plain HTTP (for a local server), no scheme means https. Default: AWS S3.
	Endpoint string
	// AccessKeyID, SecretAccessKey and SessionToken are the credentials. When
	// AccessKeyID is empty, ~/.aws/credentials (AWS_PROFILE) is tried, then
	// anonymous access.
	AccessKeyID, SecretAccessKey, SessionToken string
	// Region is the bucket's region; default us-east-1. Given explicitly, so
	// no request asks the server for it.
	Region string
	// PartSize is the size of upload parts; default DefaultPartSize, at
	// least 5 MiB (S3's minimum).
	PartSize int64
	// Parallel is how many parts of one upload go up at once, each buffered:
	// a Put holds up to Parallel × PartSize bytes. Default 4.
	Parallel int
	// MaxRetries is how many times a request is tried; default 3, so an
	// unreachable endpoint fails within a second instead of minutes.
	MaxRetries int
	// Transport carries the requests; default an http.Transport with short
	// dial timeouts. Tests put a faulty proxy in between.
	Transport http.RoundTripper
}

// ConfigFromEnv reads the standard variables: AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN and AWS_REGION (or AWS_DEFAULT_REGION).
func ConfigFromEnv() Config {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL_S3") // the AWS tools' S3-only override
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	return Config{
		Endpoint:        endpoint,
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Region:          region,
	}
}

// Store is one S3 storage location.
type Store struct {
	client   *minio.Client
	core     minio.Core
	bucket   string
	prefix   string // "" or "some/prefix/", with the slash
	root     string // s3://bucket[/prefix]
	endpoint string // for messages
	keyID    string // for messages: the access key id is not a secret
	partSize int64
	parallel int
	bufs     sync.Pool // *[]byte of partSize
}

// ParseRoot splits s3://bucket[/prefix] into bucket and prefix (without
// slashes at either end).
func ParseRoot(root string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(root, "s3://")
	if !ok {
		return "", "", fmt.Errorf("not an S3 root (s3://bucket[/prefix]): %q", root)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("no bucket in S3 root %q", root)
	}
	if prefix != "" {
		if err := checkKey(prefix); err != nil {
			return "", "", fmt.Errorf("bad prefix in S3 root %q: %w", root, err)
		}
	}
	return bucket, prefix, nil
}

// NewClient returns a minio-go client for cfg, with this package's defaults
// (path-style requests, few retries, short dial timeouts).
func NewClient(cfg Config) (*minio.Client, error) {
	ep := cfg.Endpoint
	if ep == "" {
		ep = "https://s3.amazonaws.com"
	}
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("bad S3 endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	creds := credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	if cfg.AccessKeyID == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{&credentials.FileAWSCredentials{}})
	}
	tr := cfg.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       time.Minute,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 2 * time.Minute, // completing a large upload can take a while
			ExpectContinueTimeout: time.Second,
			DisableCompression:    true, // bytes as stored, never decoded
		}
	}
	retries := cfg.MaxRetries
	if retries <= 0 {
		retries = 3
	}
	return minio.New(u.Host, &minio.Options{
		Creds:        creds,
		Secure:       u.Scheme == "https",
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    tr,
		MaxRetries:   retries,
	})
}

// New returns the store of root (s3://bucket[/prefix]). It sends no request;
// Check or Open find out whether the bucket can be reached.
func New(root string, cfg Config) (*Store, error) {
	bucket, prefix, err := ParseRoot(root)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	ps := cfg.PartSize
	if ps == 0 {
		ps = DefaultPartSize
	}
	if ps < 5<<20 || ps > 5<<30 {
		return nil, fmt.Errorf("S3 part size %d out of range [5 MiB, 5 GiB]", ps)
	}
	s := &Store{client: c, core: minio.Core{Client: c}, bucket: bucket, root: "s3://" + bucket,
		endpoint: c.EndpointURL().String(), keyID: cfg.AccessKeyID, partSize: ps, parallel: max(1, cfg.Parallel)}
	if cfg.Parallel == 0 {
		s.parallel = 4
	}
	if prefix != "" {
		s.prefix = prefix + "/"
		s.root += "/" + prefix
	}
	s.bufs.New = func() any { b := make([]byte, ps); return &b }
	return s, nil
}

// Open returns the store of root after checking that its bucket exists and
// the credentials are good, so a wrong setting fails at once and clearly.
func Open(ctx context.Context, root string, cfg Config) (*Store, error) {
	s, err := New(root, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Check(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Check sends one request (HEAD of the bucket, which needs s3:ListBucket)
// to find out whether the bucket exists and the credentials are accepted;
// errors wrap blob.ErrNoBucket, blob.ErrAccessDenied or blob.ErrUnreachable.
func (s *Store) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.wrap("check", "", err)
	}
	if !ok {
		// A HEAD answer has no body, and some servers (versitygw) answer an
		// unknown access key with 404 too: a listing says which it was.
		lctx, cancel := context.WithCancel(ctx)
		defer cancel() // ends the lister when we stop reading
		err := error(minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: http.StatusNotFound})
		oi, ok := <-s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, MaxKeys: 1})
		if ok && oi.Err != nil {
			err = oi.Err
		}
		return s.wrap("check", "", err)
	}
	return nil
}

// Root returns s3://bucket[/prefix].
func (s *Store) Root() string { return s.root }

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Features: uploads are atomic; large ones go in parts of the part size.
func (s *Store) Features() blob.Features {
	return blob.Features{AtomicPut: true, PartSize: s.partSize}
}

// LocalPath returns "": nothing of an S3 store is a local file.
func (s *Store) LocalPath(string) string { return "" }

// checkKey refuses keys that S3 would take literally but a file system
// would not (empty segments, "." and "..", backslashes), and those in the
// namespace of Rename's journal.
func checkKey(key string) error {
	if key == "" || strings.Contains(key, `\`) {
		return fmt.Errorf("%w: %q", blob.ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || seg == journalDir {
			return fmt.Errorf("%w: %q", blob.ErrInvalidKey, key)
		}
	}
	return nil
}

// object returns the object name of key.
func (s *Store) object(key string) string { return s.prefix + key }

// url is how messages name key.
func (s *Store) url(key string) string {
	if key == "" {
		return s.root
	}
	return s.root + "/" + key
}

// wrap turns a minio-go error into one that errors.Is can test: a missing
// key wraps fs.ErrNotExist, the rest blob's sentinels. Messages name the
// endpoint and the access key id, never the secret.
func (s *Store) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w", op, s.url(key), err)
	}
	var ue *url.Error
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchBucket":
		return fmt.Errorf("%s %s: %w: %q at %s", op, s.url(key), blob.ErrNoBucket, s.bucket, s.endpoint)
	case resp.Code == "NoSuchKey" || resp.Code == "NotFound" || resp.StatusCode == http.StatusNotFound && resp.Code == "":
		return &fs.PathError{Op: op, Path: s.url(key), Err: fs.ErrNotExist}
	case resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" || resp.Code == "AccessDenied" ||
		resp.Code == "InvalidToken" || resp.Code == "ExpiredToken" || resp.StatusCode == http.StatusForbidden ||
		resp.Code == "XAdminUserNotFound": // versitygw's answer to an unknown access key, with status 404
		id := s.keyID
		if id == "" {
			id = "(none)"
		}
		msg := resp.Message
		if msg == "" {
			msg = resp.Code
		}
		return fmt.Errorf("%s %s: %w at %s with access key id %s: %s", op, s.url(key), blob.ErrAccessDenied, s.endpoint, id, msg)
	case resp.Code == "InvalidRange":
		return fmt.Errorf("%s %s: %w", op, s.url(key), blob.ErrInvalidRange)
	case resp.Code == "" && errors.As(err, &ue):
		return fmt.Errorf("%s %s: %w: %s: %v", op, s.url(key), blob.ErrUnreachable, s.endpoint, ue.Err)
	}
	return fmt.Errorf("%s %s: %w", op, s.url(key), err)
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// meter reports upload progress: the sum of what each part sent, each
// part counted at its furthest, so the total never goes back when a part
// is retried. Parts go up concurrently; the callback is called under the
// lock, so it sees one call at a time.
type meter struct {
	p     blob.Progress
	total int64
	mu    sync.Mutex
	sent  map[int]int64 // by part number
	sum   int64
}

func (m *meter) report(part int, pos int64) {
	if m.p == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sent == nil {
		m.sent = map[int]int64{}
	}
	if d := pos - m.sent[part]; d > 0 {
		m.sent[part] = pos
		m.sum += d
		m.p(m.sum, m.total)
	}
}

// partReader is one buffered part as a request body: seekable, so minio-go
// can retry it, and reporting what was sent.
type partReader struct {
	*bytes.Reader
	part int
	m    *meter
}

func (r *partReader) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	r.m.report(r.part, r.Reader.Size()-int64(r.Reader.Len()))
	return n, err
}

// Put uploads r to key (see the package comment). Nothing appears at key
// unless the whole upload succeeds.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	obj := s.object(key)
	m := &meter{p: blob.ProgressOf(ctx), total: size}
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size+1) // one byte more tells a longer reader
	}
	ps := s.partSize
	if size > ps*maxParts {
		ps = (size + maxParts - 1) / maxParts
	}
	tooLong := func(n int64) error {
		return fmt.Errorf("%w: put %s: %d bytes given, %d or more read", blob.ErrSize, s.url(key), size, n)
	}
	// A small object of known size: exactly its bytes, one request.
	if size >= 0 && size <= ps {
		buf := make([]byte, size+1)
		n, err := io.ReadFull(src, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return int64(n), err
		}
		if int64(n) != size {
			return int64(n), tooLong(int64(n))
		}
		return size, s.putOne(ctx, key, obj, buf[:n], m)
	}
	var bp *[]byte
	if ps == s.partSize {
		bp = s.bufs.Get().(*[]byte)
		defer s.bufs.Put(bp)
	} else {
		b := make([]byte, ps)
		bp = &b
	}
	buf := *bp
	n, err := io.ReadFull(src, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return int64(n), err
	}
	var peek [1]byte
	if err == nil && size < 0 {
		// Exactly one part's worth, or more? An object of one full part
		// goes up in one request, as one of known size does, so that its
		// ETag is the same however it was put.
		k, perr := io.ReadFull(src, peek[:])
		switch {
		case errors.Is(perr, io.EOF):
			err = io.EOF
		case perr != nil:
			return int64(n), perr
		default:
			src = io.MultiReader(bytes.NewReader(peek[:k]), src)
		}
	}
	if err != nil { // it all fit in one part
		if size >= 0 && int64(n) != size {
			return int64(n), tooLong(int64(n))
		}
		return int64(n), s.putOne(ctx, key, obj, buf[:n], m)
	}
	return s.putParts(ctx, key, obj, src, buf, size, m)
}

// putOne uploads b in one request.
func (s *Store) putOne(ctx context.Context, key, obj string, b []byte, m *meter) error {
	sum := md5.Sum(b)
	body := &partReader{Reader: bytes.NewReader(b), part: 1, m: m}
	_, err := s.core.PutObject(ctx, s.bucket, obj, body, int64(len(b)), base64.StdEncoding.EncodeToString(sum[:]), "",
		minio.PutObjectOptions{})
	return s.wrap("put", key, err)
}

// putParts uploads a multipart object whose first part is in buf (full) and
// the rest in src, up to s.parallel parts at a time (each in a buffer of its
// own, read from src in order), and aborts the upload if anything fails,
// even when ctx was cancelled: an aborted upload leaves nothing behind.
func (s *Store) putParts(ctx context.Context, key, obj string, src io.Reader, buf []byte, size int64, m *meter) (total int64, err error) {
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, obj, minio.PutObjectOptions{})
	if err != nil {
		return 0, s.wrap("put", key, err)
	}
	defer func() {
		if err != nil {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if aerr := s.core.AbortMultipartUpload(actx, s.bucket, obj, id); aerr != nil {
				err = errors.Join(err, fmt.Errorf("abort the upload (AbortUploads will): %w", s.wrap("abort", key, aerr)))
			}
		}
	}()
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		parts   []minio.CompletePart
		upErr   error
		uploads sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if upErr == nil {
			upErr = err
		}
		mu.Unlock()
		cancel()
	}
	ps := len(buf)
	free := make(chan []byte, s.parallel) // buffers whose part went up
	var extra []*[]byte                   // buffers taken here, returned at the end
	defer func() {
		uploads.Wait() // no upload holds a buffer any more
		for _, bp := range extra {
			if len(*bp) == int(s.partSize) {
				s.bufs.Put(bp)
			}
		}
	}()
	cur, n := buf, ps
	for num := 1; ; num++ {
		if num > maxParts {
			fail(fmt.Errorf("put %s: more than %d parts of %d bytes", s.url(key), maxParts, ps))
			break
		}
		part, b := cur[:n], cur
		uploads.Go(func() {
			sum := md5.Sum(part)
			body := &partReader{Reader: bytes.NewReader(part), part: num, m: m}
			p, err := s.core.PutObjectPart(uctx, s.bucket, obj, id, num, body, int64(len(part)),
				minio.PutObjectPartOptions{Md5Base64: base64.StdEncoding.EncodeToString(sum[:])})
			if err != nil {
				fail(s.wrap("put", key, err))
			} else {
				mu.Lock()
				parts = append(parts, minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
				mu.Unlock()
			}
			free <- b
		})
		total += int64(n)
		if n < ps {
			break // a short part is the last
		}
		// The next part's buffer: a free one, or a new one while fewer
		// than s.parallel are in use, or else wait for one.
		var next []byte
		select {
		case next = <-free:
		default:
			if len(extra)+1 < s.parallel {
				var bp *[]byte
				if ps == int(s.partSize) {
					bp = s.bufs.Get().(*[]byte)
				} else {
					b := make([]byte, ps)
					bp = &b
				}
				extra = append(extra, bp)
				next = *bp
			} else {
				select {
				case next = <-free:
				case <-uctx.Done():
				}
			}
		}
		if uctx.Err() != nil {
			break
		}
		var rerr error
		n, rerr = io.ReadFull(src, next)
		if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) && !errors.Is(rerr, io.EOF) {
			fail(rerr)
			break
		}
		if n == 0 {
			break // the data ended with a full part
		}
		cur = next
	}
	uploads.Wait()
	if upErr != nil {
		return total, upErr
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	if size >= 0 && total != size {
		return total, fmt.Errorf("%w: put %s: %d bytes given, more or fewer read", blob.ErrSize, s.url(key), size)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, obj, id, parts, minio.PutObjectOptions{}); err != nil {
		return total, s.wrap("put", key, err)
	}
	return total, nil
}

// MakeFolder writes the marker object key + "/" (see the package comment).
func (s *Store) MakeFolder(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if _, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{}); err == nil {
		return fmt.Errorf("make folder %s: a file is there", s.url(key))
	}
	_, err := s.core.PutObject(ctx, s.bucket, s.object(key)+"/", bytes.NewReader(nil), 0, "", "", minio.PutObjectOptions{})
	return s.wrap("make folder", key, err)
}

// Open streams the object at key.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.OpenRange(ctx, key, 0, -1)
}

// OpenRange streams length bytes of the object at key from offset.
func (s *Store) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("%w: negative offset %d", blob.ErrInvalidRange, offset)
	}
	var opts minio.GetObjectOptions
	switch {
	case length == 0: // no HTTP range can say "nothing": check and return nothing
		info, err := s.statObject(ctx, key)
		if err != nil {
			return nil, err
		}
		if offset > info.Size {
			return nil, fmt.Errorf("open %s: %w: it has %d bytes, offset %d", s.url(key), blob.ErrInvalidRange, info.Size, offset)
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	case length > 0:
		opts.SetRange(offset, offset+length-1)
	case offset > 0:
		opts.SetRange(offset, 0)
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, s.object(key), opts)
	if err != nil {
		err = s.wrap("open", key, err)
		if errors.Is(err, blob.ErrInvalidRange) {
			// S3 refuses a range that starts at the end; the contract
			// reads nothing there.
			if info, serr := s.statObject(ctx, key); serr == nil && offset == info.Size {
				return io.NopCloser(bytes.NewReader(nil)), nil
			}
		}
		return nil, err
	}
	return blob.ProgressReadCloser(ctx, body, info.Size), nil
}

// statObject describes the object at key, if there is one.
func (s *Store) statObject(ctx context.Context, key string) (blob.Info, error) {
	oi, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, s.wrap("stat", key, err)
	}
	return blob.Info{Size: oi.Size, ModTime: oi.LastModified, ETag: strings.Trim(oi.ETag, `"`)}, nil
}

// Stat describes the object at key, or else the folder below it.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := checkKey(key); err != nil {
		return blob.Info{}, err
	}
	info, err := s.statObject(ctx, key)
	if !errors.Is(err, fs.ErrNotExist) {
		return info, err
	}
	info = blob.Info{IsDir: true}
	found := false
	for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.object(key) + "/", Recursive: true}) {
		if oi.Err != nil {
			return blob.Info{}, s.wrap("stat", key, oi.Err)
		}
		if strings.Contains(oi.Key, "/"+journalDir+"/") {
			continue // what a finished move leaves for a moment is no folder
		}
		found = true
		if oi.LastModified.After(info.ModTime) {
			info.ModTime = oi.LastModified
		}
		if !strings.HasSuffix(oi.Key, "/") { // not a folder marker
			info.Size += oi.Size
			info.NFiles++
		}
	}
	if !found {
		return blob.Info{}, &fs.PathError{Op: "stat", Path: s.url(key), Err: fs.ErrNotExist}
	}
	return info, nil
}

// objects lists the object names at and below key (folder markers too),
// with their sizes.
func (s *Store) objects(ctx context.Context, key string) ([]minio.ObjectInfo, error) {
	obj := s.object(key)
	var out []minio.ObjectInfo
	for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: obj, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.wrap("list", key, oi.Err)
		}
		if oi.Key == obj || strings.HasPrefix(oi.Key, obj+"/") {
			out = append(out, oi)
		}
	}
	return out, nil
}

// List returns the objects at and below prefix, following S3's pages of
// 1000 keys, without folder markers.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Entry, error) {
	if err := checkKey(prefix); err != nil {
		return nil, err
	}
	ois, err := s.objects(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]blob.Entry, 0, len(ois))
	for _, oi := range ois {
		if strings.HasSuffix(oi.Key, "/") {
			continue
		}
		out = append(out, blob.Entry{Key: strings.TrimPrefix(oi.Key, s.prefix), Size: oi.Size,
			ModTime: oi.LastModified, ETag: strings.Trim(oi.ETag, `"`)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object at key and every object below it.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.DeleteMany(ctx, []string{key})
}

// DeleteMany removes the objects at and below keys, in requests of up to
// 1000 objects. The object at a key is deleted without looking first (S3
// deletes of missing objects succeed); each key costs one listing of what
// is below it, eight at a time.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
	}
	ch := make(chan minio.ObjectInfo, 1000)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		listErr error
	)
	todo := make(chan string)
	var listers sync.WaitGroup
	for range min(8, len(keys)) {
		listers.Go(func() {
			send := func(name string) bool {
				select {
				case ch <- minio.ObjectInfo{Key: name}:
					return true
				case <-lctx.Done():
					return false
				}
			}
			for k := range todo {
				if !send(s.object(k)) {
					return
				}
				for oi := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.object(k) + "/", Recursive: true}) {
					if oi.Err != nil {
						mu.Lock()
						if listErr == nil {
							listErr = s.wrap("delete", k, oi.Err)
						}
						mu.Unlock()
						cancel()
						return
					}
					if !send(oi.Key) {
						return
					}
				}
			}
		})
	}
	go func() {
		defer close(ch)
		defer listers.Wait()
		defer close(todo)
		for _, k := range keys {
			select {
			case todo <- k:
			case <-lctx.Done():
				return
			}
		}
	}()
	var first error
	for e := range s.client.RemoveObjects(lctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
		if first == nil && e.Err != nil {
			first = s.wrap("delete", strings.TrimPrefix(e.ObjectName, s.prefix), e.Err)
			cancel()
		}
	}
	cancel() // the listers may wait to send to a remover that stopped
	for range ch {
	}
	mu.Lock()
	defer mu.Unlock()
	if listErr != nil {
		return listErr
	}
	if first != nil {
		return first
	}
	return ctx.Err()
}

// copyObject copies one object server-side; above 5 GiB in parts.
func (s *Store) copyObject(ctx context.Context, from, to string, size int64) error {
	dst := minio.CopyDestOptions{Bucket: s.bucket, Object: to}
	src := minio.CopySrcOptions{Bucket: s.bucket, Object: from}
	var err error
	if size >= 0 && size <= maxCopySize {
		_, err = s.client.CopyObject(ctx, dst, src)
	} else {
		_, err = s.client.ComposeObject(ctx, dst, src)
	}
	return err
}

// Rename copies from to to server-side, then deletes from (see the
// Atomicity section of blob.Store). A folder moves under a journal kept in
// hidden marker objects below from, so that a Rename cut off at any point is
// finished by calling Rename again with the same arguments:
//
//  1. from/.lamin-move/<to>.moving/ is written: the move has begun;
//  2. every object of from is copied below to (a few at a time);
//  3. the objects below to that from does not have are deleted (the old
//     version's files, when to held a folder);
//  4. from/.lamin-move/<to>.moved/ is written: to is complete;
//  5. the objects of from are deleted, the .moving marker with them, and
//     the .moved marker last.
//
// Again after a cut: with .moved present only step 5 remains; with only
// .moving, from is whole and steps 2–5 run again (copies are idempotent).
func (s *Store) Rename(ctx context.Context, from, to string) error {
	if err := checkKey(from); err != nil {
		return err
	}
	if err := checkKey(to); err != nil {
		return err
	}
	if from == to {
		return nil
	}
	if strings.HasPrefix(to, from+"/") || strings.HasPrefix(from, to+"/") {
		return fmt.Errorf("rename %s to %s: one is inside the other", s.url(from), s.url(to))
	}
	dstFolder, err := s.folderObjects(ctx, to)
	if err != nil {
		return err
	}
	info, err := s.statObject(ctx, from)
	if err == nil { // a file
		if len(dstFolder) > 0 {
			return fmt.Errorf("rename %s to %s: a folder is there", s.url(from), s.url(to))
		}
		if err := s.copyObject(ctx, s.object(from), s.object(to), info.Size); err != nil {
			return s.wrap("rename", from, err)
		}
		return s.wrap("rename", from, s.client.RemoveObject(ctx, s.bucket, s.object(from), minio.RemoveObjectOptions{}))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	srcFolder, err := s.folderObjects(ctx, from)
	if err != nil {
		return err
	}
	if len(srcFolder) == 0 {
		return &fs.PathError{Op: "rename", Path: s.url(from), Err: fs.ErrNotExist}
	}
	if _, err := s.statObject(ctx, to); err == nil {
		return fmt.Errorf("rename %s to %s: a file is there", s.url(from), s.url(to))
	}
	return s.moveFolder(ctx, from, to, srcFolder, dstFolder)
}

// journalDir is the hidden folder of a folder move's markers.
const journalDir = ".lamin-move"

// journal splits a folder's objects into its content and the markers of a
// move out of it, and says where that move goes and how far it got.
func (s *Store) journal(key string, objs []minio.ObjectInfo) (content []minio.ObjectInfo, dest string, moving, moved bool, err error) {
	jp := s.object(key) + "/" + journalDir + "/"
	for _, oi := range objs {
		rest, ok := strings.CutPrefix(oi.Key, jp)
		if !ok {
			content = append(content, oi)
			continue
		}
		rest = strings.TrimSuffix(rest, "/")
		i := strings.LastIndex(rest, ".") // the destination may hold dots, the state none
		name, state := rest[:max(i, 0)], rest[i+1:]
		d, uerr := url.PathUnescape(name)
		if i < 0 || uerr != nil || (state != "moving" && state != "moved") || (dest != "" && d != dest) {
			return nil, "", false, false, fmt.Errorf("%s: unexpected move journal %q; remove it by hand", s.url(key), oi.Key)
		}
		dest = d
		moving = moving || state == "moving"
		moved = moved || state == "moved"
	}
	return content, dest, moving, moved, nil
}

// marker is the name of a journal marker of a move from → to.
func (s *Store) marker(from, to, state string) string {
	return s.object(from) + "/" + journalDir + "/" + url.PathEscape(to) + "." + state + "/"
}

// renameHook lets tests cut a folder move off after a step.
var renameHook func(step string) error

func hook(step string) error {
	if renameHook != nil {
		return renameHook(step)
	}
	return nil
}

// moveFolder moves the folder from (its objects in src) onto to (its objects
// in dst), following the journal of Rename.
func (s *Store) moveFolder(ctx context.Context, from, to string, src, dst []minio.ObjectInfo) error {
	content, dest, moving, moved, err := s.journal(from, src)
	if err != nil {
		return err
	}
	if dest != "" && dest != to {
		return fmt.Errorf("rename %s to %s: a cut-off rename to %s must be finished first (rename to it again)", s.url(from), s.url(to), s.url(dest))
	}
	dstContent, otherDest, _, _, err := s.journal(to, dst)
	if err != nil {
		return err
	}
	if otherDest != "" {
		return fmt.Errorf("rename %s to %s: %s is itself being moved to %s; finish that first", s.url(from), s.url(to), s.url(to), s.url(otherDest))
	}
	putMarker := func(state string) error {
		_, err := s.core.PutObject(ctx, s.bucket, s.marker(from, to, state), bytes.NewReader(nil), 0, "", "", minio.PutObjectOptions{})
		return s.wrap("rename", from, err)
	}
	fromObj, toObj := s.object(from)+"/", s.object(to)+"/"
	if !moved {
		if !moving {
			if err := putMarker("moving"); err != nil {
				return err
			}
			if err := hook("moving"); err != nil {
				return err
			}
		}
		if err := s.copyAll(ctx, fromObj, toObj, content); err != nil {
			return err
		}
		if err := hook("copied"); err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, oi := range content {
			keep[toObj+strings.TrimPrefix(oi.Key, fromObj)] = true
		}
		var extra []string
		for _, oi := range dstContent {
			if !keep[oi.Key] {
				extra = append(extra, oi.Key)
			}
		}
		if err := s.removeObjects(ctx, extra); err != nil {
			return err
		}
		if err := hook("pruned"); err != nil {
			return err
		}
		if err := putMarker("moved"); err != nil {
			return err
		}
		if err := hook("moved"); err != nil {
			return err
		}
	}
	var names []string
	for _, oi := range content {
		names = append(names, oi.Key)
	}
	names = append(names, s.marker(from, to, "moving"))
	if err := s.removeObjects(ctx, names); err != nil {
		return err
	}
	if err := hook("deleted"); err != nil {
		return err
	}
	return s.removeObjects(ctx, []string{s.marker(from, to, "moved")})
}

// copyAll copies the objects objs, named below fromObj, to the same names
// below toObj, eight at a time.
func (s *Store) copyAll(ctx context.Context, fromObj, toObj string, objs []minio.ObjectInfo) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan minio.ObjectInfo)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for oi := range work {
				dst := toObj + strings.TrimPrefix(oi.Key, fromObj)
				var err error
				if strings.HasSuffix(oi.Key, "/") {
					// A folder marker is made anew: some servers (versitygw)
					// store it as a directory and refuse to copy it.
					_, err = s.core.PutObject(cctx, s.bucket, dst, bytes.NewReader(nil), 0, "", "", minio.PutObjectOptions{})
				} else {
					err = s.copyObject(cctx, oi.Key, dst, oi.Size)
				}
				if err == nil {
					err = hook("copied one")
				}
				if err != nil {
					select {
					case errs <- s.wrap("rename", strings.TrimPrefix(oi.Key, s.prefix), err):
					default:
					}
					cancel()
				}
			}
		})
	}
	for _, oi := range objs {
		select {
		case work <- oi:
		case <-cctx.Done():
		}
		if cctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return ctx.Err()
}

// removeObjects deletes the named objects in batches of up to 1000.
func (s *Store) removeObjects(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	ch := make(chan minio.ObjectInfo, len(names))
	for _, n := range names {
		ch <- minio.ObjectInfo{Key: n}
	}
	close(ch)
	var first error
	for e := range s.client.RemoveObjects(ctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
		if first == nil && e.Err != nil {
			first = s.wrap("delete", strings.TrimPrefix(e.ObjectName, s.prefix), e.Err)
		}
	}
	if first != nil {
		return first
	}
	return ctx.Err()
}

// DeleteFiles removes the files (objects, not folders) at keys with S3's
// batched delete, up to 1000 keys a request and no listing: for callers that
// know each key is a file (a purge's intents say so). Missing keys are
// already done.
func (s *Store) DeleteFiles(ctx context.Context, keys []string) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
		names[i] = s.object(k)
	}
	return s.removeObjects(ctx, names)
}

var _ blob.FileDeleter = (*Store)(nil)

// folderObjects lists the objects below key + "/".
func (s *Store) folderObjects(ctx context.Context, key string) ([]minio.ObjectInfo, error) {
	var out []minio.ObjectInfo
	for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.object(key) + "/", Recursive: true}) {
		if oi.Err != nil {
			return nil, s.wrap("list", key, oi.Err)
		}
		out = append(out, oi)
	}
	return out, nil
}

// AbortUploads aborts the multipart uploads at and below prefix that were
// initiated more than olderThan ago (by the server's clock, compared with
// ours: keep olderThan well above any clock skew).
func (s *Store) AbortUploads(ctx context.Context, prefix string, olderThan time.Duration) (int, error) {
	if err := checkKey(prefix); err != nil {
		return 0, err
	}
	obj := s.object(prefix)
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for u := range s.client.ListIncompleteUploads(ctx, s.bucket, obj, true) {
		if u.Err != nil {
			return n, s.wrap("list uploads", prefix, u.Err)
		}
		if u.Key != obj && !strings.HasPrefix(u.Key, obj+"/") || !u.Initiated.Before(cutoff) {
			continue
		}
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID); err != nil {
			if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
				continue // completed or aborted meanwhile
			}
			return n, s.wrap("abort upload", strings.TrimPrefix(u.Key, s.prefix), err)
		}
		n++
	}
	return n, nil
}

// HashFromETag returns the hash lamindb records for a cloud file from its
// S3 ETag (lamindb_setup's get_stat_file_cloud): a single-part ETag, the
// object's MD5 hex, gives the MD5 in URL-safe base64 without padding, type
// "md5" (the same hash lamindb computes for a local file up to 50 MiB); a
// multipart ETag "<hex>-N" gives the hex part so encoded, type "md5-N".
func HashFromETag(etag string) (hash, hashType string, err error) {
	etag = strings.Trim(etag, `"`)
	hexPart, parts, multi := strings.Cut(etag, "-")
	b, err := hex.DecodeString(hexPart)
	if err != nil || len(b) != md5.Size {
		return "", "", fmt.Errorf("ETag %q is not an MD5 hex digest", etag)
	}
	hash = base64.RawURLEncoding.EncodeToString(b)[:22]
	if !multi {
		return hash, "md5", nil
	}
	if n, err := strconv.Atoi(parts); err != nil || n < 1 {
		return "", "", fmt.Errorf("ETag %q: bad part count", etag)
	}
	return hash, "md5-" + parts, nil
}

// PresignGet returns a URL that lets anyone holding it read key until
// expiry passes (at most 7 days, S3's limit), so a browser can download
// without the credentials.
func (s *Store) PresignGet(ctx context.Context, key string, expiry time.Duration) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, s.object(key), expiry, nil)
	if err != nil {
		return "", s.wrap("presign", key, err)
	}
	return u.String(), nil
}
