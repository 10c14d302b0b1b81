package queue

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one delivery. Return nil when the message is applied
// (it is then acknowledged and leaves the queue), Permanent(err) when it can
// never be (it is dead-lettered at once), or any other error to have it
// retried with backoff. Wrap an error with At to say where in the message it
// lies. Handlers must be idempotent: after a crash a message can be
// delivered again. Error text goes to the dead-letter store, not the log.
type Handler func(ctx context.Context, d Delivery) error

// ConsumeOptions tune Consume; zero values take the defaults.
type ConsumeOptions struct {
	// Group names the durable consumers (default "ingest"); processes that
	// consume with the same group share the work, partition by partition.
	Group string
	// MaxAttempts is how many times a message is tried before it is
	// dead-lettered (default 5).
	MaxAttempts int
	// Backoff is the delay before the first retry (default 1s); it doubles
	// for each further attempt up to MaxBackoff (default 1m). A retried
	// message holds its partition: order per patient is kept.
	Backoff, MaxBackoff time.Duration
	// AckWait is how long the server waits before redelivering a message
	// whose handler process died (default 30s). A running handler keeps its
	// message alive however long it takes.
	AckWait time.Duration
	// LiveBatch and BulkBatch are the most messages of one partition
	// handled between two Flush calls on each lane (defaults 64 and 256). A
	// worker takes what is waiting, up to the batch size, so a quiet feed's
	// message is handled at once and a busy one's share a commit.
	LiveBatch, BulkBatch int
	// Flush, if set, is called after each batch with its lane and
	// partition; the batch is acknowledged only when it returns nil, so a
	// handler may buffer writes per lane and partition and commit them here
	// in one transaction. Flush must leave nothing buffered whether it
	// succeeds or fails: on error each message of the batch is handled and
	// flushed again on its own, so the one at fault is retried and then
	// dead-lettered without holding back the others.
	Flush func(ctx context.Context, lane Lane, partition int) error
	// LeaseTTL is how long a partition stays with a process that stopped
	// renewing its lease (died) before another in the group takes it over
	// (default 10s; external NATS only, see lease.go).
	LeaseTTL time.Duration
}

func (o *ConsumeOptions) batchSize(l Lane) int {
	if l == Bulk {
		return o.BulkBatch
	}
	return o.LiveBatch
}

func (o *ConsumeOptions) setDefaults() error {
	if o.Group == "" {
		o.Group = "ingest"
	}
	if !tokenRE.MatchString(o.Group) {
		return fmt.Errorf("%w: consumer group %q", ErrInvalid, o.Group)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.LiveBatch <= 0 {
		o.LiveBatch = 64
	}
	if o.BulkBatch <= 0 {
		o.BulkBatch = 256
	}
	return nil
}

func (o *ConsumeOptions) backoff(attempt int) time.Duration {
	d := o.Backoff
	for i := 1; i < attempt && d < o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxBackoff)
}

// Consume hands queued messages to h until ctx is cancelled, then returns
// nil once every worker has stopped (a message being handled is finished or
// handed back). Each partition of each lane has one worker handling batches
// of what is waiting, in order; bulk workers wait while any live batch
// runs, so a backload never delays live feeds (a saturated live lane can
// hold the backload back indefinitely). Processes consuming with the same
// group share the partitions, one process per partition at a time.
func (q *Queue) Consume(ctx context.Context, h Handler, opts ConsumeOptions) error {
	if err := opts.setDefaults(); err != nil {
		return err
	}
	leases, err := q.openLeases(ctx, opts.LeaseTTL)
	if err != nil {
		return err
	}
	owner := newOwner()
	var workers []*worker
	for _, lane := range []Lane{Live, Bulk} {
		n := q.cfg.Partitions
		if lane == Bulk {
			n = q.cfg.BulkPartitions
		}
		for p := range n {
			workers = append(workers, &worker{
				q: q, h: h, o: &opts, lane: lane, part: p, leases: leases, owner: owner,
				log: q.log.With("lane", lane.String(), "partition", p),
			})
		}
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	return nil
}

// consumerName is the durable consumer of a group, lane and partition.
func consumerName(group string, l Lane, p int) string {
	return group + "-" + l.String() + "-" + strconv.Itoa(p)
}

func (q *Queue) consumer(ctx context.Context, l Lane, p int, o *ConsumeOptions) (jetstream.Consumer, error) {
	stream := q.live
	if l == Bulk {
		stream = q.bulk
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       consumerName(o.Group, l, p),
		FilterSubject: q.prefix + "." + l.token() + ".*." + strconv.Itoa(p),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    -1, // the worker counts attempts and dead-letters
		MaxAckPending: o.batchSize(l),
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	c, err := stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("queue: consumer %s: %w", cfg.Durable, err)
	}
	return c, nil
}

// worker consumes one partition of one lane.
type worker struct {
	q      *Queue
	h      Handler
	o      *ConsumeOptions
	lane   Lane
	part   int
	cons   jetstream.Consumer // set by reset when the worker takes the partition
	leases jetstream.KeyValue // nil with the embedded server
	owner  string             // this Consume call, in the leases it holds
	log    *slog.Logger
}

func (w *worker) delivery(m jetstream.Msg) Delivery {
	d := Delivery{Message: messageOf(m.Subject(), m.Headers(), m.Data()), Lane: w.lane, Partition: w.part, Attempt: 1}
	if md, err := m.Metadata(); err == nil {
		d.Seq, d.Attempt, d.Queued = md.Sequence.Stream, int(md.NumDelivered), md.Timestamp
	}
	return d
}

// call runs the handler, keeping the messages alive on the server while it
// runs and turning a panic into a (transient) error. Live handlers hold the
// gate so bulk workers yield to them.
func (w *worker) call(ctx context.Context, d Delivery) (err error) {
	if w.lane == Live {
		w.q.gate.enter()
		defer w.q.gate.leave()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return w.h(ctx, d)
}

// keepAlive tells the server the messages are still being worked on every
// third of AckWait, until stop is called.
func (w *worker) keepAlive(msgs ...jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(w.o.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					_ = m.InProgress()
				}
			}
		}
	}()
	return func() { close(done) }
}

// ackCtx bounds an acknowledgement that must go out even while shutting down.
func ackCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (w *worker) ack(ctx context.Context, m jetstream.Msg) {
	actx, cancel := ackCtx(ctx)
	defer cancel()
	if err := m.DoubleAck(actx); err != nil {
		w.log.Warn("ack failed; the message will be delivered again", "err", err)
	}
}

// handBack returns a message the worker will not handle because it is
// stopping. Unlike Nak, it waits for the server to record the message as
// due at once (a NAK with a tiny delay updates the stored delivery state),
// so that after a restart the message is delivered again at once instead of
// after AckWait.
func (w *worker) handBack(ctx context.Context, m jetstream.Msg) {
	actx, cancel := ackCtx(ctx)
	defer cancel()
	if _, err := w.q.nc.RequestWithContext(actx, m.Reply(), []byte(`-NAK {"delay":1000000}`)); err != nil {
		w.log.Warn("hand back failed; the message returns after AckWait", "err", err)
	}
}

func (w *worker) nak(m jetstream.Msg, delay time.Duration) {
	var err error
	if delay > 0 {
		err = m.NakWithDelay(delay)
	} else {
		err = m.Nak()
	}
	if err != nil {
		w.log.Warn("nak failed; the message returns after AckWait", "err", err)
	}
}

// gate lets bulk workers wait while any live handler runs.
type gate struct {
	mu   sync.Mutex
	live int
	idle chan struct{} // closed while live == 0
}

func newGate() *gate {
	g := &gate{idle: make(chan struct{})}
	close(g.idle)
	return g
}

func (g *gate) enter() {
	g.mu.Lock()
	if g.live == 0 {
		g.idle = make(chan struct{})
	}
	g.live++
	g.mu.Unlock()
}

func (g *gate) leave() {
	g.mu.Lock()
	g.live--
	if g.live == 0 {
		close(g.idle)
	}
	g.mu.Unlock()
}

// waitIdle returns when no live handler runs, or ctx's error.
func (g *gate) waitIdle(ctx context.Context) error {
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
