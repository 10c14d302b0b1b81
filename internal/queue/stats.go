package queue

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Stats is a snapshot for the queue monitoring page and the heartbeat.
// Acknowledged messages leave the lanes, so every lane count is work still
// to do (including messages in flight).
type Stats struct {
	Live, Bulk  StreamStats
	DeadLetters StreamStats // Messages is the dead-letter count
}

// StreamStats is one stream's content and size against its limit.
type StreamStats struct {
	Messages    uint64
	Bytes       uint64
	MaxBytes    int64
	ByFeed      map[string]uint64 // messages per feed
	ByPartition []uint64          // lanes only: messages waiting per partition, its lag
}

// Full reports whether the stream has reached 90% of its byte limit.
func (s StreamStats) Full() bool { return s.MaxBytes > 0 && s.Bytes >= uint64(s.MaxBytes)/10*9 }

// Stats reads the current backlog, dead-letter count and sizes.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var err error
	if st.Live, err = q.streamStats(ctx, q.live, Live.token(), q.cfg.Partitions); err != nil {
		return st, err
	}
	if st.Bulk, err = q.streamStats(ctx, q.bulk, Bulk.token(), q.cfg.BulkPartitions); err != nil {
		return st, err
	}
	st.DeadLetters, err = q.streamStats(ctx, q.dlq, "dlq", 0)
	return st, err
}

// streamStats reads a stream's state with its per-subject counts, folded
// into per-feed and per-partition counts.
func (q *Queue) streamStats(ctx context.Context, s jetstream.Stream, token string, partitions int) (StreamStats, error) {
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(q.prefix+"."+token+".>"))
	if err != nil {
		return StreamStats{}, fmt.Errorf("queue: stats: %w", err)
	}
	st := StreamStats{Messages: info.State.Msgs, Bytes: info.State.Bytes, MaxBytes: info.Config.MaxBytes, ByFeed: map[string]uint64{}}
	if partitions > 0 {
		st.ByPartition = make([]uint64, partitions)
	}
	for subj, n := range info.State.Subjects {
		feed, p, ok := parseSubject(subj)
		if !ok {
			continue
		}
		st.ByFeed[feed] += n
		if p >= 0 && p < partitions {
			st.ByPartition[p] += n
		}
	}
	return st, nil
}
