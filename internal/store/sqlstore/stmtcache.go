package sqlstore

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// stmtCacheSize bounds the prepared search statements kept on the read
// pool. A search's SQL holds its values as arguments, so the text repeats
// for every patient a clinician view is opened for.
const stmtCacheSize = 512

// stmtCache keeps prepared read statements by their text, least recently
// used first out. Preparing was most of the CPU of a small search (SQLite
// parses and plans every new statement). database/sql keeps a statement
// that is closed while a query still reads from it until that query ends.
type stmtCache struct {
	mu sync.Mutex
	ll *list.List // of *cachedStmt, most recent first
	m  map[string]*list.Element
}

type cachedStmt struct {
	text string
	st   *sql.Stmt
}

// query runs a read query through a cached prepared statement.
func (s *Store) query(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	st, err := s.stmts.get(ctx, s.rdb, text)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, text string) (*sql.Stmt, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m, c.ll = map[string]*list.Element{}, list.New()
	}
	if e, ok := c.m[text]; ok {
		c.ll.MoveToFront(e)
		st := e.Value.(*cachedStmt).st
		c.mu.Unlock()
		return st, nil
	}
	c.mu.Unlock()
	st, err := db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[text]; ok { // prepared meanwhile by another search
		_ = st.Close()
		c.ll.MoveToFront(e)
		return e.Value.(*cachedStmt).st, nil
	}
	c.m[text] = c.ll.PushFront(&cachedStmt{text, st})
	if c.ll.Len() > stmtCacheSize {
		old := c.ll.Remove(c.ll.Back()).(*cachedStmt)
		delete(c.m, old.text)
		_ = old.st.Close()
	}
	return st, nil
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.m {
		_ = e.Value.(*cachedStmt).st.Close()
	}
	c.m, c.ll = nil, nil
}
