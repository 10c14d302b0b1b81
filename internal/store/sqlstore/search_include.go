package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// includes adds the _include and _revinclude resources of page: one query
// per include parameter and round (:iterate repeats over what the last
// round added), at most max resources in all.
func (s *Store) includes(ctx context.Context, q *search.Query, page *store.Page, max int) error {
	seen := map[string]bool{}
	for _, m := range page.Matches {
		seen[m.Type+"/"+m.ID] = true
	}
	frontier := page.Matches
	for round := 0; len(frontier) > 0 && round < 4; round++ {
		var added []store.Resource
		for _, list := range []struct {
			incs []search.Include
			rev  bool
		}{{q.Include, false}, {q.RevInclude, true}} {
			for _, inc := range list.incs {
				if round > 0 && !inc.Iterate {
					continue
				}
				got, err := s.include(ctx, inc, frontier, list.rev)
				if err != nil {
					return err
				}
				added = append(added, got...)
			}
		}
		frontier = frontier[:0:0]
		for _, r := range added {
			key := r.Type + "/" + r.ID
			if seen[key] {
				continue
			}
			if len(page.Included) >= max {
				page.IncludeCapped = true
				return nil
			}
			seen[key] = true
			page.Included = append(page.Included, r)
			frontier = append(frontier, r)
		}
	}
	return nil
}

// include runs one _include (the resources from's SourceType ones point
// at) or _revinclude (the SourceType resources that point at from).
func (s *Store) include(ctx context.Context, inc search.Include, from []store.Resource, rev bool) ([]store.Resource, error) {
	c := &compiler{s: s, ctx: ctx}
	var pidCond string
	if inc.Param != nil {
		pid, err := c.pid(inc.SourceType, inc.Param.Code, 0)
		if err != nil {
			return nil, err
		}
		if pid == 0 {
			return nil, nil
		}
		pidCond = " AND x.pid = " + c.arg(pid)
	} else {
		pidCond = " AND x.pid IN (SELECT pid FROM search_params WHERE type = " + c.arg(inc.SourceType) + ")"
	}
	var q string
	if !rev {
		var seqs []string
		for _, r := range from {
			if r.Type == inc.SourceType {
				seqs = append(seqs, c.arg(r.Seq))
			}
		}
		if len(seqs) == 0 {
			return nil, nil
		}
		q = "SELECT DISTINCT v.seq, v.type, v.id, v.version, v.last_updated, v.body FROM idx_ref x " +
			"JOIN resources r ON r.type = x.ttype AND r.id = x.tid AND NOT r.deleted " +
			"JOIN resource_versions v ON v.seq = r.seq WHERE x.seq IN (" + strings.Join(seqs, ", ") + ")" + pidCond
		if inc.TargetType != "" {
			q += " AND x.ttype = " + c.arg(inc.TargetType)
		}
	} else {
		var ors []string
		byType := map[string][]string{}
		for _, r := range from {
			if inc.TargetType == "" || inc.TargetType == r.Type {
				byType[r.Type] = append(byType[r.Type], r.ID)
			}
		}
		for t, ids := range byType {
			ph := make([]string, len(ids))
			for i, id := range ids {
				ph[i] = c.arg(id)
			}
			ors = append(ors, "(x.ttype = "+c.arg(t)+" AND x.tid IN ("+strings.Join(ph, ", ")+"))")
		}
		if len(ors) == 0 {
			return nil, nil
		}
		q = "SELECT DISTINCT v.seq, v.type, v.id, v.version, v.last_updated, v.body FROM idx_ref x " +
			"JOIN resource_versions v ON v.seq = x.seq WHERE (" + strings.Join(ors, " OR ") + ")" + pidCond +
			" AND v.type = " + c.arg(inc.SourceType)
	}
	text, args := c.bind(q + " ORDER BY v.seq")
	rows, err := s.query(ctx, s.d.q(text), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: include: %w", err)
	}
	out, _, err := scanMatches(rows, 2)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: include: %w", err)
	}
	return out, nil
}

// valueSetMatch is :in: the token is one of the codes a ValueSet in the
// store lists (compose.include concepts and expansion.contains), found by
// its canonical url. Filters and value sets that only name a code system
// need a terminology server and are refused.
func (c *compiler) valueSetMatch(url, x string) (string, error) {
	pid, err := c.pid("ValueSet", "url", 0)
	if err != nil {
		return "", err
	}
	var body []byte
	err = c.s.rdb.QueryRowContext(c.ctx, c.s.d.q(`SELECT v.body FROM idx_uri u JOIN resource_versions v ON v.seq = u.seq
		WHERE u.pid = ? AND u.uri = ? ORDER BY v.seq DESC LIMIT 1`), pid, url).Scan(&body)
	if err != nil {
		return "", &search.Error{Param: ":in", Reason: "no ValueSet with url " + url + " is stored here"}
	}
	var vs struct {
		Compose struct {
			Include []struct {
				System  string `json:"system"`
				Concept []struct {
					Code string `json:"code"`
				} `json:"concept"`
				Filter []json.RawMessage `json:"filter"`
			} `json:"include"`
		} `json:"compose"`
		Expansion struct {
			Contains []struct {
				System string `json:"system"`
				Code   string `json:"code"`
			} `json:"contains"`
		} `json:"expansion"`
	}
	if err := json.Unmarshal(body, &vs); err != nil {
		return "", fmt.Errorf("sqlstore: ValueSet %s: %w", url, err)
	}
	var ors []string
	add := func(system, code string) {
		ors = append(ors, "("+x+".system = "+c.arg(system)+" AND "+x+".code = "+c.arg(code)+")")
	}
	for _, inc := range vs.Compose.Include {
		if len(inc.Filter) > 0 || len(inc.Concept) == 0 {
			if len(vs.Expansion.Contains) == 0 {
				return "", &search.Error{Param: ":in", Reason: "ValueSet " + url + " is defined by rules, not a list: expanding it needs a terminology server"}
			}
			continue
		}
		for _, co := range inc.Concept {
			add(inc.System, co.Code)
		}
	}
	for _, co := range vs.Expansion.Contains {
		add(co.System, co.Code)
	}
	if len(ors) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}
