package fhirimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"carerecord/internal/fhir"

	"github.com/go-json-experiment/json/jsontext"
)

// asTransaction turns a file's JSON into a Bundle the API can process:
// transaction and batch Bundles go as they are; a collection (or any other
// Bundle type) becomes a transaction of its entries; a single resource
// becomes a one-entry transaction. It returns how many resources it carries.
func asTransaction(body []byte) ([]byte, int64, error) {
	h, err := fhir.Peek(body)
	if err != nil {
		return nil, 0, err
	}
	if h.ResourceType != "Bundle" {
		return entriesToTransaction([]json.RawMessage{body}, nil)
	}
	typ, err := bundleType(body)
	if err != nil {
		return nil, 0, err
	}
	if typ == "transaction" || typ == "batch" {
		return body, -1, nil // counted from the response
	}
	var b struct {
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, 0, fmt.Errorf("bundle: %w", err)
	}
	res := make([]json.RawMessage, 0, len(b.Entry))
	urls := make([]string, 0, len(b.Entry))
	for _, e := range b.Entry {
		if len(e.Resource) == 0 {
			continue
		}
		res = append(res, e.Resource)
		urls = append(urls, e.FullURL)
	}
	return entriesToTransaction(res, urls)
}

// entriesToTransaction wraps resources in a transaction Bundle: a resource
// with an id is PUT to Type/id (create or update: the file is the source of
// truth), one without is POSTed. fullURLs, when given, are kept so that
// urn:uuid references between the resources resolve.
func entriesToTransaction(resources []json.RawMessage, fullURLs []string) ([]byte, int64, error) {
	var buf bytes.Buffer
	buf.Grow(64 + len(resources)*128)
	buf.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i, r := range resources {
		h, err := fhir.Peek(r)
		if err != nil {
			return nil, 0, fmt.Errorf("entry %d: %w", i, err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('{')
		if i < len(fullURLs) && fullURLs[i] != "" {
			buf.WriteString(`"fullUrl":`)
			writeString(&buf, fullURLs[i])
			buf.WriteByte(',')
		}
		buf.WriteString(`"resource":`)
		buf.Write(r)
		if h.ID != "" {
			buf.WriteString(`,"request":{"method":"PUT","url":`)
			writeString(&buf, h.ResourceType+"/"+h.ID)
		} else {
			buf.WriteString(`,"request":{"method":"POST","url":`)
			writeString(&buf, h.ResourceType)
		}
		buf.WriteString(`}}`)
	}
	buf.WriteString(`]}`)
	return buf.Bytes(), int64(len(resources)), nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// bundleType reads a Bundle's top-level "type" without decoding its entries.
func bundleType(body []byte) (string, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return "", errors.New("bundle: not a JSON object")
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadToken()
		if err != nil {
			return "", fmt.Errorf("bundle: %w", err)
		}
		if name.String() != "type" {
			if err := dec.SkipValue(); err != nil {
				return "", fmt.Errorf("bundle: %w", err)
			}
			continue
		}
		v, err := dec.ReadToken()
		if err != nil || v.Kind() != '"' {
			return "", errors.New("bundle: type is not a string")
		}
		return v.String(), nil
	}
	return "", errors.New("bundle: no type")
}

// batchWritten counts the successful entries of a batch-response. For a
// transaction-response (all or nothing) it is n, or the number of response
// entries when n is not known (-1).
func batchWritten(resp []byte, n int64) (int64, error) {
	var b struct {
		Type  string `json:"type"`
		Entry []struct {
			Response struct {
				Status  string          `json:"status"`
				Outcome json.RawMessage `json:"outcome"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(resp, &b); err != nil {
		return max(n, 0), nil
	}
	if b.Type != "batch-response" {
		if n < 0 {
			n = int64(len(b.Entry))
		}
		return n, nil
	}
	var ok int64
	var failed []string
	for i, e := range b.Entry {
		code, _ := strconv.Atoi(strings.Fields(e.Response.Status + " 0")[0])
		if code >= 200 && code < 300 {
			ok++
			continue
		}
		failed = append(failed, fmt.Sprintf("entry %d: %s %s", i, e.Response.Status, outcomeText(e.Response.Outcome)))
	}
	if len(failed) > 0 {
		return ok, fmt.Errorf("%d of %d batch entries failed: %s", len(failed), len(b.Entry), strings.Join(failed, "; "))
	}
	return ok, nil
}

// recorder is the in-process http.ResponseWriter the importer hands the API.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
