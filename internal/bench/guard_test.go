package bench

import (
	"errors"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		name        string
		url         string
		allowRemote bool
		wantErr     error // nil: accepted; errAny: some other error
	}{
		{"IPv4 loopback", "http://127.0.0.1:8080/fhir", false, nil},
		{"anywhere in 127/8", "http://127.45.6.7:8080/fhir", false, nil},
		{"localhost", "http://localhost:8080/fhir", false, nil},
		{"localhost in capitals", "https://LOCALHOST/fhir", false, nil},
		{"IPv6 loopback", "http://[::1]:8080/fhir", false, nil},
		{"IPv6 loopback with zone", "http://[::1%25lo]:8080/fhir", false, nil},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:8080/fhir", false, nil},
		{"private address", "http://10.0.0.5:8080/fhir", false, ErrNotLoopback},
		{"unspecified address", "http://0.0.0.0:8080/fhir", false, ErrNotLoopback},
		{"public name", "https://fhir.example.nhs.uk/fhir", false, ErrNotLoopback},
		{"name that starts like localhost", "http://localhost.example.com/fhir", false, ErrNotLoopback},
		{"name that embeds a loopback address", "http://127.0.0.1.nip.io/fhir", false, ErrNotLoopback},
		{"user info cannot hide the host", "http://127.0.0.1@10.1.2.3/fhir", false, ErrNotLoopback},
		{"IPv6 outside loopback", "http://[2001:db8::1]/fhir", false, ErrNotLoopback},
		{"remote allowed", "https://fhir.example.nhs.uk/fhir", true, nil},
		{"not http", "ftp://127.0.0.1/fhir", false, errAny},
		{"no host", "http:///fhir", false, errAny},
		{"not a URL", "http://[::1/fhir", false, errAny},
		{"remote allowed still needs http", "file:///etc/passwd", true, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := CheckTarget(tt.url, tt.allowRemote)
			switch tt.wantErr {
			case nil:
				if err != nil || u == nil {
					t.Fatalf("CheckTarget(%q) = %v, %v; want accepted", tt.url, u, err)
				}
			case errAny:
				if err == nil || errors.Is(err, ErrNotLoopback) {
					t.Fatalf("CheckTarget(%q) error = %v, want a malformed-URL error", tt.url, err)
				}
			default:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("CheckTarget(%q) error = %v, want %v", tt.url, err, tt.wantErr)
				}
			}
		})
	}
}

// errAny marks a case that must fail for a reason other than the guard.
var errAny = errors.New("any error")
