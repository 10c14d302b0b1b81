package sqlstore

// Test hooks for package sqlstore_test.

// WithCommitHook runs f before each COMMIT; an error from f fails it.
func WithCommitHook(f func() error) Option { return func(s *Store) { s.beforeCommit = f } }

// QueueLen is the number of Writes waiting for the committer.
func QueueLen(s *Store) int { return len(s.queue) }
