package fhirapi

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

const mediaJSONPatch = "application/json-patch+json"

// checkFormat accepts a JSON _format (or none) and rejects every other.
func checkFormat(r *http.Request) error {
	if !strings.Contains(r.URL.RawQuery, "_format") {
		return nil
	}
	f := strings.TrimSpace(r.URL.Query().Get("_format"))
	if f == "" {
		return nil
	}
	if isJSONMedia(f) {
		return nil
	}
	return newError(http.StatusUnsupportedMediaType, "not-supported", "",
		"_format must be json or application/fhir+json")
}

func isJSONMedia(m string) bool {
	if mt, _, err := mime.ParseMediaType(m); err == nil {
		m = mt
	}
	switch strings.ToLower(m) {
	case "json", "application/json", "application/fhir+json", "application/json+fhir":
		return true
	}
	return false
}

// readResourceBody checks the request's Content-Type is FHIR JSON (a missing
// Content-Type is taken as JSON) and reads the body within the size limit.
func (a *api) readResourceBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSONMedia(ct) {
		return nil, newError(http.StatusUnsupportedMediaType, "not-supported", "",
			"Content-Type must be application/fhir+json or application/json")
	}
	return a.readBody(w, r)
}

// readBody reads a body that must not be empty.
func (a *api) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := a.readRaw(w, r)
	if err == nil && len(bytes.TrimSpace(body)) == 0 {
		return nil, newError(http.StatusBadRequest, "required", "", "the request body is empty")
	}
	return body, err
}

// readRaw reads the body within the size limit.
func (a *api) readRaw(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= a.maxBody {
		// One allocation of the declared size (plus the room ReadFrom
		// wants to see the end) instead of growing by doubling: a large
		// Bundle was copied several times over.
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, a.maxBody))
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, newError(http.StatusBadRequest, "structure", "", "could not read the request body")
	}
	return body, nil
}

// preference is what the client asked for in the Prefer header.
type preference struct {
	ret    string // "minimal", "representation" (default) or "OperationOutcome"
	strict bool   // handling=strict
}

func parsePrefer(h http.Header) preference {
	p := preference{ret: "representation"}
	for _, line := range h.Values("Prefer") {
		for _, part := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' }) {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "return":
				switch strings.ToLower(v) {
				case "minimal":
					p.ret = "minimal"
				case "representation":
					p.ret = "representation"
				case "operationoutcome":
					p.ret = "OperationOutcome"
				}
			case "handling":
				p.strict = strings.EqualFold(v, "strict")
			}
		}
	}
	return p
}

// parseETag reads a version from W/"3", "3" or 3. Empty means no condition (0).
func parseETag(s, where string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(s, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, newError(http.StatusBadRequest, "invalid", "",
			fmt.Sprintf(`%s must be a version ETag such as W/"3"`, where))
	}
	return n, nil
}

func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }
