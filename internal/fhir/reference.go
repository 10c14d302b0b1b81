package fhir

import "bytes"

// checkReference checks the syntax of Reference.reference. Accepted forms:
//
//	Type/id[/_history/vid]        relative, Type a known resource type
//	Type?query                    conditional (transaction Bundles)
//	http://... or https://...     absolute, no whitespace
//	urn:uuid:<uuid>               Bundle-local
//	urn:oid:<oid>
//	#id or #                      contained resource, or the container
//
// It returns "" when s is acceptable, else diagnostics without the value.
func checkReference(s []byte) string {
	const bad = "reference must be Type/id, Type/id/_history/vid, an absolute http(s) URL, urn:uuid:, urn:oid: or #id"
	switch {
	case s[0] == '#':
		if len(s) == 1 || validID(s[1:]) {
			return ""
		}
		return "local reference must be # followed by a valid id"
	case bytes.HasPrefix(s, []byte("urn:uuid:")):
		if validUUID(s[9:]) {
			return ""
		}
		return "urn:uuid reference must be lower-case 8-4-4-4-12 hex"
	case bytes.HasPrefix(s, []byte("urn:oid:")):
		if validOIDBody(s[8:]) {
			return ""
		}
		return "urn:oid reference is not a valid OID"
	case bytes.HasPrefix(s, []byte("http://")) || bytes.HasPrefix(s, []byte("https://")):
		_, host, _ := bytes.Cut(s, []byte("://"))
		if len(host) == 0 || host[0] == '/' || hasSpace(s) {
			return "absolute reference must be a URL with a host and no whitespace"
		}
		return ""
	}
	if hasSpace(s) {
		return bad
	}
	if i := bytes.IndexByte(s, '?'); i > 0 && bytes.IndexByte(s[:i], '/') < 0 {
		if !IsResourceType(string(s[:i])) {
			return "conditional reference names an unknown resource type"
		}
		if i == len(s)-1 {
			return "conditional reference has an empty query"
		}
		return ""
	}
	typ, rest, ok := bytes.Cut(s, []byte("/"))
	if !ok {
		return bad
	}
	if !IsResourceType(string(typ)) {
		return "reference names an unknown resource type"
	}
	id, hist, hasHist := bytes.Cut(rest, []byte("/"))
	if !validID(id) {
		return "reference id is not a valid id"
	}
	if hasHist {
		vid, ok := bytes.CutPrefix(hist, []byte("_history/"))
		if !ok || !validID(vid) {
			return "reference version must be /_history/ followed by a valid id"
		}
	}
	return ""
}
