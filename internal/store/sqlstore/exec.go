package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"carerecord/internal/store"
)

// errNotSQLTx is returned by ExecTx for a Tx that sqlstore did not make.
var errNotSQLTx = errors.New("sqlstore: Tx does not belong to a sqlstore Store")

// ExecTx runs one statement (with ? placeholders) inside the transaction of
// the Write that tx was passed to. It is for store/ packages that keep
// their own tables in step with resources (index tables). A failing
// statement fails that Write, as any failing statement in it does, even if
// the Write function ignores the error.
func ExecTx(ctx context.Context, tx store.Tx, query string, args ...any) error {
	t, ok := tx.(*txView)
	if !ok {
		return errNotSQLTx
	}
	if err := t.check(ctx); err != nil {
		return err
	}
	if _, err := t.g.tx.ExecContext(context.Background(), t.g.s.d.q(query), args...); err != nil {
		return t.fail(fmt.Errorf("sqlstore: exec: %w", err))
	}
	return nil
}
