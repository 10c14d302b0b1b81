// Package queue is the integration engine's durable, ordered message queue.
// A message handed to Publish is acknowledged to the sender only after the
// queue has stored it durably; Consume then hands every message to a handler
// in order per patient, with different patients in parallel, and a message
// that cannot be processed goes to the dead-letter store instead of blocking
// the patients queued behind it.
//
// # Why NATS JetStream
//
// The queue is NATS JetStream, through the official libraries
// (github.com/nats-io/nats-server/v2 embedded in-process, and
// github.com/nats-io/nats.go with its jetstream package). It is actively
// maintained, and JetStream already has what an HL7 integration engine
// needs and incumbents lack: a durable file store, a de-duplication window on
// a message id (so a sender's resend after an ACK timeout changes nothing),
// ordered per-subject delivery with explicit acknowledgement, stream limits
// that refuse new work instead of filling the disk, and clustering
// (replicated streams, consumers shared by several processes) for scale-out.
// By default the server runs inside carerecord with its file store under the
// data folder and no network listener; Config.URL points at an external NATS
// cluster instead. One test suite runs against both.
//
// # Layout
//
// Three streams per queue, named from Config.Prefix (default "cr"):
//
//   - the live lane, CR_IN, subjects cr.in.<feed>.<partition>;
//   - the bulk (backload) lane, CR_BULK, subjects cr.bulk.<feed>.<partition>;
//   - the dead-letter store, CR_DLQ, subjects cr.dlq.<feed>.
//
// The partition is a hash of the message key (the patient) modulo
// Config.Partitions, so all messages for one patient, from every feed, share
// a partition; Consume runs one worker per partition over a durable pull
// consumer allowing one unacknowledged message at a time, which gives order
// per patient, parallelism across patients, and survives restarts. Both lanes
// are work queues: a message leaves the stream when it is acknowledged, so
// the disk holds the backlog only, and stream limits (Config.MaxBytes) make
// Publish fail with ErrFull rather than lose or silently accept a message.
//
// # Durability
//
// A message is acknowledged to its sender only once it is on disk: an HL7
// ACK is a promise that the message will be processed. JetStream's own way
// (server SyncAlways) fsyncs message by message, about 1,000 messages a
// second on the development VM whatever the number of senders. The
// embedded server instead writes each message to its block file before the
// PubAck (the default persist mode) and a syncer per stream fsyncs the
// newest blocks once for every publisher waiting (sync.go): group commit,
// so eight MLLP connections share one disk flush. Bulk publishes are
// flushed the same way, once per call. Acknowledgements that remove a
// handled message are not waited for: after a power cut a handled message
// may come back, and the record side recognises it. With an external
// cluster durability is the cluster's: configure sync_interval: always
// there, or use Config.Replicas 3, where a message is acknowledged once a
// quorum has it.
//
// Measured on the 2-vCPU development VM (bench_test.go): 16 senders publish
// 9,800-12,500 durable messages a second (2,900 with SyncAlways); one
// sender, which cannot share a flush, 1,700-2,700.
//
// # Order
//
// Each partition's worker takes what is waiting as one batch, so two
// processes in one group must never work the same partition: a worker holds
// a lease on its partition (external NATS), and on taking a partition over
// recreates its consumer, so that messages a crashed predecessor held are
// delivered again first, in order (lease.go).
//
// # Idempotency
//
// Each message carries Nats-Msg-Id = feed, control id and a hash of its
// content; JetStream drops a second copy published within
// Config.DedupWindow (default one hour). Beyond the window, and on
// redelivery after a crash, the consumer sees the message again: handlers
// must be idempotent (the record side recognises a feed's control id and
// content), which also makes replaying a whole feed safe.
//
// Only the integration engine and server (layers 4 and up) import queue; it
// imports no other carerecord package.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the queue lives and how large it may grow. The zero value
// of every field but DataDir (embedded) or URL (external) has a default.
type Config struct {
	// URL of an external NATS server or cluster ("nats://host:4222,...");
	// "" runs an embedded server with its store under DataDir.
	URL string
	// DataDir is the data folder; the embedded store is DataDir/nats.
	DataDir string
	// Prefix names the streams and subjects (default "cr"); tests use a
	// unique prefix each so they can share one server.
	Prefix string
	// Partitions is the number of ordered live partitions (default 8). All
	// messages with one key share a partition. Change it only with an empty
	// queue: a changed count sends a patient's later messages elsewhere.
	Partitions int
	// BulkPartitions is the number of bulk-lane partitions, and so the bulk
	// lane's concurrency (default 2).
	BulkPartitions int
	// Replicas for each stream on an external cluster (default 1).
	Replicas int
	// DedupWindow is how long a message id is remembered (default 1h).
	DedupWindow time.Duration
	// MaxBytes bounds each lane's backlog (default 1 GiB); MaxAge, if set,
	// drops queued messages older than it (default 0: never, since a dropped
	// message is a lost message).
	MaxBytes int64
	MaxAge   time.Duration
	// DeadLetterMaxBytes bounds the dead-letter store (default 1 GiB). When
	// it is full, a failing message stays on its partition (which stalls)
	// and the error is logged: nothing is dropped silently.
	DeadLetterMaxBytes int64
	DeadLetterMaxAge   time.Duration
	// RelaxedSync lets the embedded server sync on an interval instead of
	// before every acknowledgement (faster, loses the last messages on a
	// power cut). Off by default.
	RelaxedSync bool
	// Logger receives operational events (never message content or handler
	// error text, which may hold patient data). Default slog.Default().
	Logger *slog.Logger
}

// Errors callers branch on.
var (
	// ErrFull means a lane or the dead-letter store is at its limit: the
	// message was not queued; tell the sender to retry later.
	ErrFull = errors.New("queue: full")
	// ErrNotFound means no dead letter has that id.
	ErrNotFound = errors.New("queue: not found")
	// ErrInvalid means a message or argument cannot be queued as given.
	ErrInvalid = errors.New("queue: invalid")
	// ErrTooLarge means a message is larger than the server accepts
	// (MaxMessageBytes for the embedded server, max_payload for an
	// external one); it wraps ErrInvalid.
	ErrTooLarge = fmt.Errorf("%w: message too large", ErrInvalid)
)

// MaxMessageBytes is the embedded server's largest message: HL7 results
// can carry whole documents (a base64 PDF in OBX-5), well past NATS's
// default 1 MB.
const MaxMessageBytes = 8 << 20

// Queue is an open queue. Its methods are safe for concurrent use.
type Queue struct {
	cfg    Config
	log    *slog.Logger
	srv    *server.Server // nil with an external URL
	nc     *nats.Conn
	js     jetstream.JetStream
	live   jetstream.Stream
	bulk   jetstream.Stream
	dlq    jetstream.Stream
	gate   *gate
	prefix string // subject prefix, e.g. "cr"
	// syncers flush the embedded server's streams to disk, by stream name
	// (none with an external server or RelaxedSync).
	syncers map[string]*syncer
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (c *Config) setDefaults() error {
	if c.Prefix == "" {
		c.Prefix = "cr"
	}
	if !tokenRE.MatchString(c.Prefix) {
		return fmt.Errorf("%w: prefix %q: use letters, digits, - and _", ErrInvalid, c.Prefix)
	}
	if c.URL == "" && c.DataDir == "" {
		return fmt.Errorf("%w: an embedded queue needs DataDir", ErrInvalid)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Partitions, 8)
	def(&c.BulkPartitions, 2)
	def(&c.Replicas, 1)
	if c.DedupWindow <= 0 {
		c.DedupWindow = time.Hour
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 1 << 30
	}
	if c.DeadLetterMaxBytes <= 0 {
		c.DeadLetterMaxBytes = 1 << 30
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Open starts (or connects to) NATS and creates or updates the queue's
// streams.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, log: cfg.Logger.With("component", "queue"), gate: newGate(), prefix: cfg.Prefix}
	var err error
	if cfg.URL == "" {
		q.srv, err = startEmbedded(cfg)
		if err != nil {
			return nil, err
		}
		q.nc, err = nats.Connect("", nats.InProcessServer(q.srv), nats.Name("carerecord-queue"))
	} else {
		q.nc, err = nats.Connect(cfg.URL, nats.Name("carerecord-queue"), nats.MaxReconnects(-1))
	}
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("queue: connect: %w", err)
	}
	q.js, err = jetstream.New(q.nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("queue: jetstream: %w", err)
	}
	if err := q.createStreams(ctx); err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

func startEmbedded(cfg Config) (*server.Server, error) {
	opts := &server.Options{
		ServerName: "carerecord",
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.DataDir, "nats"),
		DontListen: true, // in-process connections only
		NoSigs:     true,
		NoLog:      true,
		SyncAlways: false, // durability comes from the syncers (sync.go)
		MaxPayload: MaxMessageBytes,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("queue: embedded server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("queue: embedded server did not start")
	}
	return srv, nil
}

// Stream names for a prefix.
func (q *Queue) streamName(lane string) string { return strings.ToUpper(q.prefix + "_" + lane) }

func (q *Queue) createStreams(ctx context.Context) error {
	lane := func(name string, l Lane) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:       q.streamName(name),
			Subjects:   []string{q.prefix + "." + l.token() + ".>"},
			Retention:  jetstream.WorkQueuePolicy,
			Discard:    jetstream.DiscardNew,
			MaxBytes:   q.cfg.MaxBytes,
			MaxAge:     q.cfg.MaxAge,
			Storage:    jetstream.FileStorage,
			Replicas:   q.cfg.Replicas,
			Duplicates: q.cfg.DedupWindow,
		}
	}
	liveCfg := lane("in", Live)
	bulkCfg := lane("bulk", Bulk)
	dlqCfg := jetstream.StreamConfig{
		Name:       q.streamName("dlq"),
		Subjects:   []string{q.prefix + ".dlq.>"},
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardNew,
		MaxBytes:   q.cfg.DeadLetterMaxBytes,
		MaxAge:     q.cfg.DeadLetterMaxAge,
		Storage:    jetstream.FileStorage,
		Replicas:   q.cfg.Replicas,
		Duplicates: 2 * time.Minute,
	}
	var err error
	for _, s := range []struct {
		cfg jetstream.StreamConfig
		dst *jetstream.Stream
	}{{liveCfg, &q.live}, {bulkCfg, &q.bulk}, {dlqCfg, &q.dlq}} {
		if *s.dst, err = q.js.CreateOrUpdateStream(ctx, s.cfg); err != nil {
			return fmt.Errorf("queue: stream %s: %w", s.cfg.Name, err)
		}
		if q.srv != nil && !q.cfg.RelaxedSync {
			if q.syncers == nil {
				q.syncers = map[string]*syncer{}
			}
			q.syncers[s.cfg.Name] = newSyncer(filepath.Join(q.cfg.DataDir, "nats", "jetstream", server.DEFAULT_GLOBAL_ACCOUNT, "streams", s.cfg.Name, "msgs"))
		}
	}
	return nil
}

// durable returns once what the named stream holds is on disk.
func (q *Queue) durable(ctx context.Context, stream string) error {
	if s := q.syncers[stream]; s != nil {
		return s.wait(ctx)
	}
	return nil
}

// Close disconnects and, for the embedded server, shuts it down after
// flushing its store. Stop Consume (cancel its context) first.
func (q *Queue) Close() error {
	for _, s := range q.syncers {
		s.close()
	}
	if q.nc != nil {
		_ = q.nc.FlushTimeout(5 * time.Second) // acknowledgements still buffered
		q.nc.Close()
	}
	if q.srv != nil {
		q.srv.Shutdown()
		q.srv.WaitForShutdown()
	}
	return nil
}

// DeleteAll removes the queue's streams and everything in them. Tests use it
// to leave an external server as they found it.
func (q *Queue) DeleteAll(ctx context.Context) error {
	var errs []error
	if err := q.js.DeleteKeyValue(ctx, q.leaseBucket()); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		errs = append(errs, err)
	}
	for _, n := range []string{"in", "bulk", "dlq"} {
		if err := q.js.DeleteStream(ctx, q.streamName(n)); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
