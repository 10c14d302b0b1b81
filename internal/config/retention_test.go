package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The message log's retention: 30 days by default, set by the file, the
// environment or the flag, each over the one before; 0 keeps messages for
// ever.
func TestMessageRetention(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(file, []byte("message_retention: 168h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
	}{
		{"default", nil, nil, 30 * 24 * time.Hour},
		{"file", []string{"--config", file}, nil, 7 * 24 * time.Hour},
		{"environment over file", []string{"--config", file}, map[string]string{EnvMessageRetention: "48h"}, 48 * time.Hour},
		{"flag over environment", []string{"--message-retention", "0"}, map[string]string{EnvMessageRetention: "48h"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Load("serve", StoreFlags|ServerFlags, tt.args, envOf(tt.env), io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.MessageRetention != tt.want {
				t.Errorf("MessageRetention = %s, want %s", c.MessageRetention, tt.want)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if !strings.Contains(c.String(), "message_retention: "+tt.want.String()+"\n") {
				t.Errorf("check-config does not show it:\n%s", c)
			}
		})
	}
	if _, _, err := Load("serve", StoreFlags|ServerFlags, nil, envOf(map[string]string{EnvMessageRetention: "30d"}), io.Discard, nil); err == nil ||
		!strings.Contains(err.Error(), EnvMessageRetention) {
		t.Errorf("a retention that is not a Go duration: %v", err)
	}
}
