package server

import (
	"embed"
	"html/template"
	"net/http"

	"carerecord/internal/store"
	"carerecord/internal/synthetic"
)

//go:embed templates/*.html
var templateFS embed.FS

var homePage = template.Must(template.ParseFS(templateFS, "templates/home.html"))

// home is the landing page: where everything is.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	data := struct {
		Base, Store, Example, ExampleID string
		Resources                       int64
		LiveFeeds                       bool
		FeedSystem                      string // base of the live feeds' identifier systems
	}{Base: s.baseURL, Store: s.cfg.Backend(), LiveFeeds: s.live && s.engine != nil,
		FeedSystem: synthetic.LocalSystem(synthetic.FeedTrust)}
	if st, ok := s.store.(store.Stats); ok {
		data.Resources, _, _ = st.Count(r.Context())
	}
	data.ExampleID, data.Example = examplePatient(r.Context(), s.store, s.reg)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'")
	if err := homePage.Execute(w, data); err != nil {
		s.opts.Logger.Warn("home page", "err", err)
	}
}
