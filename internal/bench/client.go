package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// requestTimeout bounds every request, so a stuck server cannot hold a
// worker past its run.
const requestTimeout = 30 * time.Second

// ErrStatus: the server answered with an unexpected HTTP status.
var ErrStatus = errors.New("bench: unexpected HTTP status")

// client speaks to one FHIR base URL over keep-alive connections.
type client struct {
	base string // FHIR base URL without a trailing slash
	hc   *http.Client
}

// newClient keeps at least clients idle connections to the one host, so
// every worker reuses its connection instead of dialling per request.
func newClient(base string, clients int) *client {
	tr := &http.Transport{
		Proxy:               nil, // a benchmark never goes through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        clients + 8,
		MaxIdleConnsPerHost: clients + 8,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{
		base: strings.TrimSuffix(base, "/"),
		hc:   &http.Client{Transport: tr, Timeout: requestTimeout},
	}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// create POSTs an Observation and returns the id from the Location header
// (.../Observation/<id>/_history/1).
func (c *client) create(ctx context.Context, body []byte) (string, error) {
	resp, err := c.do(ctx, http.MethodPost, c.base+"/Observation", body, "")
	if err != nil {
		return "", err
	}
	if resp.status != http.StatusCreated {
		return "", resp.err("create")
	}
	_, rest, ok := strings.Cut(resp.location, "/Observation/")
	id, _, _ := strings.Cut(rest, "/")
	if !ok || id == "" {
		return "", fmt.Errorf("bench: create: no Observation id in the Location header")
	}
	return id, nil
}

// read GETs one Observation and wants 200 with a body.
func (c *client) read(ctx context.Context, id string) error {
	resp, err := c.do(ctx, http.MethodGet, c.base+"/Observation/"+id, nil, "")
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK || resp.size == 0 {
		return resp.err("read")
	}
	return nil
}

// transaction POSTs a transaction Bundle and wants 200.
func (c *client) transaction(ctx context.Context, bundle []byte) error {
	resp, err := c.do(ctx, http.MethodPost, c.base, bundle, "return=minimal")
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return resp.err("transaction")
	}
	return nil
}

// answer is the part of a response the benchmarks look at.
type answer struct {
	status   int
	location string
	size     int64
	head     []byte // the first bytes of the body, for error text
}

func (a answer) err(op string) error {
	return fmt.Errorf("%w: %s: %d %s", ErrStatus, op, a.status, bytes.TrimSpace(a.head))
}

// do sends one request and reads the whole response, so the connection goes
// back to the pool.
func (c *client) do(ctx context.Context, method, url string, body []byte, prefer string) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, fmt.Errorf("bench: %s: %w", method, err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("bench: %s: %w", method, err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, location: resp.Header.Get("Location")}
	if resp.StatusCode >= 300 {
		a.head, _ = io.ReadAll(io.LimitReader(resp.Body, 200))
	}
	n, err := io.Copy(io.Discard, resp.Body)
	a.size = n + int64(len(a.head))
	if err != nil {
		return a, fmt.Errorf("bench: %s: read response: %w", method, err)
	}
	return a, nil
}
