package sqlite_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/store/storetest"
)

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	tok := storetest.Identifiers(storetest.Ident("https://fhir.nhs.uk/Id/nhs-number", "9990000085"))
	var last *store.Resource
	err = s.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.Put(ctx, store.Put{Type: "Patient", ID: "p", Body: storetest.Patient("9990000085", "Kept"), Index: tok}); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, store.Put{Type: "Observation", ID: "o", Body: storetest.Observation("o")}); err != nil {
			return err
		}
		last, err = tx.Delete(ctx, "Observation", "o", 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if r, err := s.Read(ctx, "Patient", "p"); err != nil || r.Version != 1 {
		t.Errorf("Read Patient/p after reopen = %+v, %v", r, err)
	}
	if _, err := s.Read(ctx, "Observation", "o"); !errors.Is(err, store.ErrGone) {
		t.Errorf("Read Observation/o after reopen = %v, want ErrGone", err)
	}
	if ids, err := s.FindByToken(ctx, "Patient", "identifier", "", "9990000085"); err != nil || len(ids) != 1 {
		t.Errorf("FindByToken after reopen = %v, %v", ids, err)
	}
	if ch, err := s.Changes(ctx, 0, 10); err != nil || len(ch) != 3 {
		t.Errorf("Changes after reopen = %d versions, %v; want 3", len(ch), err)
	}
	var next *store.Resource
	err = s.Write(ctx, func(tx store.Tx) error {
		var err error
		next, err = tx.Put(ctx, store.Put{Type: "Observation", ID: "o", Body: storetest.Observation("again")})
		return err
	})
	if err != nil || next.Version != 3 || next.Seq <= last.Seq || next.LastUpdated.Before(last.LastUpdated) {
		t.Errorf("write after reopen = %+v, %v; want version 3 after seq %d", next, err, last.Seq)
	}
}

func TestCheckpointAndVacuum(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 20 {
		if err := s.Write(ctx, func(tx store.Tx) error {
			_, err := tx.Put(ctx, store.Put{Type: "Observation", ID: fmt.Sprint(i), Body: storetest.Observation("c")})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	wal := filepath.Join(dir, sqlite.FileName+"-wal")
	if fi, err := os.Stat(wal); err != nil || fi.Size() == 0 {
		t.Fatalf("WAL before checkpoint: %v, %v; want a non-empty file", fi, err)
	}
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if fi, err := os.Stat(wal); err != nil || fi.Size() != 0 {
		t.Errorf("WAL after checkpoint: %v, %v; want it truncated to 0", fi.Size(), err)
	}
	if err := s.Vacuum(ctx); err != nil {
		t.Fatalf("Vacuum: %v", err)
	}
	if r, err := s.Read(ctx, "Observation", "19"); err != nil || r.Version != 1 {
		t.Errorf("Read after vacuum = %+v, %v", r, err)
	}
}

// TestDiskFootprint measures bytes on disk per stored ~1 KB Observation
// with one token, after a checkpoint has folded the WAL into the file.
func TestDiskFootprint(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.Footprint(t, s, 2000, 2, func(ctx context.Context) (int64, error) {
		if err := s.Checkpoint(ctx); err != nil {
			return 0, err
		}
		fi, err := os.Stat(filepath.Join(dir, sqlite.FileName))
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	})
}

const killChildEnv = "CARERECORD_SQLITE_KILL_CHILD_DIR"

// TestKillChild is the writer process TestAcknowledgedWritesSurviveKill
// kills. It writes until killed, printing "ack <id> <version>" after each
// Write that returned nil.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		t.Skip("helper process for TestAcknowledgedWritesSurviveKill")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	for w := range 16 {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%d", w, i%5)
				var r *store.Resource
				err := s.Write(ctx, func(tx store.Tx) error {
					var err error
					r, err = tx.Put(ctx, store.Put{Type: "Observation", ID: id, Body: storetest.Observation(fmt.Sprint(i))})
					return err
				})
				if err != nil {
					fmt.Println("write:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Printf("ack %s %d\n", id, r.Version)
				mu.Unlock()
			}
		}()
	}
	select {} // until killed
}

func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(1500 * time.Millisecond)
	for len(acked) < 80 || time.Now().Before(deadline) {
		if !lines.Scan() {
			break
		}
		f := strings.Fields(lines.Text())
		if len(f) != 3 || f[0] != "ack" {
			t.Fatalf("child said %q", lines.Text())
		}
		v, _ := strconv.ParseInt(f[2], 10, 64)
		acked[f[1]] = max(acked[f[1]], v)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) == 0 {
		t.Fatal("the child acknowledged no write")
	}
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	total := int64(0)
	for id, v := range acked {
		total += v
		r, err := s.Read(context.Background(), "Observation", id)
		if err != nil || r.Version < v {
			t.Errorf("%s: acknowledged version %d, after the kill: %+v, %v", id, v, r, err)
		}
	}
	t.Logf("%d resources, %d acknowledged versions, all present after SIGKILL", len(acked), total)
}
