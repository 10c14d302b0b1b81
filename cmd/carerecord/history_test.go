package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// historyEntry is one version listed by _history.
type historyEntry struct {
	key          string // Type/id
	version      int64
	lastModified time.Time
	tag          string // the urn:test:* marker tag of the resource ("" if none)
	body         json.RawMessage
}

// maxHistoryPages bounds a _history walk, in case next links loop.
const maxHistoryPages = 10000

// systemHistory pages through GET /_history and returns every entry in the
// order listed (newest first). Without bodies it keeps only each entry's
// key, version and time, which decodes faster. The next page is fetched
// while the current one is decoded.
func (c *client) systemHistory(ctx context.Context, t *testing.T, bodies bool) []historyEntry {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan fetched, 2)
	go c.fetchHistory(ctx, pages)
	var out []historyEntry
	for p := range pages {
		if p.err != nil {
			t.Fatalf("_history: %v", p.err)
		}
		var b historyPage
		var err error
		if bodies {
			err = json.Unmarshal(p.body, &b)
		} else {
			var lean historyPageLean
			err = json.Unmarshal(p.body, &lean)
			for _, e := range lean.Entry {
				b.Entry = append(b.Entry, historyPageEntry{FullURL: e.FullURL, Response: e.Response})
			}
		}
		if err != nil {
			t.Fatalf("GET %s: not a Bundle: %v", p.path, err)
		}
		for _, e := range b.Entry {
			key, ok := strings.CutPrefix(e.FullURL, c.base+"/")
			v, err := parseETag(e.Response.Etag)
			lm, terr := time.Parse(time.RFC3339Nano, e.Response.LastModified)
			if !ok || err != nil || terr != nil {
				t.Fatalf("_history entry with fullUrl %q, etag %q, lastModified %q: cannot identify the version",
					e.FullURL, e.Response.Etag, e.Response.LastModified)
			}
			he := historyEntry{key: key, version: v, lastModified: lm}
			if bodies {
				he.tag, he.body = markerOf(e.Resource), e.Resource
			}
			out = append(out, he)
		}
	}
	return out
}

// fetched is one page of _history, or the error that ended the walk.
type fetched struct {
	path string
	body []byte
	err  error
}

// fetchHistory follows the next links and sends each page; it closes pages
// at the end.
func (c *client) fetchHistory(ctx context.Context, pages chan<- fetched) {
	defer close(pages)
	send := func(f fetched) bool {
		select {
		case pages <- f:
			return true
		case <-ctx.Done():
			return false
		}
	}
	path := "/_history?_count=500"
	for n := 0; path != ""; n++ {
		if n >= maxHistoryPages {
			send(fetched{err: fmt.Errorf("more than %d pages; the next links loop", maxHistoryPages)})
			return
		}
		resp, err := c.do(ctx, http.MethodGet, path, nil, "")
		if err != nil || resp.status != http.StatusOK {
			send(fetched{err: fmt.Errorf("GET %s: %v %s", path, err, statusOf(resp))})
			return
		}
		next, err := nextLink(resp.body)
		if err != nil {
			send(fetched{err: fmt.Errorf("GET %s: %w", path, err)})
			return
		}
		if !send(fetched{path: path, body: resp.body}) {
			return
		}
		if path = ""; next != "" {
			var ok bool
			if path, ok = strings.CutPrefix(next, c.base); !ok {
				send(fetched{err: fmt.Errorf("next link %q is not under %s", next, c.base)})
				return
			}
		}
	}
}

// nextLink returns a Bundle's next link. It reads only as far as the link
// array when that comes before the entries, as it does from this server.
func nextLink(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("not a Bundle: %w", err)
		}
		switch tok {
		case "link":
			var links []historyLink
			if err := dec.Decode(&links); err != nil {
				return "", fmt.Errorf("bundle link: %w", err)
			}
			for _, l := range links {
				if l.Relation == "next" {
					return l.URL, nil
				}
			}
			return "", nil
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", fmt.Errorf("not a Bundle: %w", err)
			}
		}
	}
	return "", nil
}

type historyPage struct {
	Entry []historyPageEntry `json:"entry"`
}

type historyLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type historyPageEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Response historyResponse `json:"response"`
}

type historyResponse struct {
	Etag         string `json:"etag"`
	LastModified string `json:"lastModified"`
}

// historyPageLean is historyPage without the resources.
type historyPageLean struct {
	Entry []struct {
		FullURL  string          `json:"fullUrl"`
		Response historyResponse `json:"response"`
	} `json:"entry"`
}
