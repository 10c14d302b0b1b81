// Package config owns carerecord's one typed configuration struct and how it
// is assembled: defaults < config file (YAML) < environment < command-line
// flags, then validated before anything starts.
//
// It is layer 0: it reads the config file and the environment it is given and
// nothing else. cmd/carerecord and server import it; nothing reads settings
// by string key from a global.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // feeds' time zones on machines without a zoneinfo database

	"gopkg.in/yaml.v3"
)

// Config is everything carerecord can be told.
type Config struct {
	// Listen is the HTTP listen address (host:port; port 0 picks one).
	Listen string `yaml:"listen"`
	// DataDir holds the embedded SQLite store (and, later, the embedded queue).
	DataDir string `yaml:"data"`
	// PostgresDSN, when set, selects the PostgreSQL backend instead of SQLite.
	PostgresDSN string `yaml:"postgres"`
	// PublicURL is the base URL clients use, when it differs from
	// http://<listen> (behind a proxy). Empty: derived from the listener.
	PublicURL string `yaml:"public_url"`
	// MaxBodyBytes limits a request body; larger requests get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// Demo configures `carerecord demo`.
	Demo Demo `yaml:"demo"`
	// Feeds are the HL7 v2 feeds the integration engine takes messages from
	// (MLLP listeners and drop folders); none by default. --mllp ADDR adds
	// (or moves) the feed named "default".
	Feeds []Feed `yaml:"feeds"`
	// NATSURL selects an external NATS JetStream cluster for the queue
	// ("nats://host:4222,..."); empty runs an embedded one in DataDir.
	NATSURL string `yaml:"nats"`
	// MessageRetention is how long the record's message log keeps each
	// inbound HL7 v2 message (raw, with what it became) after it was
	// received; older ones are pruned hourly. YAML as a Go duration
	// ("720h"); 0 keeps them for ever. Default 30 days.
	MessageRetention time.Duration `yaml:"message_retention"`
}

// DefaultMessageRetention is how long the message log keeps a message
// unless told otherwise.
const DefaultMessageRetention = 30 * 24 * time.Hour

// Feed is one inbound HL7 v2 feed: an MLLP listener, a drop folder or both,
// and whose messages it carries.
type Feed struct {
	// Name: letters, digits, - and _ (default "default").
	Name string `yaml:"name"`
	// MLLP is the listen address, host:port; empty for a feed that takes
	// files only.
	MLLP string `yaml:"mllp"`
	// Drop is a folder the server watches for files of messages: each file
	// whose size has settled is queued and moved to Drop/done (or, when it
	// cannot be read, to Drop/failed with a .reason.txt beside it).
	Drop string `yaml:"drop"`
	// DropLane is the queue lane of the drop folder's messages: "bulk"
	// (the default: files are usually backloads) or "live".
	DropLane string `yaml:"drop_lane"`
	// ODS is the sending organisation's ODS code: it scopes the feed's
	// local identifiers and resource ids (default "RZZ", a made-up code).
	ODS string `yaml:"ods"`
	// LocalSystem is the base URI of the organisation's identifier systems
	// (default urn:carerecord:local:<ODS>).
	LocalSystem string `yaml:"local_system"`
	// Heartbeat is how often the feed is expected to bring a message, e.g.
	// "5m": the engine's status flags the feed as silent when nothing has
	// arrived for longer. Zero (the default) does not watch the feed:
	// a sensible interval depends on the system and the hour (an ADT
	// feed is rarely quiet for minutes, a clinic-letter feed may be quiet
	// all night), and a guessed one raises alarms people learn to ignore.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// TimeZone is the IANA zone of the feed's timestamps that carry no
	// offset (most HL7 v2 does not), default Europe/London: a British
	// summer-time admission at 10:00 is 09:00 UTC, not 10:00.
	TimeZone string `yaml:"time_zone"`
}

// DefaultFeedTimeZone is the zone of a feed that names none.
const DefaultFeedTimeZone = "Europe/London"

// Location is the feed's time zone (defaults applied); an unknown zone
// is an error (Validate reports it).
func (f Feed) Location() (*time.Location, error) {
	return time.LoadLocation(f.FeedDefaults().TimeZone)
}

// DefaultFeedODS is the organisation of a feed that names none.
const DefaultFeedODS = "RZZ"

// FeedDefaults returns f with its defaults filled in.
func (f Feed) FeedDefaults() Feed {
	if f.Name == "" {
		f.Name = "default"
	}
	if f.ODS == "" {
		f.ODS = DefaultFeedODS
	}
	if f.Drop != "" && f.DropLane == "" {
		f.DropLane = "bulk"
	}
	if f.TimeZone == "" {
		f.TimeZone = DefaultFeedTimeZone
	}
	return f
}

// Demo configures the synthetic population loaded by `carerecord demo`.
type Demo struct {
	Patients int   `yaml:"patients"`
	Seed     int64 `yaml:"seed"`
	// LiveFeeds runs the demo's live synthetic HL7 v2 feeds (ADT, results,
	// documents, appointments) into the record while it serves; on by
	// default, off with --demo-feeds=false.
	LiveFeeds bool `yaml:"live_feeds"`
}

// Default returns the built-in defaults: a local server on the embedded store.
func Default() Config {
	return Config{
		Listen:       "127.0.0.1:8080",
		DataDir:      "./data",
		MaxBodyBytes: 64 << 20,
		LogLevel:     "info",
		Demo:         Demo{Patients: 1000, Seed: 1, LiveFeeds: true},

		MessageRetention: DefaultMessageRetention,
	}
}

// Env names, one per setting.
const (
	EnvConfig       = "CARERECORD_CONFIG"
	EnvListen       = "CARERECORD_LISTEN"
	EnvData         = "CARERECORD_DATA"
	EnvPostgres     = "CARERECORD_POSTGRES_DSN"
	EnvPublicURL    = "CARERECORD_PUBLIC_URL"
	EnvMaxBodyBytes = "CARERECORD_MAX_BODY_BYTES"
	EnvLogLevel     = "CARERECORD_LOG_LEVEL"
	EnvPatients     = "CARERECORD_DEMO_PATIENTS"
	EnvSeed         = "CARERECORD_DEMO_SEED"
	EnvDemoFeeds    = "CARERECORD_DEMO_FEEDS"
	EnvMLLP         = "CARERECORD_MLLP"
	EnvNATS         = "CARERECORD_NATS"

	EnvMessageRetention = "CARERECORD_MESSAGE_RETENTION"
)

// LoadFile overlays the YAML file at path onto c. Unknown keys are errors,
// so a misspelt setting is never silently ignored.
func (c *Config) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // an empty file sets nothing
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// LoadEnv overlays settings from the environment, read through getenv.
func (c *Config) LoadEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str(EnvListen, &c.Listen)
	str(EnvData, &c.DataDir)
	str(EnvPostgres, &c.PostgresDSN)
	str(EnvPublicURL, &c.PublicURL)
	str(EnvLogLevel, &c.LogLevel)
	str(EnvNATS, &c.NATSURL)
	if v := getenv(EnvMLLP); v != "" {
		c.SetMLLP(v)
	}
	if v := getenv(EnvMessageRetention); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("environment %s: want a duration such as 720h, got %q", EnvMessageRetention, v)
		}
		c.MessageRetention = d
	}
	if v := getenv(EnvDemoFeeds); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("environment %s: want true or false, got %q", EnvDemoFeeds, v)
		}
		c.Demo.LiveFeeds = b
	}
	ints := []struct {
		name string
		set  func(int64)
	}{
		{EnvMaxBodyBytes, func(n int64) { c.MaxBodyBytes = n }},
		{EnvPatients, func(n int64) { c.Demo.Patients = int(n) }},
		{EnvSeed, func(n int64) { c.Demo.Seed = n }},
	}
	for _, it := range ints {
		v := getenv(it.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("environment %s: not an integer: %q", it.name, v)
		}
		it.set(n)
	}
	return nil
}

// Validate reports every problem with c, joined.
func (c *Config) Validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen %q: want host:port", c.Listen))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs = append(errs, fmt.Errorf("listen %q: port must be 0-65535", c.Listen))
	}
	if c.PostgresDSN == "" && strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data: a data folder is needed for the embedded store"))
	}
	if c.PostgresDSN != "" {
		if err := checkDSN(c.PostgresDSN); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("public_url %q: want an absolute http(s) URL", c.PublicURL))
		}
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d: must be at least 1024", c.MaxBodyBytes))
	}
	if _, err := c.SlogLevel(); err != nil {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	for _, f := range c.Feeds {
		f = f.FeedDefaults()
		if !ValidFeedName(f.Name) {
			errs = append(errs, fmt.Errorf("feeds: name %q: use letters, digits, - and _", f.Name))
		}
		if seen[f.Name] {
			errs = append(errs, fmt.Errorf("feeds: %q is named twice", f.Name))
		}
		seen[f.Name] = true
		if f.MLLP == "" && f.Drop == "" {
			errs = append(errs, fmt.Errorf("feeds: %s: give mllp (host:port), drop (a folder) or both", f.Name))
		}
		if _, _, err := net.SplitHostPort(f.MLLP); f.MLLP != "" && err != nil {
			errs = append(errs, fmt.Errorf("feeds: %s: mllp %q: want host:port", f.Name, f.MLLP))
		}
		if f.Drop != "" && f.DropLane != "bulk" && f.DropLane != "live" {
			errs = append(errs, fmt.Errorf("feeds: %s: drop_lane %q: want bulk or live", f.Name, f.DropLane))
		}
		if f.Heartbeat < 0 {
			errs = append(errs, fmt.Errorf("feeds: %s: heartbeat %s: want a duration such as 5m, or 0 not to watch the feed", f.Name, f.Heartbeat))
		}
		if _, err := f.Location(); err != nil {
			errs = append(errs, fmt.Errorf("feeds: %s: time_zone %q: want an IANA zone such as Europe/London", f.Name, f.TimeZone))
		}
	}
	if c.NATSURL != "" && !strings.HasPrefix(c.NATSURL, "nats://") && !strings.HasPrefix(c.NATSURL, "tls://") {
		errs = append(errs, errors.New("nats: want nats://host:port (several separated by commas)"))
	}
	if c.MessageRetention < 0 {
		errs = append(errs, fmt.Errorf("message_retention %s: must not be negative (0 keeps messages for ever)", c.MessageRetention))
	}
	if c.Demo.Patients < 0 || c.Demo.Patients > 10_000_000 {
		errs = append(errs, fmt.Errorf("demo.patients %d: must be 0-10000000", c.Demo.Patients))
	}
	return errors.Join(errs...)
}

// checkDSN accepts a postgres:// URL or a libpq key=value string. It never
// echoes the DSN, which may hold a password.
func checkDSN(dsn string) error {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil || u.Host == "" {
			return errors.New("postgres: the DSN is not a valid postgres:// URL with a host")
		}
		return nil
	}
	if strings.Contains(dsn, "=") {
		return nil
	}
	return errors.New("postgres: want a postgres://user@host:port/db URL or key=value pairs")
}

// SlogLevel parses LogLevel.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// Backend names the record store the config selects: "postgres" or "sqlite".
func (c *Config) Backend() string {
	if c.PostgresDSN != "" {
		return "postgres"
	}
	return "sqlite"
}

// SetMLLP points the feed named "default" at addr, adding it when there is
// none.
func (c *Config) SetMLLP(addr string) {
	for i := range c.Feeds {
		if c.Feeds[i].FeedDefaults().Name == "default" {
			c.Feeds[i].MLLP = addr
			return
		}
	}
	c.Feeds = append(c.Feeds, Feed{Name: "default", MLLP: addr})
}

// ValidFeedName reports whether s can name a feed: letters, digits, - and
// _ (a feed's name is a token of the queue's subjects).
func ValidFeedName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
