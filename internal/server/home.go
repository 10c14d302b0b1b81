package server

import (
	"embed"
	"html/template"
	"net/http"

	"carerecord/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var homePage = template.Must(template.ParseFS(templateFS, "templates/home.html"))

// home is the landing page: where everything is.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	data := struct {
		Base, Store, Example, ExampleID string
		Resources                       int64
	}{Base: s.baseURL, Store: s.cfg.Backend()}
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
