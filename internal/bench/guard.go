package bench

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrNotLoopback: the target URL's host is not a loopback address, and
// remote targets were not allowed. A load generator pointed at someone
// else's server is a denial-of-service tool, so remote is opt-in.
var ErrNotLoopback = errors.New("bench: target is not a loopback address")

// CheckTarget validates a FHIR base URL: http or https, a host, and (unless
// allowRemote) a host that is "localhost", an address in 127.0.0.0/8 or ::1.
// Host names other than localhost are refused even when they resolve to a
// loopback address today: what they resolve to can change.
func CheckTarget(raw string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bench: target URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bench: target URL %q: want http:// or https://", raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("bench: target URL %q has no host", raw)
	}
	if allowRemote || isLoopback(host) {
		return u, nil
	}
	return nil, fmt.Errorf("%w: %s (pass --allow-remote to load-test another machine)", ErrNotLoopback, host)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	// An IPv6 zone (::1%lo) names an interface, not a different address.
	host, _, _ = strings.Cut(host, "%")
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
