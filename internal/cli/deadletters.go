package cli

import (
	"carerecord/internal/server"
	"context"
	"encoding/json"
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

const deadLettersUsage = `Usage: carerecord dead-letters --to URL COMMAND
  list [--feed F] [--json]          the dead letters, oldest first
  show ID [--raw] [--json]          one, with its message (--raw: the message alone, as stored)
  reprocess ID... [--fix FILE]      queue them again (--fix: one ID, replaced by the file's message)
  reprocess --all [--feed F]        queue again every dead letter (of feed F)
  discard ID...                     remove them for good
`

// runDeadLetters is `carerecord dead-letters`: the dead-letter store of a
// running server, through its /engine/dead-letters endpoints. Exit 1 when
// the server refused anything.
func runDeadLetters(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("carerecord dead-letters", flag.ContinueOnError)
	fl.SetOutput(stderr)
	o := dlOptions{out: stdout, errw: stderr}
	to := fl.String("to", "", "URL of the running server, e.g. http://127.0.0.1:8080 (required)")
	fl.StringVar(&o.feed, "feed", "", "only this feed's dead letters (list, reprocess --all)")
	fl.BoolVar(&o.all, "all", false, "reprocess every dead letter (of --feed)")
	fl.BoolVar(&o.raw, "raw", false, "show: print the stored message alone, byte for byte")
	fl.BoolVar(&o.json, "json", false, "list, show: print the server's JSON")
	fl.StringVar(&o.fix, "fix", "", "reprocess: a file holding the fixed message")
	fl.Usage = func() {
		fmt.Fprint(stderr, deadLettersUsage)
		fl.PrintDefaults()
	}
	if err := fl.Parse(interleave(fl, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	base, err := serverURL(*to)
	if *to == "" || err != nil || fl.NArg() == 0 {
		if *to != "" && err != nil {
			fmt.Fprintf(stderr, "carerecord dead-letters: %v\n", err)
		}
		fl.Usage()
		return 2
	}
	o.base = base
	sub, rest := fl.Arg(0), fl.Args()[1:]
	ids, err := parseIDs(rest)
	if err == nil {
		err = o.check(sub, ids)
	}
	if err != nil {
		fmt.Fprintf(stderr, "carerecord dead-letters: %v\n\n", err)
		fl.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch sub {
	case "list":
		err = o.list(ctx)
	case "show":
		err = o.show(ctx, ids[0])
	case "reprocess":
		err = o.reprocess(ctx, ids)
	case "discard":
		err = o.each(ctx, ids, http.MethodDelete, "", "discarded")
	}
	if err != nil {
		fmt.Fprintf(stderr, "carerecord dead-letters %s: %v\n", sub, err)
		return 1
	}
	return 0
}

type dlOptions struct {
	base, feed, fix string
	all, raw, json  bool
	out, errw       io.Writer
}

// check says whether the subcommand has the ids and flags it needs.
func (o *dlOptions) check(sub string, ids []uint64) error {
	switch sub {
	case "list":
		if len(ids) > 0 {
			return errors.New("list takes no ids")
		}
	case "show":
		if len(ids) != 1 {
			return errors.New("show takes one id")
		}
	case "reprocess":
		switch {
		case o.all && (len(ids) > 0 || o.fix != ""):
			return errors.New("reprocess --all takes no ids and no --fix")
		case !o.all && len(ids) == 0:
			return errors.New("reprocess: give ids, or --all")
		case o.fix != "" && len(ids) != 1:
			return errors.New("reprocess --fix FILE takes one id")
		}
	case "discard":
		if len(ids) == 0 {
			return errors.New("discard: give ids")
		}
	default:
		return fmt.Errorf("unknown command %q", sub)
	}
	return nil
}

func parseIDs(args []string) ([]uint64, error) {
	ids := make([]uint64, 0, len(args))
	for _, a := range args {
		id, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a dead-letter id", a)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// deadLetter is a dead letter as /engine/dead-letters answers it.
type deadLetter = server.DeadLetterJSON

// call sends one request and decodes a 2xx answer into v (when not nil);
// any other answer is an error carrying the server's message.
func (o *dlOptions) call(ctx context.Context, method, path string, body io.Reader, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, o.base+path, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return answerError(resp)
	}
	if v == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("the server's answer cannot be read: %w", err)
	}
	return nil
}

// list prints every dead letter, a page at a time from the server.
func (o *dlOptions) list(ctx context.Context) error {
	var all []deadLetter
	var after uint64
	for {
		q := url.Values{"after": {strconv.FormatUint(after, 10)}}
		if o.feed != "" {
			q.Set("feed", o.feed)
		}
		var page []deadLetter
		if err := o.call(ctx, http.MethodGet, "/engine/dead-letters?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	if o.json {
		return writeIndented(o.out, all)
	}
	tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFEED\tCONTROL ID\tLANE\tATTEMPTS\tFAILED\tLOCATION\tERROR")
	for _, d := range all {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Feed, d.ControlID, d.Lane, d.Attempts,
			d.Failed.Local().Format("2006-01-02 15:04:05"), d.Location, oneLine(d.Error))
	}
	tw.Flush()
	fmt.Fprintf(o.out, "%d dead letters\n", len(all))
	return nil
}

func (o *dlOptions) show(ctx context.Context, id uint64) error {
	var d deadLetter
	if err := o.call(ctx, http.MethodGet, "/engine/dead-letters/"+strconv.FormatUint(id, 10), nil, &d); err != nil {
		return fmt.Errorf("dead letter %d: %w", id, err)
	}
	switch {
	case o.raw:
		_, err := io.WriteString(o.out, d.Message)
		return err
	case o.json:
		return writeIndented(o.out, d)
	}
	fmt.Fprintf(o.out, "id:         %d\nfeed:       %s\ncontrol id: %s\nlane:       %s\nattempts:   %d\nqueued:     %s\nfailed:     %s\nlocation:   %s\nerror:      %s\n\n",
		d.ID, d.Feed, d.ControlID, d.Lane, d.Attempts, d.Queued.Local().Format(time.RFC3339), d.Failed.Local().Format(time.RFC3339),
		d.Location, d.Error)
	// Segments end in CR on the wire; a terminal wants LF.
	msg := strings.ReplaceAll(strings.ReplaceAll(d.Message, "\r\n", "\n"), "\r", "\n")
	_, err := io.WriteString(o.out, strings.TrimSuffix(msg, "\n")+"\n")
	return err
}

func (o *dlOptions) reprocess(ctx context.Context, ids []uint64) error {
	if o.all {
		q := ""
		if o.feed != "" {
			q = "?feed=" + url.QueryEscape(o.feed)
		}
		var res struct {
			Reprocessed int `json:"reprocessed"`
		}
		if err := o.call(ctx, http.MethodPost, "/engine/dead-letters/reprocess"+q, nil, &res); err != nil {
			return err
		}
		fmt.Fprintf(o.out, "reprocessing %d dead letters\n", res.Reprocessed)
		return nil
	}
	var fix string
	if o.fix != "" {
		b, err := os.ReadFile(o.fix)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return fmt.Errorf("%s is empty", o.fix)
		}
		fix = string(b)
	}
	return o.each(ctx, ids, http.MethodPost, fix, "reprocessing")
}

// each sends one request per id, to /engine/dead-letters/{id} (DELETE) or
// its /reprocess (POST), and says what became of each; it goes on after a
// failure and returns an error if any failed.
func (o *dlOptions) each(ctx context.Context, ids []uint64, method, body, done string) error {
	failed := 0
	for _, id := range ids {
		path := "/engine/dead-letters/" + strconv.FormatUint(id, 10)
		if method == http.MethodPost {
			path += "/reprocess"
		}
		if err := o.call(ctx, method, path, strings.NewReader(body), nil); err != nil {
			fmt.Fprintf(o.errw, "dead letter %d: %v\n", id, err)
			failed++
			continue
		}
		fmt.Fprintf(o.out, "%s dead letter %d\n", done, id)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d failed", failed, len(ids))
	}
	return nil
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oneLine keeps a table row on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
