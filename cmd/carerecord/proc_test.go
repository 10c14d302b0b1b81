package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The crash tests run the real binary, built once per test run.
var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
	buildSkip string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary returns the path of a freshly built carerecord, or skips the test
// when there is no go command to build it with.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			buildSkip = "the go command is not on PATH, so the carerecord binary cannot be built"
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "carerecord-crash-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "carerecord")
		cmd := exec.Command(gobin, "build", "-o", buildBin, ".")
		cmd.Env = childEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildSkip != "" {
		t.Skip(buildSkip)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// childEnv is the environment without any CARERECORD_* setting, so that the
// child takes only the flags the test gives it.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARERECORD_") {
			env = append(env, kv)
		}
	}
	return env
}

// proc is one running carerecord process.
type proc struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited and been reaped
	err    error         // Wait's result, set before done closes
}

// start runs the binary with args. The process is killed when the test ends.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{stdout: &lockedBuffer{}, stderr: &lockedBuffer{limit: 1 << 16}, done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), args...)
	p.cmd.Env = childEnv()
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	p.cmd.SysProcAttr = dieWithParent()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start carerecord %s: %v", args[0], err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill sends SIGKILL (if the process still runs) and waits for it to exit.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

var servingLine = regexp.MustCompile(`serving FHIR R4 at (http://127\.0\.0\.1:\d+/fhir)`)

// serve starts `carerecord serve` on a free loopback port over dir and waits
// until it prints its ready line. It returns the process and the FHIR base.
func serve(t *testing.T, dir string) (*proc, string) {
	t.Helper()
	p := start(t, "serve", "--listen", "127.0.0.1:0", "--data", dir, "--log-level", "warn")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingLine.FindStringSubmatch(p.stdout.String()); m != nil {
			return p, m[1]
		}
		if p.exited() {
			t.Fatalf("carerecord serve exited before it was ready (%v); stderr:\n%s", p.err, p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.kill()
	t.Fatalf("carerecord serve did not print its ready line within 30s; stdout %q stderr:\n%s", p.stdout, p.stderr)
	return nil, ""
}

// lockedBuffer is an io.Writer safe to read while the process writes. With
// a limit it keeps only the last limit bytes (for stderr diagnostics).
type lockedBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.limit > 0 && b.buf.Len() > 2*b.limit {
		keep := bytes.Clone(b.buf.Bytes()[b.buf.Len()-b.limit:])
		b.buf.Reset()
		b.buf.Write(keep)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// client is a small FHIR JSON client for one server.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// response is a finished exchange: status, headers and the whole body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request. An error means no complete response arrived (the
// write may or may not have happened).
func (c *client) do(ctx context.Context, method, path string, body []byte, prefer string) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func parseETag(s string) (int64, error) {
	return strconv.ParseInt(strings.Trim(strings.TrimPrefix(s, "W/"), `"`), 10, 64)
}

func statusOf(r *response) string {
	if r == nil {
		return "(no response)"
	}
	return fmt.Sprintf("HTTP %d: %.300s", r.status, r.body)
}

// markerOf returns the code of a resource's urn:test:* meta.tag.
func markerOf(body []byte) string {
	var r struct {
		Meta struct {
			Tag []struct {
				System string `json:"system"`
				Code   string `json:"code"`
			} `json:"tag"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	for _, tg := range r.Meta.Tag {
		if strings.HasPrefix(tg.System, "urn:test:") {
			return tg.Code
		}
	}
	return ""
}
