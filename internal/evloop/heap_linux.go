//go:build linux

package evloop

// timer is an entry of the loop's deadlines: a waiting task, a connection
// waiting to be closed (Conn.CloseAfterPeer), or a parked connection's read
// deadline (Conn.Park).
type timer struct {
	when int64
	hidx int // index in the heap, -1 if not there
	task *Task
	conn *Conn
}

// timerHeap is a binary min-heap of timers by deadline; each knows its
// index, so a wait that ends early leaves in O(log n).
type timerHeap []*timer

func (h *timerHeap) push(t *timer) {
	t.hidx = len(*h)
	*h = append(*h, t)
	h.up(t.hidx)
}

func (h *timerHeap) pop() *timer {
	t := (*h)[0]
	h.remove(t)
	return t
}

func (h *timerHeap) remove(t *timer) {
	s := *h
	i := t.hidx
	last := len(s) - 1
	if i != last {
		s[i] = s[last]
		s[i].hidx = i
	}
	s[last] = nil
	*h = s[:last]
	t.hidx = -1
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].when <= h[i].when {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) bool {
	start := i
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].when < h[l].when {
			m = r
		}
		if h[i].when <= h[m].when {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx = i
	h[j].hidx = j
}
