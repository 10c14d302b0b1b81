package config

import (
	"flag"
	"fmt"
	"io"
)

// Set says which groups of flags a command accepts.
type Set int

const (
	// StoreFlags: --data and --postgres (every command that opens the store).
	StoreFlags Set = 1 << iota
	// ServerFlags: --listen, --public-url, --max-body-bytes.
	ServerFlags
	// DemoFlags: --patients, --seed and --demo-feeds.
	DemoFlags
)

// Load builds the configuration for one command: defaults, then the config
// file (--config or CARERECORD_CONFIG), then the environment, then the flags
// the command line actually set. It returns the remaining arguments. Extra
// command-specific flags may be registered on the flag set by extra.
func Load(command string, set Set, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (Config, []string, error) {
	// Pass 1: find --config without applying anything else.
	path := getenv(EnvConfig)
	pre := newFlagSet(command, io.Discard)
	var scratch Config
	bind(pre, &scratch, set)
	pre.StringVar(&path, "config", path, "")
	if extra != nil {
		extra(pre)
	}
	if err := pre.Parse(args); err != nil {
		// Report the error with full usage in pass 2.
		path = getenv(EnvConfig)
	}

	cfg := Default()
	if path != "" {
		if err := cfg.LoadFile(path); err != nil {
			return cfg, nil, err
		}
	}
	if err := cfg.LoadEnv(getenv); err != nil {
		return cfg, nil, err
	}

	// Pass 2: flags bound to the assembled config override only what they set.
	fs := newFlagSet(command, stderr)
	bind(fs, &cfg, set)
	fs.String("config", path, "YAML config file (env "+EnvConfig+")")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}

func newFlagSet(command string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("carerecord "+command, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

func bind(fs *flag.FlagSet, c *Config, set Set) {
	if set&StoreFlags != 0 {
		fs.StringVar(&c.DataDir, "data", c.DataDir, "data folder for the embedded store (env "+EnvData+")")
		fs.StringVar(&c.PostgresDSN, "postgres", c.PostgresDSN, "PostgreSQL DSN; selects the PostgreSQL store (env "+EnvPostgres+")")
	}
	if set&ServerFlags != 0 {
		fs.StringVar(&c.Listen, "listen", c.Listen, "HTTP listen address (env "+EnvListen+")")
		fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "base URL clients see, if not http://LISTEN (env "+EnvPublicURL+")")
		fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest accepted request body (env "+EnvMaxBodyBytes+")")
		fs.Func("mllp", "listen for HL7 v2 over MLLP at host:port (the feed named default; env "+EnvMLLP+")", func(v string) error {
			c.SetMLLP(v)
			return nil
		})
		fs.StringVar(&c.NATSURL, "nats", c.NATSURL, "external NATS JetStream URL for the queue; empty: embedded in the data folder (env "+EnvNATS+")")
		fs.DurationVar(&c.MessageRetention, "message-retention", c.MessageRetention, "how long the message log keeps each HL7 v2 message; 0: for ever (env "+EnvMessageRetention+")")
	}
	if set&DemoFlags != 0 {
		fs.IntVar(&c.Demo.Patients, "patients", c.Demo.Patients, "synthetic patients to generate into an empty store (env "+EnvPatients+")")
		fs.Int64Var(&c.Demo.Seed, "seed", c.Demo.Seed, "seed of the synthetic population (env "+EnvSeed+")")
		fs.BoolVar(&c.Demo.LiveFeeds, "demo-feeds", c.Demo.LiveFeeds, "run live synthetic HL7 v2 feeds into the demo (env "+EnvDemoFeeds+")")
	}
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env "+EnvLogLevel+")")
}

// String renders the effective configuration for check-config, with any
// password in the PostgreSQL DSN masked.
func (c Config) String() string {
	dsn := c.PostgresDSN
	if dsn != "" {
		dsn = redactDSN(dsn)
	}
	out := fmt.Sprintf("listen: %s\ndata: %s\npostgres: %s\npublic_url: %s\nmax_body_bytes: %d\nlog_level: %s\ndemo:\n  patients: %d\n  seed: %d\n  live_feeds: %t\nstore: %s\n",
		c.Listen, c.DataDir, dsn, c.PublicURL, c.MaxBodyBytes, c.LogLevel, c.Demo.Patients, c.Demo.Seed, c.Demo.LiveFeeds, c.Backend())
	if c.NATSURL != "" {
		out += "nats: " + redactDSN(c.NATSURL) + "\n"
	}
	out += "message_retention: " + c.MessageRetention.String() + "\n"
	for _, f := range c.Feeds {
		f = f.FeedDefaults()
		out += fmt.Sprintf("feed: %s mllp %s ods %s", f.Name, f.MLLP, f.ODS)
		if f.Drop != "" {
			out += fmt.Sprintf(" drop %s (%s lane)", f.Drop, f.DropLane)
		}
		if f.Heartbeat > 0 {
			out += fmt.Sprintf(" heartbeat %s", f.Heartbeat)
		}
		out += " time_zone " + f.TimeZone + "\n"
	}
	return out
}
