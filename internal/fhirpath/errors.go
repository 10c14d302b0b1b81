package fhirpath

import (
	"errors"
	"fmt"
	"strings"
)

// The classes of error, as the FHIRPath specification and its test suite
// name them. Every error this package returns is an *Error that wraps one of
// them, so callers may branch with errors.Is.
var (
	ErrSyntax    = errors.New("syntax error")    // the expression does not parse
	ErrSemantic  = errors.New("semantic error")  // parses, but cannot mean anything (unknown function, bad arguments)
	ErrExecution = errors.New("execution error") // failed while evaluating (a collection where one item was needed, bad operand types)
)

// Error is a failure to compile or evaluate an expression: what went wrong
// and where in the expression.
type Error struct {
	Kind error  // ErrSyntax, ErrSemantic or ErrExecution
	Pos  int    // byte offset in the expression
	Line int    // 1-based line of Pos
	Col  int    // 1-based column of Pos
	Msg  string // what went wrong
}

func (e *Error) Error() string {
	return fmt.Sprintf("fhirpath: %v at %d:%d: %s", e.Kind, e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, src string, pos int, format string, args ...any) *Error {
	pos = min(max(pos, 0), len(src))
	line := 1 + strings.Count(src[:pos], "\n")
	col := pos - strings.LastIndexByte(src[:pos], '\n')
	return &Error{Kind: kind, Pos: pos, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}
