package fhirpath

import "slices"

// Existence, filtering, subsetting, combining, aggregates and utilities.
func init() {
	register("empty", 0, 0, func(c *call) (Collection, error) { return boolResult(len(c.in) == 0) })
	register("exists", 0, 1, func(c *call) (Collection, error) {
		if !c.hasArg(0) {
			return boolResult(len(c.in) > 0)
		}
		w, err := where(c)
		if err != nil {
			return nil, err
		}
		return boolResult(len(w) > 0)
	})
	register("all", 1, 1, func(c *call) (Collection, error) {
		for i, v := range c.in {
			r, err := c.with(0, v, i)
			if err != nil {
				return nil, err
			}
			b, known, err := c.ev.truth(c.n, r, "all() criteria")
			if err != nil {
				return nil, err
			}
			if !known || !b {
				return boolResult(false)
			}
		}
		return boolResult(true)
	})
	register("allTrue", 0, 0, func(c *call) (Collection, error) { return boolAll(c, true, true) })
	register("anyTrue", 0, 0, func(c *call) (Collection, error) { return boolAll(c, false, true) })
	register("allFalse", 0, 0, func(c *call) (Collection, error) { return boolAll(c, true, false) })
	register("anyFalse", 0, 0, func(c *call) (Collection, error) { return boolAll(c, false, false) })
	register("subsetOf", 1, 1, func(c *call) (Collection, error) {
		other, err := c.arg(0)
		return boolResult(err == nil && subset(c.in, other))
	})
	register("supersetOf", 1, 1, func(c *call) (Collection, error) {
		other, err := c.arg(0)
		return boolResult(err == nil && subset(other, c.in))
	})
	register("count", 0, 0, func(c *call) (Collection, error) { return one(intValue(int64(len(c.in)))) })
	register("distinct", 0, 0, func(c *call) (Collection, error) { return distinct(c.in), nil })
	register("isDistinct", 0, 0, func(c *call) (Collection, error) { return boolResult(len(distinct(c.in)) == len(c.in)) })

	register("where", 1, 1, where)
	register("select", 1, 1, func(c *call) (Collection, error) {
		var out Collection
		for i, v := range c.in {
			r, err := c.with(0, v, i)
			if err != nil {
				return nil, err
			}
			out = append(out, r...)
		}
		return out, nil
	})
	register("repeat", 1, 1, repeat)

	register("single", 0, 0, func(c *call) (Collection, error) {
		if len(c.in) > 1 {
			return nil, c.errorf("the input has %d items", len(c.in))
		}
		return c.in, nil
	})
	register("first", 0, 0, func(c *call) (Collection, error) { return c.in[:min(1, len(c.in))], nil })
	register("last", 0, 0, func(c *call) (Collection, error) { return c.in[max(0, len(c.in)-1):], nil })
	register("tail", 0, 0, func(c *call) (Collection, error) { return c.in[min(1, len(c.in)):], nil })
	register("skip", 1, 1, func(c *call) (Collection, error) {
		n, ok, err := c.argInt(0)
		if err != nil || !ok {
			return nil, err
		}
		return c.in[min(max(n, 0), int64(len(c.in))):], nil
	})
	register("take", 1, 1, func(c *call) (Collection, error) {
		n, ok, err := c.argInt(0)
		if err != nil || !ok {
			return nil, err
		}
		return c.in[:min(max(n, 0), int64(len(c.in)))], nil
	})
	register("intersect", 1, 1, func(c *call) (Collection, error) {
		other, err := c.arg(0)
		var out Collection
		for _, v := range c.in {
			if containsValue(other, v) && !containsValue(out, v) {
				out = append(out, v)
			}
		}
		return out, err
	})
	register("exclude", 1, 1, func(c *call) (Collection, error) {
		other, err := c.arg(0)
		var out Collection
		for _, v := range c.in {
			if !containsValue(other, v) {
				out = append(out, v)
			}
		}
		return out, err
	})
	register("union", 1, 1, func(c *call) (Collection, error) {
		other, err := c.arg(0)
		return union(c.in, other), err
	})
	register("combine", 1, 1, func(c *call) (Collection, error) {
		other, err := c.arg(0)
		return append(slices.Clip(c.in), other...), err
	})

	register("iif", 2, 3, iif)
	register("not", 0, 0, func(c *call) (Collection, error) {
		b, known, err := c.ev.truth(c.n, c.in, "not()")
		if err != nil || !known {
			return nil, err
		}
		return boolResult(!b)
	})
	register("trace", 1, 2, func(c *call) (Collection, error) {
		name, _, err := c.argString(0)
		if err != nil {
			return nil, err
		}
		out := c.in
		if c.hasArg(1) {
			out = nil
			for i, v := range c.in {
				r, err := c.with(1, v, i)
				if err != nil {
					return nil, err
				}
				out = append(out, r...)
			}
		}
		if c.ev.opts.Trace != nil {
			c.ev.opts.Trace(name, out)
		}
		return c.in, nil
	})
	register("aggregate", 1, 2, aggregate)
	register("sort", 0, 9, sortFunc)
	register("now", 0, 0, func(c *call) (Collection, error) {
		return one(temporalValue(fromGoTime(KindDateTime, precMilli, c.ev.clock(), true)))
	})
	register("today", 0, 0, func(c *call) (Collection, error) {
		return one(temporalValue(fromGoTime(KindDate, precDay, c.ev.clock(), false)))
	})
	register("timeOfDay", 0, 0, func(c *call) (Collection, error) {
		t := fromGoTime(KindTime, precMilli, c.ev.clock(), false)
		t.year, t.month, t.day = 0, 0, 0
		return one(temporalValue(t))
	})
	register("children", 0, 0, func(c *call) (Collection, error) {
		var out Collection
		for _, v := range c.in {
			out = children(out, v)
		}
		return out, nil
	})
	register("descendants", 0, 0, func(c *call) (Collection, error) {
		var out Collection
		level := c.in
		for depth := 0; len(level) > 0; depth++ {
			if depth > maxDepth {
				return nil, c.errorf("the tree is too deep")
			}
			var next Collection
			for _, v := range level {
				next = children(next, v)
			}
			out = append(out, next...)
			level = next
		}
		return out, nil
	})
}

func where(c *call) (Collection, error) {
	var out Collection
	for i, v := range c.in {
		r, err := c.with(0, v, i)
		if err != nil {
			return nil, err
		}
		b, known, err := c.ev.truth(c.n, r, c.n.name+"() criteria")
		if err != nil {
			return nil, err
		}
		if known && b {
			out = append(out, v)
		}
	}
	return out, nil
}

// boolAll is allTrue (all, true), anyTrue (any, true), allFalse, anyFalse.
func boolAll(c *call, all, want bool) (Collection, error) {
	for _, v := range present(c.in) {
		if v.kind != KindBoolean {
			return nil, c.errorf("the input must be Booleans, found %s", v.TypeName())
		}
		if all && v.b != want {
			return boolResult(false)
		}
		if !all && v.b == want {
			return boolResult(true)
		}
	}
	return boolResult(all)
}

func subset(a, b Collection) bool {
	for _, v := range a {
		if !containsValue(b, v) {
			return false
		}
	}
	return true
}

// repeat applies the projection to the input, then to its results, until
// no new items appear.
func repeat(c *call) (Collection, error) {
	var out Collection
	level := c.in
	for round := 0; len(level) > 0; round++ {
		if round > maxDepth {
			return nil, c.errorf("no end after %d rounds", maxDepth)
		}
		var next Collection
		for i, v := range level {
			r, err := c.with(0, v, i)
			if err != nil {
				return nil, err
			}
			for _, w := range r {
				if !containsValue(out, w) {
					out = append(out, w)
					next = append(next, w)
				}
			}
		}
		level = next
	}
	return out, nil
}

// iif evaluates only the branch its criterion chooses. Called on a
// collection (x.iif(...)), the criterion and branches see x as $this.
func iif(c *call) (Collection, error) {
	sc := c.sc
	if c.n.left != nil {
		if len(c.in) > 1 {
			return nil, c.errorf("the input has %d items", len(c.in))
		}
		sc = &scope{focus: c.in, index: 0, hasIndex: true}
	}
	crit, err := c.ev.eval(c.n.args[0], sc)
	if err != nil {
		return nil, err
	}
	if len(crit) > 1 {
		return nil, c.ev.errorf(c.n.args[0], ErrSemantic, "iif() criterion must be a single Boolean, got %d items", len(crit))
	}
	v, ok, err := c.ev.single(c.n.args[0], crit, "iif() criterion")
	if err != nil {
		return nil, err
	}
	if ok && v.kind != KindBoolean {
		return nil, c.ev.errorf(c.n.args[0], ErrSemantic, "iif() criterion must be a Boolean, not %s", v.TypeName())
	}
	if ok && v.b {
		return c.ev.eval(c.n.args[1], sc)
	}
	if len(c.n.args) > 2 {
		return c.ev.eval(c.n.args[2], sc)
	}
	return nil, nil
}

func aggregate(c *call) (Collection, error) {
	total, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	for i, v := range c.in {
		sc := &scope{focus: Collection{v}, index: i, hasIndex: true, total: total, hasTotal: true}
		if total, err = c.ev.eval(c.n.args[0], sc); err != nil {
			return nil, err
		}
	}
	return total, nil
}

// sortFunc sorts by the natural order of the items, or by key expressions;
// a key written -expr sorts descending.
func sortFunc(c *call) (Collection, error) {
	type keyed struct {
		v    Value
		keys []Value
		has  []bool
	}
	items := make([]keyed, len(c.in))
	desc := make([]bool, len(c.n.args))
	for i, v := range c.in {
		items[i].v = v
		for k, a := range c.n.args {
			expr := a
			if a.kind == nUnary && a.name == "-" {
				expr, desc[k] = a.left, true
			}
			r, err := c.ev.eval(expr, &scope{focus: Collection{v}, index: i, hasIndex: true})
			if err != nil {
				return nil, err
			}
			kv, ok, err := c.ev.single(a, r, "sort() key")
			if err != nil {
				return nil, err
			}
			items[i].keys, items[i].has = append(items[i].keys, kv), append(items[i].has, ok)
		}
	}
	var sortErr error
	cmp := func(a, b Value) int {
		r, _, err := compareValues(a, b)
		if err != nil && sortErr == nil {
			sortErr = c.errorf("cannot order %s and %s", a.TypeName(), b.TypeName())
		}
		return r
	}
	slices.SortStableFunc(items, func(x, y keyed) int {
		if len(c.n.args) == 0 {
			return cmp(x.v, y.v)
		}
		for k := range c.n.args {
			// items without a key come first, whichever the direction
			var r int
			switch {
			case !x.has[k] && !y.has[k]:
			case !x.has[k]:
				return -1
			case !y.has[k]:
				return 1
			default:
				r = cmp(x.keys[k], y.keys[k])
			}
			if desc[k] {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make(Collection, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out, nil
}
