package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"carerecord/internal/search"
)

// A search compiles to one SQL query per page. Each condition has two
// forms:
//
//   - a filter: a boolean expression on the candidate row (alias v of
//     resource_versions), usually a correlated EXISTS on an index table by
//     the primary key (seq, pid, ...), cheap per row;
//   - a set: SELECT seq ... of the current versions that satisfy it, through
//     an index table's lookup index; one positive clause of the query
//     becomes the set the query starts from (v.seq IN (set)), so that a
//     search reads only its candidates, not every resource of its type.
//
// Index rows exist only for current, not-deleted versions, so a seq found
// in an index table is always a current version.

// compiler builds one query's SQL and arguments.
type compiler struct {
	s     *Store
	ctx   context.Context
	reg   *search.Registry
	now   time.Time
	args  []any
	alias int
}

// row names the columns of a candidate resource in the SQL being built.
type row struct {
	seq, typ, id, lu string
}

func aliasRow(a string) row {
	return row{a + ".seq", a + ".type", a + ".id", a + ".last_updated"}
}

func (c *compiler) next(prefix string) string {
	c.alias++
	return prefix + strconv.Itoa(c.alias)
}

// arg adds an argument and returns its placeholder. Fragments are built in
// whatever order is convenient, so a placeholder is a numbered marker
// until bind puts the arguments in the order the markers appear.
func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "\x01" + strconv.Itoa(len(c.args)-1) + "\x02"
}

// bind turns the markers of query into ? placeholders and returns the
// arguments in their order.
func (c *compiler) bind(query string) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(c.args))
	for {
		i := strings.IndexByte(query, '\x01')
		if i < 0 {
			b.WriteString(query)
			return b.String(), args
		}
		j := strings.IndexByte(query[i:], '\x02') + i
		n, _ := strconv.Atoi(query[i+1 : j])
		b.WriteString(query[:i])
		b.WriteByte('?')
		args = append(args, c.args[n])
		query = query[j+1:]
	}
}

func (c *compiler) pid(typ, code string, comp int) (int64, error) {
	return c.s.readPid(c.ctx, pidKey{typ, code, comp})
}

// tableOf is the index table of a parameter type.
func tableOf(t search.Type) (int, bool) {
	switch t {
	case search.TypeString:
		return tString, true
	case search.TypeToken:
		return tToken, true
	case search.TypeDate:
		return tDate, true
	case search.TypeReference:
		return tRef, true
	case search.TypeQuantity:
		return tQuantity, true
	case search.TypeNumber:
		return tNumber, true
	case search.TypeURI:
		return tURI, true
	}
	return 0, false
}

// isColumn reports the parameters every store answers from its own
// columns instead of index rows.
func isColumn(p *search.Param) bool {
	return p != nil && (p.Code == "_id" || p.Code == "_lastUpdated")
}

// filter compiles cond, for a resource of type typ at r, to a boolean SQL
// expression.
func (c *compiler) filter(cond *search.Condition, typ string, r row) (string, error) {
	switch {
	case cond.Has != nil:
		return c.hasFilter(cond.Has, typ, r)
	case cond.Chain != nil:
		return c.chainFilter(cond, typ, r)
	}
	p := cond.Param
	switch {
	case p.Code == "_id":
		return c.idFilter(cond, r)
	case p.Code == "_lastUpdated":
		return c.lastUpdatedFilter(cond, r)
	case p.Code == "_text" || p.Code == "_content":
		return c.textFilter(cond, r)
	case p.Code == "_list":
		set, err := c.listSet(cond, typ)
		return r.seq + " IN (" + set + ")", err
	case p.Type == search.TypeComposite:
		return c.compositeFilter(cond, typ, r)
	}
	tb, ok := tableOf(p.Type)
	if !ok {
		return "", &search.Error{Param: p.Code, Reason: "parameters of type " + string(p.Type) + " cannot be searched here"}
	}
	pid, err := c.pid(typ, p.Code, 0)
	if err != nil {
		return "", err
	}
	x := c.next("x")
	exists := func(frag string) string {
		return "EXISTS (SELECT 1 FROM " + idxTables[tb].name + " " + x + " WHERE " + x + ".seq = " + r.seq +
			" AND " + x + ".pid = " + c.arg(pid) + frag + ")"
	}
	switch cond.Modifier {
	case search.ModMissing:
		if cond.Missing {
			return "NOT " + exists(""), nil
		}
		return exists(""), nil
	case search.ModNot, search.ModNotIn:
		frag, err := c.match(cond, tb, c.s.d.Unindexed+x)
		if err != nil {
			return "", err
		}
		return "NOT " + exists(" AND "+frag), nil
	}
	frag, err := c.match(cond, tb, c.s.d.Unindexed+x)
	if err != nil {
		return "", err
	}
	return exists(" AND " + frag), nil
}

// drivable reports whether set can compile cond.
func drivable(cond *search.Condition) bool {
	switch {
	case cond.Has != nil:
		return drivable(&cond.Has.Cond)
	case cond.Chain != nil:
		for i := range cond.Chain.Targets {
			if !drivable(&cond.Chain.Targets[i].Cond) {
				return false
			}
		}
		return true
	}
	p := cond.Param
	switch {
	case p == nil:
		return false
	case p.Code == "_id":
		return cond.Modifier == search.ModNone
	case p.Code == "_list":
		return true
	case p.Code == "_lastUpdated" || p.Code == "_text" || p.Code == "_content":
		return false
	case p.Type == search.TypeComposite:
		return false
	}
	if _, ok := tableOf(p.Type); !ok {
		return false
	}
	switch cond.Modifier {
	case search.ModMissing, search.ModNot, search.ModNotIn, search.ModContains, search.ModText:
		return false
	}
	switch cond.Prefix {
	case search.PrefixNe:
		return false
	}
	return true
}

// set compiles a drivable cond for resources of typ to a SELECT of seqs.
func (c *compiler) set(cond *search.Condition, typ string) (string, error) {
	switch {
	case cond.Has != nil:
		return c.hasSet(cond.Has, typ)
	case cond.Chain != nil:
		return c.chainSet(cond, typ)
	}
	p := cond.Param
	switch p.Code {
	case "_id":
		return "SELECT seq FROM resources WHERE type = " + c.arg(typ) + " AND id = " + c.arg(cond.Value.Code) +
			" AND NOT deleted", nil
	case "_list":
		return c.listSet(cond, typ)
	}
	tb, _ := tableOf(p.Type)
	pid, err := c.pid(typ, p.Code, 0)
	if err != nil {
		return "", err
	}
	x := c.next("x")
	frag, err := c.match(cond, tb, x)
	if err != nil {
		return "", err
	}
	return "SELECT " + x + ".seq FROM " + idxTables[tb].name + " " + x + " WHERE " + x + ".pid = " + c.arg(pid) +
		" AND " + frag, nil
}

// clauseSet compiles an OR-list whose conditions are all drivable.
func (c *compiler) clauseSet(cl search.Clause, typ string) (string, error) {
	if ids := idList(cl); ids != nil {
		return "SELECT seq FROM resources WHERE type = " + c.arg(typ) + " AND id IN (" + c.argList(ids) + ") AND NOT deleted", nil
	}
	parts := make([]string, 0, len(cl))
	for i := range cl {
		s, err := c.set(&cl[i], typ)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " UNION "), nil
}

// clauseFilter compiles an OR-list to a boolean expression.
func (c *compiler) clauseFilter(cl search.Clause, typ string, r row) (string, error) {
	if ids := idList(cl); ids != nil {
		return r.id + " IN (" + c.argList(ids) + ")", nil
	}
	parts := make([]string, 0, len(cl))
	for i := range cl {
		f, err := c.filter(&cl[i], typ, r)
		if err != nil {
			return "", err
		}
		parts = append(parts, f)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}

// match compiles the comparison of cond's value with a row of table tb
// (alias x), without the pid.
func (c *compiler) match(cond *search.Condition, tb int, x string) (string, error) {
	v := &cond.Value
	col := func(name string) string { return x + "." + name }
	switch tb {
	case tString:
		switch cond.Modifier {
		case search.ModExact:
			return col("value") + " = " + c.arg(v.Raw), nil
		case search.ModContains:
			return col("norm") + " LIKE " + c.arg("%"+likeEscape(v.Str)+"%") + ` ESCAPE '\'`, nil
		}
		return c.prefix(col("norm"), v.Str), nil
	case tToken:
		return c.tokenMatch(cond, x)
	case tDate:
		return c.rangeMatch(cond.Prefix, col("lo"), col("hi"), v.Date.Low, v.Date.High, true), nil
	case tNumber:
		return c.numberMatch(cond.Prefix, col("lo"), col("hi"), v.Number), nil
	case tQuantity:
		return c.quantityMatch(cond, x), nil
	case tRef:
		return c.refMatch(cond, x)
	case tURI:
		switch cond.Modifier {
		case search.ModBelow:
			return c.prefix(col("uri"), v.Str), nil
		case search.ModAbove:
			return c.arg(v.Str) + " LIKE (" + col("uri") + ` || '%')`, nil
		}
		return col("uri") + " = " + c.arg(v.Str), nil
	}
	return "", fmt.Errorf("sqlstore: no match for table %d", tb)
}

// prefix matches a text column that starts with p, as a range, so that the
// lookup index serves it (byte order: COLLATE "C" on PostgreSQL).
func (c *compiler) prefix(column, p string) string {
	if p == "" {
		return column + " >= ''"
	}
	return column + " >= " + c.arg(p) + " AND " + column + " < " + c.arg(p+"\U0010FFFF")
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func (c *compiler) tokenMatch(cond *search.Condition, x string) (string, error) {
	v := &cond.Value
	col := func(name string) string { return x + "." + name }
	switch cond.Modifier {
	case search.ModText:
		return "(" + col("text") + " LIKE " + c.arg(likeEscape(v.Str)+"%") + ` ESCAPE '\' OR ` +
			col("text") + " LIKE " + c.arg("% "+likeEscape(v.Str)+"%") + ` ESCAPE '\')`, nil
	case search.ModOfType:
		return col("type_system") + " = " + c.arg(v.TypeSystem) + " AND " + col("type_code") + " = " + c.arg(v.TypeCode) +
			" AND " + col("code") + " = " + c.arg(v.Code), nil
	case search.ModIn, search.ModNotIn:
		return c.valueSetMatch(v.Raw, x)
	case search.ModBelow, search.ModAbove:
		return "", &search.Error{Param: cond.Param.Code + ":" + string(cond.Modifier),
			Reason: "subsumption needs a terminology server, which this server does not have"}
	}
	var parts []string
	if v.Code != "" {
		parts = append(parts, col("code")+" = "+c.arg(v.Code))
	}
	if v.HasSystem {
		parts = append(parts, col("system")+" = "+c.arg(v.System))
	}
	if len(parts) == 0 {
		return col("code") + " <> ''", nil
	}
	return strings.Join(parts, " AND "), nil
}

// rangeMatch is search.MatchDate / MatchNumber in SQL: the stored range
// [lo, hi] against the search range [sLo, sHi] under prefix p.
func (c *compiler) rangeMatch(p search.Prefix, lo, hi string, sLo, sHi any, dates bool) string {
	eq := func() string { return "(" + lo + " >= " + c.arg(sLo) + " AND " + hi + " <= " + c.arg(sHi) + ")" }
	switch p {
	case search.PrefixNe:
		return "NOT " + eq()
	case search.PrefixGt:
		return hi + " > " + c.arg(sHi)
	case search.PrefixLt:
		return lo + " < " + c.arg(sLo)
	case search.PrefixGe:
		return "(" + hi + " > " + c.arg(sHi) + " OR " + eq() + ")"
	case search.PrefixLe:
		return "(" + lo + " < " + c.arg(sLo) + " OR " + eq() + ")"
	case search.PrefixSa:
		return lo + " > " + c.arg(sHi)
	case search.PrefixEb:
		return hi + " < " + c.arg(sLo)
	case search.PrefixAp:
		if dates {
			l, h := sLo.(int64), sHi.(int64)
			mid := l/2 + h/2
			d := c.now.UnixMilli() - mid
			if d < 0 {
				d = -d
			}
			d /= 10
			return "(" + lo + " <= " + c.arg(satAdd(h, d)) + " AND " + hi + " >= " + c.arg(satSub(l, d)) + ")"
		}
	}
	return eq()
}

func satAdd(a, b int64) int64 {
	if a > search.OpenHigh-b {
		return search.OpenHigh
	}
	return a + b
}

func satSub(a, b int64) int64 {
	if a < search.OpenLow+b {
		return search.OpenLow
	}
	return a - b
}

func (c *compiler) numberMatch(p search.Prefix, lo, hi string, n search.Number) string {
	if p == search.PrefixAp {
		d := n.Value / 10
		if d < 0 {
			d = -d
		}
		return "(" + lo + " <= " + c.arg(finite(n.High+d)) + " AND " + hi + " >= " + c.arg(finite(n.Low-d)) + ")"
	}
	return c.rangeMatch(p, lo, hi, finite(n.Low), finite(n.High), false)
}

func (c *compiler) quantityMatch(cond *search.Condition, x string) string {
	v := &cond.Value
	col := func(name string) string { return x + "." + name }
	raw := c.numberMatch(cond.Prefix, col("lo"), col("hi"), v.Number)
	switch {
	case v.System != "":
		raw = col("system") + " = " + c.arg(v.System) + " AND " + col("code") + " = " + c.arg(v.Code) + " AND " + raw
	case v.Code != "":
		raw = "(" + col("code") + " = " + c.arg(v.Code) + " OR " + col("unit") + " = " + c.arg(v.Code) + ") AND " + raw
	}
	if v.CanonicalCode == "" {
		return raw
	}
	canon := col("ccode") + " = " + c.arg(v.CanonicalCode) + " AND " +
		c.numberMatch(cond.Prefix, col("clo"), col("chi"), v.Canonical)
	return "((" + canon + ") OR (" + col("ccode") + " = '' AND " + raw + "))"
}

func (c *compiler) refMatch(cond *search.Condition, x string) (string, error) {
	v := &cond.Value
	col := func(name string) string { return x + "." + name }
	switch {
	case cond.Modifier == search.ModIdentifier:
		s := col("id_value") + " = " + c.arg(v.Code)
		if v.HasSystem || v.System != "" {
			s += " AND " + col("id_system") + " = " + c.arg(v.System)
		}
		return s, nil
	case cond.Modifier == search.ModText:
		return "", &search.Error{Param: cond.Param.Code + ":text", Reason: "references are not indexed by their display text"}
	case cond.Modifier == search.ModBelow || cond.Modifier == search.ModAbove:
		return "", &search.Error{Param: cond.Param.Code + ":" + string(cond.Modifier), Reason: "not supported on references"}
	case v.TargetID != "":
		s := col("tid") + " = " + c.arg(v.TargetID)
		if v.TargetType != "" {
			s += " AND " + col("ttype") + " = " + c.arg(v.TargetType)
		}
		return s, nil
	case v.URL != "":
		s := col("url") + " = " + c.arg(v.URL)
		if v.Version != "" {
			s += " AND " + col("version") + " = " + c.arg(v.Version)
		}
		return s, nil
	}
	return "", &search.Error{Param: cond.Param.Code, Reason: "empty reference"}
}

func (c *compiler) idFilter(cond *search.Condition, r row) (string, error) {
	f := r.id + " = " + c.arg(cond.Value.Code)
	if cond.Modifier == search.ModNot {
		return "NOT (" + f + ")", nil
	}
	if cond.Modifier == search.ModMissing {
		if cond.Missing {
			return "1 = 0", nil
		}
		return "1 = 1", nil
	}
	return f, nil
}

func (c *compiler) lastUpdatedFilter(cond *search.Condition, r row) (string, error) {
	if cond.Modifier == search.ModMissing {
		if cond.Missing {
			return "1 = 0", nil
		}
		return "1 = 1", nil
	}
	d := cond.Value.Date
	tv := func(ms int64) any {
		switch {
		case ms <= search.OpenLow:
			ms = -62135596800000 // 0001-01-01
		case ms >= search.OpenHigh:
			ms = 253402300799999 // 9999-12-31
		}
		return c.s.d.TimeValue(time.UnixMilli(ms).UTC())
	}
	if cond.Prefix == search.PrefixAp {
		mid := d.Low/2 + d.High/2
		w := c.now.UnixMilli() - mid
		if w < 0 {
			w = -w
		}
		w /= 10
		return "(" + r.lu + " <= " + c.arg(tv(satAdd(d.High, w))) + " AND " + r.lu + " >= " + c.arg(tv(satSub(d.Low, w))) + ")", nil
	}
	return c.rangeMatch(cond.Prefix, r.lu, r.lu, tv(d.Low), tv(d.High), false), nil
}

// textFilter answers _content (the whole resource) and _text (its
// narrative) by a scan of the candidates' bodies: meant beside other
// criteria, not alone on a large store.
func (c *compiler) textFilter(cond *search.Condition, r row) (string, error) {
	expr := c.s.d.BodyText
	if cond.Param.Code == "_text" {
		expr = c.s.d.NarrativeText
	}
	if expr == "" {
		return "", &search.Error{Param: cond.Param.Code, Reason: "not supported by this store"}
	}
	expr = strings.ReplaceAll(expr, "$body", "(SELECT body FROM resource_versions WHERE seq = "+r.seq+")")
	return "lower(" + expr + ") LIKE " + c.arg("%"+likeEscape(strings.ToLower(cond.Value.Raw))+"%") + ` ESCAPE '\'`, nil
}

// listSet is the resources of typ a List's entries refer to.
func (c *compiler) listSet(cond *search.Condition, typ string) (string, error) {
	pid, err := c.pid("List", "item", 0)
	if err != nil {
		return "", err
	}
	x, l, t := c.next("x"), c.next("l"), c.next("t")
	return "SELECT " + t + ".seq FROM resources " + l + " JOIN idx_ref " + x + " ON " + x + ".seq = " + l + ".seq AND " +
		x + ".pid = " + c.arg(pid) + " JOIN resources " + t + " ON " + t + ".type = " + x + ".ttype AND " + t + ".id = " +
		x + ".tid AND NOT " + t + ".deleted WHERE " + l + ".type = 'List' AND " + l + ".id = " + c.arg(cond.Value.Raw) +
		" AND NOT " + l + ".deleted AND " + x + ".ttype = " + c.arg(typ), nil
}

// compositeFilter matches a composite value: one row per component, of
// the same group.
func (c *compiler) compositeFilter(cond *search.Condition, typ string, r row) (string, error) {
	p := cond.Param
	if cond.Modifier == search.ModMissing {
		sub, err := c.componentParam(p, 0)
		if err != nil {
			return "", err
		}
		tb, _ := tableOf(sub.Type)
		pid, err := c.pid(typ, p.Code, 1)
		if err != nil {
			return "", err
		}
		x := c.next("x")
		e := "EXISTS (SELECT 1 FROM " + idxTables[tb].name + " " + x + " WHERE " + x + ".seq = " + r.seq + " AND " + x + ".pid = " + c.arg(pid) + ")"
		if cond.Missing {
			return "NOT " + e, nil
		}
		return e, nil
	}
	if len(cond.Value.Components) != len(p.Components) {
		return "", &search.Error{Param: p.Code, Reason: fmt.Sprintf("a value needs %d components", len(p.Components))}
	}
	var from, where []string
	first := ""
	for i := range p.Components {
		sub, err := c.componentParam(p, i)
		if err != nil {
			return "", err
		}
		tb, ok := tableOf(sub.Type)
		if !ok {
			return "", &search.Error{Param: p.Code, Reason: "component of type " + string(sub.Type) + " cannot be searched"}
		}
		pid, err := c.pid(typ, p.Code, i+1)
		if err != nil {
			return "", err
		}
		x := c.next("x")
		sc := search.Condition{Param: sub, Prefix: cond.Prefix, Value: cond.Value.Components[i]}
		frag, err := c.match(&sc, tb, c.s.d.Unindexed+x)
		if err != nil {
			return "", err
		}
		from = append(from, idxTables[tb].name+" "+x)
		where = append(where, x+".pid = "+c.arg(pid), frag)
		if first == "" {
			first = x
			where = append(where, x+".seq = "+r.seq)
		} else {
			where = append(where, x+".seq = "+first+".seq", x+".grp = "+first+".grp")
		}
	}
	return "EXISTS (SELECT 1 FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(where, " AND ") + ")", nil
}

func (c *compiler) componentParam(p *search.Param, i int) (*search.Param, error) {
	sub := c.reg.ByURL(p.Components[i].Definition)
	if sub == nil {
		return nil, &search.Error{Param: p.Code, Reason: "unknown component " + p.Components[i].Definition}
	}
	return sub, nil
}

// chainFilter: the reference points at a current resource that satisfies
// the chain's condition.
func (c *compiler) chainFilter(cond *search.Condition, typ string, r row) (string, error) {
	pid, err := c.pid(typ, cond.Param.Code, 0)
	if err != nil {
		return "", err
	}
	var ors []string
	for i := range cond.Chain.Targets {
		t := &cond.Chain.Targets[i]
		x, t2, v2 := c.next("x"), c.next("r"), c.next("v")
		head := "EXISTS (SELECT 1 FROM idx_ref " + x + " JOIN resources " + t2 + " ON " + t2 + ".type = " + x + ".ttype AND " +
			t2 + ".id = " + x + ".tid AND NOT " + t2 + ".deleted JOIN resource_versions " + v2 + " ON " + v2 + ".seq = " + t2 +
			".seq WHERE " + x + ".seq = " + r.seq + " AND " + x + ".pid = " + c.arg(pid) + " AND " + x + ".ttype = " + c.arg(t.Type)
		f, err := c.filter(&t.Cond, t.Type, aliasRow(v2))
		if err != nil {
			return "", err
		}
		ors = append(ors, head+" AND "+f+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

func (c *compiler) chainSet(cond *search.Condition, typ string) (string, error) {
	pid, err := c.pid(typ, cond.Param.Code, 0)
	if err != nil {
		return "", err
	}
	var parts []string
	for i := range cond.Chain.Targets {
		t := &cond.Chain.Targets[i]
		inner, err := c.set(&t.Cond, t.Type)
		if err != nil {
			return "", err
		}
		x, v2 := c.next("x"), c.next("v")
		// CROSS JOIN keeps SQLite starting from the target's few matches
		// rather than from every reference of the parameter.
		parts = append(parts, "SELECT "+x+".seq FROM resource_versions "+v2+" CROSS JOIN idx_ref "+x+" WHERE "+v2+".seq IN ("+inner+
			") AND "+x+".pid = "+c.arg(pid)+" AND "+x+".tid = "+v2+".id AND "+x+".ttype = "+v2+".type")
	}
	return strings.Join(parts, " UNION "), nil
}

// hasFilter: some current resource of h.Type that satisfies h.Cond refers
// to the candidate through h.Param.
func (c *compiler) hasFilter(h *search.Has, typ string, r row) (string, error) {
	pid, err := c.pid(h.Type, h.Param.Code, 0)
	if err != nil {
		return "", err
	}
	x, v2 := c.next("x"), c.next("v")
	head := "EXISTS (SELECT 1 FROM idx_ref " + x + " JOIN resource_versions " + v2 + " ON " + v2 + ".seq = " + x + ".seq WHERE " +
		x + ".pid = " + c.arg(pid) + " AND " + x + ".ttype = " + r.typ + " AND " + x + ".tid = " + r.id
	f, err := c.filter(&h.Cond, h.Type, aliasRow(v2))
	if err != nil {
		return "", err
	}
	return head + " AND " + f + ")", nil
}

func (c *compiler) hasSet(h *search.Has, typ string) (string, error) {
	pid, err := c.pid(h.Type, h.Param.Code, 0)
	if err != nil {
		return "", err
	}
	inner, err := c.set(&h.Cond, h.Type)
	if err != nil {
		return "", err
	}
	x, t := c.next("x"), c.next("r")
	return "SELECT " + t + ".seq FROM idx_ref " + x + " JOIN resources " + t + " ON " + t + ".type = " + x + ".ttype AND " +
		t + ".id = " + x + ".tid AND NOT " + t + ".deleted WHERE " + x + ".pid = " + c.arg(pid) + " AND " + x + ".ttype = " +
		c.arg(typ) + " AND " + x + ".seq IN (" + inner + ")", nil
}

// idList returns the ids of an OR-list of plain _id conditions (_id=a,b,c),
// which compiles to one IN list instead of a union per id; nil otherwise.
func idList(cl search.Clause) []string {
	if len(cl) < 2 {
		return nil
	}
	ids := make([]string, 0, len(cl))
	for i := range cl {
		cond := &cl[i]
		if cond.Param == nil || cond.Param.Code != "_id" || cond.Modifier != search.ModNone || cond.Chain != nil || cond.Has != nil {
			return nil
		}
		ids = append(ids, cond.Value.Code)
	}
	return ids
}

func (c *compiler) argList(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = c.arg(v)
	}
	return strings.Join(ph, ", ")
}
