package cli

import (
	"carerecord/internal/server"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

const messagesUsage = `Usage: carerecord messages --to URL [list] [FILTERS] [--limit N] [--json]
       carerecord messages --to URL show ID [--raw] [--json]
  list (the default)   the message log, newest first, with what each message became
  show ID              one message, with its raw text (--raw: the message alone, as received)
FILTERS: --feed F  --type ADT|ADT^A01  --control-id C  --patient SYSTEM|VALUE or VALUE
         --status applied|unsupported|duplicate  --since T  --until T (RFC 3339 or a date)
`

// runMessages is `carerecord messages`: the record's message log on a
// running server, through its /engine/messages endpoints.
func runMessages(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("carerecord messages", flag.ContinueOnError)
	fl.SetOutput(stderr)
	to := fl.String("to", "", "URL of the running server, e.g. http://127.0.0.1:8080 (required)")
	q := url.Values{}
	for _, f := range []struct{ flag, param, usage string }{
		{"feed", "feed", "only this feed's messages"},
		{"type", "type", "only messages of this type (ADT) or type and event (ADT^A01)"},
		{"control-id", "controlId", "only messages with this control id (MSH-10)"},
		{"patient", "patient", "only messages about this patient identifier: system|value, or a value"},
		{"status", "status", "only applied, unsupported or duplicate messages"},
		{"since", "since", "only messages received at or after this time (RFC 3339, or a date: midnight UTC)"},
		{"until", "until", "only messages received before this time"},
	} {
		fl.Func(f.flag, f.usage, func(v string) error {
			q.Set(f.param, v)
			return nil
		})
	}
	limit := fl.Int("limit", 100, "list: at most this many messages (0: all)")
	raw := fl.Bool("raw", false, "show: print the stored message alone, byte for byte")
	asJSON := fl.Bool("json", false, "print the server's JSON")
	fl.Usage = func() {
		fmt.Fprint(stderr, messagesUsage)
		fl.PrintDefaults()
	}
	if err := fl.Parse(interleave(fl, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	base, err := serverURL(*to)
	if *to == "" || err != nil {
		if *to != "" {
			fmt.Fprintf(stderr, "carerecord messages: %v\n", err)
		}
		fl.Usage()
		return 2
	}
	var id int64
	sub := "list"
	switch rest := fl.Args(); {
	case len(rest) == 0 || len(rest) == 1 && rest[0] == "list":
	case len(rest) == 2 && rest[0] == "show":
		sub = "show"
		if id, err = strconv.ParseInt(rest[1], 10, 64); err != nil || id <= 0 {
			err = fmt.Errorf("%q is not a message id", rest[1])
		}
	default:
		err = fmt.Errorf("unexpected arguments %q", rest)
	}
	if err == nil && *limit < 0 {
		err = errors.New("--limit must not be negative")
	}
	if err != nil {
		fmt.Fprintf(stderr, "carerecord messages: %v\n\n", err)
		fl.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := messagesClient{dlOptions{base: base}, stdout}
	if sub == "show" {
		err = c.show(ctx, id, *raw, *asJSON)
	} else {
		err = c.list(ctx, q, *limit, *asJSON)
	}
	if err != nil {
		fmt.Fprintf(stderr, "carerecord messages %s: %v\n", sub, err)
		return 1
	}
	return 0
}

// messagesClient reads the message log; it calls the server as the
// dead-letters command does.
type messagesClient struct {
	dl  dlOptions
	out io.Writer
}

// loggedMessage is a message as /engine/messages answers it.
type loggedMessage = server.MessageJSON

// became says in a few words what m became.
func became(m loggedMessage) string {
	parts := make([]string, 0, len(m.Became))
	for _, b := range m.Became {
		if b.Result == "written" {
			parts = append(parts, b.Reference)
		} else {
			parts = append(parts, b.Reference+" ("+b.Result+")")
		}
	}
	return strings.Join(parts, " ")
}

// list prints the messages matching q, newest first, a page at a time
// from the server, at most limit of them (0: all).
func (c messagesClient) list(ctx context.Context, q url.Values, limit int, asJSON bool) error {
	all := []loggedMessage{}
	for limit == 0 || len(all) < limit {
		count := 1000
		if limit > 0 {
			count = min(count, limit-len(all))
		}
		q.Set("_count", strconv.Itoa(count))
		var page struct {
			Messages []loggedMessage `json:"messages"`
			Next     string          `json:"next"`
		}
		if err := c.dl.call(ctx, http.MethodGet, "/engine/messages?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		all = append(all, page.Messages...)
		if page.Next == "" {
			break
		}
		q.Set("cursor", page.Next)
	}
	if asJSON {
		return writeIndented(c.out, all)
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tFEED\tTYPE\tCONTROL ID\tSTATUS\tBECAME")
	for _, m := range all {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Received.Local().Format("2006-01-02 15:04:05"),
			m.Feed, m.Type, oneLine(m.ControlID), m.Status, became(m))
	}
	tw.Flush()
	fmt.Fprintf(c.out, "%d messages\n", len(all))
	return nil
}

func (c messagesClient) show(ctx context.Context, id int64, raw, asJSON bool) error {
	var m loggedMessage
	if err := c.dl.call(ctx, http.MethodGet, "/engine/messages/"+strconv.FormatInt(id, 10), nil, &m); err != nil {
		return fmt.Errorf("message %d: %w", id, err)
	}
	switch {
	case raw:
		_, err := io.WriteString(c.out, m.Message)
		return err
	case asJSON:
		return writeIndented(c.out, m)
	}
	fmt.Fprintf(c.out, "id:         %d\nfeed:       %s\ncontrol id: %s\ntype:       %s\nreceived:   %s\nevent time: %s\nstatus:     %s\npatients:   %s\n",
		m.ID, m.Feed, m.ControlID, m.Type, m.Received.Local().Format(time.RFC3339), m.EventTime, m.Status, strings.Join(m.Patients, " "))
	fmt.Fprintln(c.out, "became:")
	for _, b := range m.Became {
		fmt.Fprintf(c.out, "  %s  %s\n", b.Reference, b.Result)
	}
	// Segments end in CR on the wire; a terminal wants LF.
	msg := strings.ReplaceAll(strings.ReplaceAll(m.Message, "\r\n", "\n"), "\r", "\n")
	_, err := io.WriteString(c.out, "\n"+strings.TrimSuffix(msg, "\n")+"\n")
	return err
}
