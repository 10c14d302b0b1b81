package internal_test

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestRules proves each rule of the layer check fires on a file that breaks
// it and stays quiet on one that keeps it, so that a quiet TestLayers means
// something.
func TestRules(t *testing.T) {
	const m = "carerecord"
	file := func(pkg string, imports ...string) goFile {
		f := goFile{pkg: pkg, name: pkg + "/x.go", pkgName: "x"}
		for i, p := range imports {
			f.imports = append(f.imports, importRef{p, i + 3})
		}
		return f
	}
	tests := []struct {
		name string
		f    goFile
		want []string // substrings of the messages, one per expected message; none: no message
	}{
		{"lower layer and std and third party", file("internal/fhirapi", "net/http", m+"/internal/store", m+"/internal/fhir", "github.com/evanphx/json-patch/v5"), nil},
		{"higher layer", file("internal/fhir", m+"/internal/store"), []string{"internal/fhir/x.go:3", "higher layer"}},
		{"same layer", file("internal/v2fhir", m+"/internal/fhirpath"), []string{"internal/v2fhir/x.go:3", "both layer 1"}},
		{"allowed same layer: search uses fhirpath", file("internal/search", m+"/internal/fhirpath"), nil},
		{"fhirapi and web", file("internal/web", "fmt", m+"/internal/fhirapi"), []string{"internal/web/x.go:4", "both layer 5"}},
		{"allowed same layer in store", file("internal/store/sqlite", m+"/internal/store", m+"/internal/store/sqlstore", "modernc.org/sqlite", "database/sql"), nil},
		{"storetest may not import sqlstore", file("internal/store/storetest", m+"/internal/store/sqlstore"), []string{"both layer 2"}},
		{"servertest imports server", file("internal/server/servertest", m+"/internal/server"), nil},
		{"server imports servertest", file("internal/server", m+"/internal/server/servertest"), []string{"both layer 6"}},
		{"unplaced package", file("internal/newthing", "fmt"), []string{"internal/newthing/x.go", "not in the layer table"}},
		{"import of unplaced package", file("internal/cli", m+"/internal/newthing"), []string{"newthing is not in the layer table"}},
		{"driver outside store", file("internal/audit", "database/sql"), []string{"internal/audit/x.go:3", "SQL driver"}},
		{"pgx outside store", file("internal/queue", "github.com/jackc/pgx/v5/pgxpool"), []string{"SQL driver"}},
		{"sql driver subpackage outside store", file("internal/mpi", "database/sql/driver"), []string{"SQL driver"}},
		{"backend from fhirapi", file("internal/fhirapi", m+"/internal/store/sqlite"), []string{"store backend"}},
		{"backend from server", file("internal/server", m+"/internal/store/postgres", m+"/internal/store/sqlite"), nil},
		{"backend from bench", file("internal/bench", m+"/internal/store/sqlite"), nil},
		{"cmd imports cli", file("cmd/carerecord", "os", m+"/internal/cli"), nil},
		{"cmd imports server", file("cmd/carerecord", m+"/internal/cli", m+"/internal/server"), []string{"cmd/carerecord/x.go:4", "may import only"}},
		{"cmd imports a driver", file("cmd/carerecord", "modernc.org/sqlite"), []string{"SQL driver", "may import only"}},
		{"unplaced command", file("cmd/other", "fmt"), []string{"cmd/other", "not in the deps_test table"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkFile(m, tt.f)
			if len(tt.want) == 0 {
				if len(got) > 0 {
					t.Errorf("unexpected messages: %q", got)
				}
				return
			}
			all := strings.Join(got, "\n")
			if len(got) == 0 {
				t.Fatalf("no message, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("messages %q lack %q", got, w)
				}
			}
		})
	}
}

func TestDocRule(t *testing.T) {
	tests := []struct {
		name    string
		pkg     string
		pkgName string
		docs    []string
		want    string // substring of the message; "" means ok
	}{
		{"package comment", "internal/fhir", "fhir", []string{"Package fhir owns the model.\n"}, ""},
		{"in a second file", "internal/fhir", "fhir", []string{"Something else.\n", "Package fhir owns it.\n"}, ""},
		{"command", "cmd/carerecord", "main", []string{"Command carerecord is the binary.\n"}, ""},
		{"missing", "internal/store", "store", nil, "no package comment"},
		{"wrong name", "internal/store", "store", []string{"Package stores owns.\n"}, `must start with "Package store "`},
		{"main with package wording", "cmd/carerecord", "main", []string{"Package main is the binary.\n"}, `"Command carerecord "`},
		{"name only", "internal/mpi", "mpi", []string{"Package mpi\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkDoc(tt.pkg, tt.pkgName, tt.docs)
			switch {
			case tt.want == "" && got != "":
				t.Errorf("unexpected message %q", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("message %q lacks %q", got, tt.want)
			}
		})
	}
}

func TestIgnoredFiles(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{"no constraint", "package x\n", false},
		{"ignore", "//go:build ignore\n\npackage main\n", true},
		{"ignore and a tag", "//go:build ignore && linux\n\npackage main\n", true},
		{"ignore in either branch", "//go:build ignore || linux\n\npackage x\n", false},
		{"not ignore", "//go:build linux && !ignore\n\npackage x\n", false},
		{"os constraint", "//go:build !windows\n\npackage x\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parser.ParseFile(token.NewFileSet(), "x.go", tt.src, parser.ImportsOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if got := ignored(f); got != tt.want {
				t.Errorf("ignored = %v, want %v", got, tt.want)
			}
		})
	}
}
