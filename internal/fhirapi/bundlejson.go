package fhirapi

import (
	"strconv"
	"unicode/utf8"
)

// bundleOut is a Bundle being written. Resource bodies are copied in byte
// for byte; only the Bundle's own small strings are encoded here.
type bundleOut struct {
	typ     string // searchset, history, transaction-response, batch-response
	total   int    // -1: omit
	links   []bundleLink
	entries []entryOut
}

type bundleLink struct{ relation, url string }

type entryOut struct {
	fullURL  string
	resource []byte // raw JSON; nil for none
	search   string // searchset: match or outcome
	request  *entryRequestOut
	response *entryResponseOut
}

type entryRequestOut struct{ method, url string }

type entryResponseOut struct {
	status       string
	location     string
	etag         string
	lastModified string
	outcome      []byte // raw OperationOutcome
}

func (b *bundleOut) marshal() []byte {
	size := 128
	for _, e := range b.entries {
		size += len(e.resource) + len(e.fullURL) + 160
		if e.response != nil {
			size += len(e.response.outcome)
		}
	}
	out := make([]byte, 0, size)
	out = append(out, `{"resourceType":"Bundle","type":`...)
	out = appendString(out, b.typ)
	if b.total >= 0 {
		out = append(out, `,"total":`...)
		out = strconv.AppendInt(out, int64(b.total), 10)
	}
	if len(b.links) > 0 {
		out = append(out, `,"link":[`...)
		for i, l := range b.links {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"relation":`...)
			out = appendString(out, l.relation)
			out = append(out, `,"url":`...)
			out = appendString(out, l.url)
			out = append(out, '}')
		}
		out = append(out, ']')
	}
	if len(b.entries) > 0 {
		out = append(out, `,"entry":[`...)
		for i := range b.entries {
			if i > 0 {
				out = append(out, ',')
			}
			out = b.entries[i].append(out)
		}
		out = append(out, ']')
	}
	return append(out, '}')
}

func (e *entryOut) append(out []byte) []byte {
	out = append(out, '{')
	sep := false
	field := func(name string) {
		if sep {
			out = append(out, ',')
		}
		sep = true
		out = append(out, '"')
		out = append(out, name...)
		out = append(out, `":`...)
	}
	if e.fullURL != "" {
		field("fullUrl")
		out = appendString(out, e.fullURL)
	}
	if e.resource != nil {
		field("resource")
		out = append(out, e.resource...)
	}
	if e.search != "" {
		field("search")
		out = append(out, `{"mode":`...)
		out = appendString(out, e.search)
		out = append(out, '}')
	}
	if e.request != nil {
		field("request")
		out = append(out, `{"method":`...)
		out = appendString(out, e.request.method)
		out = append(out, `,"url":`...)
		out = appendString(out, e.request.url)
		out = append(out, '}')
	}
	if r := e.response; r != nil {
		field("response")
		out = append(out, `{"status":`...)
		out = appendString(out, r.status)
		for _, kv := range [...][2]string{{"location", r.location}, {"etag", r.etag}, {"lastModified", r.lastModified}} {
			if kv[1] != "" {
				out = append(out, ',', '"')
				out = append(out, kv[0]...)
				out = append(out, `":`...)
				out = appendString(out, kv[1])
			}
		}
		if r.outcome != nil {
			out = append(out, `,"outcome":`...)
			out = append(out, r.outcome...)
		}
		out = append(out, '}')
	}
	return append(out, '}')
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendString(out []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c < 0x20:
				out = append(out, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			default:
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			out = append(out, `\ufffd`...)
		} else {
			out = append(out, s[i:i+n]...)
		}
		i += n
	}
	return append(out, '"')
}
