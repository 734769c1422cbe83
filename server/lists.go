package server

import (
	"strconv"

	"github.com/msnbench/msnbench/msnp"
)

// appendLists appends the full SYN answer in the form of the session's
// dialect (MSNP.md §4.1): SYN, GTC, BLP, then PRP (MSNP5+), LSG (MSNP7), and
// the FL (with BPR after each entry from MSNP5, groups on MSNP7), AL, BL and
// RL lines, every one with the request's TrID except BPR. It is built per
// request with append rather than stored per account, so a directory of a
// million accounts costs no list memory; the cost is a few hundred bytes of
// appends per contact.
func (c *conn) appendLists(dst []byte, trid uint32) []byte {
	d, v := c.dialect, uint64(c.listVer)
	dir := c.s.dir
	// head appends "CMD t v" (and the list name for LST).
	head := func(dst []byte, cmd, list string) []byte {
		dst = msnp.AppendCmd(dst, cmd, trid)
		if list != "" {
			dst = msnp.AppendArg(dst, list)
		}
		return msnp.AppendArgUint(dst, v)
	}
	dst = msnp.AppendEnd(head(dst, "SYN", ""))
	dst = msnp.AppendEnd(append(head(dst, "GTC", ""), ' ', c.gtc))
	dst = msnp.AppendEnd(msnp.AppendArg(head(dst, "BLP", ""), c.blp))
	if d >= 5 {
		// All five phone properties, empty ones without a value.
		for _, prp := range [...]string{"PHH", "PHW", "PHM", "MOB N", "MBE N"} {
			dst = msnp.AppendEnd(msnp.AppendArg(head(dst, "PRP", ""), prp))
		}
	}
	if d >= 7 {
		dst = msnp.AppendEnd(append(head(dst, "LSG", ""), " 1 1 0 Other%20Contacts 0"...))
	}
	n := len(dir.offsets)
	for _, list := range [...]string{"FL", "AL", "BL", "RL"} {
		if n == 0 || list == "BL" {
			dst = msnp.AppendEnd(append(head(dst, "LST", list), " 0 0"...))
			continue
		}
		for k := 0; k < n; k++ {
			var who int32
			if list == "RL" {
				who = dir.watcher(c.acct, k)
			} else {
				who = dir.contact(c.acct, k)
			}
			a := &dir.accounts[who]
			dst = msnp.AppendArgUint(msnp.AppendArgUint(head(dst, "LST", list), uint64(k+1)), uint64(n))
			dst = msnp.AppendArg(msnp.AppendArg(dst, a.email), a.friendly)
			if list == "FL" && d >= 7 {
				dst = append(dst, " 0"...) // group 0
			}
			dst = msnp.AppendEnd(dst)
			if list == "FL" && d >= 5 {
				for _, bpr := range [...]string{"PHH", "PHW", "PHM", "MOB N"} {
					dst = strconv.AppendUint(append(dst, "BPR "...), v, 10)
					dst = msnp.AppendEnd(msnp.AppendArg(msnp.AppendArg(dst, a.email), bpr))
				}
			}
		}
	}
	return dst
}

// appendILN appends one "ILN t <status> <handle> <friendly>" per forward-list
// contact that is online and visible, the answer to the first CHG
// (MSNP.md §4.3).
func (c *conn) appendILN(dst []byte, trid uint32) []byte {
	s := c.s
	for k := range s.dir.offsets {
		j := s.dir.contact(c.acct, k)
		other := s.online[j].Load()
		if other == nil {
			continue
		}
		if st := other.status.Load(); visible(st) {
			a := &s.dir.accounts[j]
			dst = msnp.AppendILN(dst, trid, statuses[st], a.email, a.friendly)
		}
	}
	return dst
}

// notifyWatchers pushes line (an NLN or FLN about account from) to every
// logged-in session that has from on its forward list and is itself online
// (has sent CHG), which is when the official server started presence.
func (s *Server) notifyWatchers(from int32, line []byte) {
	for k := range s.dir.offsets {
		w := s.online[s.dir.watcher(from, k)].Load()
		if w != nil && w.status.Load() != 0 {
			w.push(line)
		}
	}
}

// Profile message pieces (MSNP.md §3.3). The minimal form is the yellows
// MSNP2 one, 95 bytes with a ten-digit LoginTime.
const (
	profileHead = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: "
	profileTail = "\r\n\r\n"
)

// appendProfile appends "MSG Hotmail Hotmail <len>" and the profile sent
// right after USR OK: the minimal MSNP2 form, or with Config.FullProfile the
// twenty-header MSNP3–7 form.
func (c *conn) appendProfile(dst []byte) []byte {
	var ts [20]byte
	login := strconv.AppendInt(ts[:0], c.s.cfg.Now().Unix(), 10)
	if !c.s.cfg.FullProfile || c.dialect < 3 {
		dst = append(dst, "MSG Hotmail Hotmail "...)
		dst = strconv.AppendInt(dst, int64(len(profileHead)+len(login)+len(profileTail)), 10)
		dst = msnp.AppendEnd(dst)
		dst = append(append(append(dst, profileHead...), login...), profileTail...)
		return dst
	}
	a := &c.s.dir.accounts[c.acct]
	var auth [32]byte
	msnp.QRYHash(&auth, c.chal, []byte(a.email)) // an opaque per-login token
	p := append(c.scratch[:0], profileHead...)
	p = append(p, login...)
	p = append(p, "\r\nEmailEnabled: 1\r\nMemberIdHigh: 0\r\nMemberIdLow: "...)
	p = strconv.AppendInt(p, int64(c.acct)+1, 10)
	p = append(p, "\r\nlang_preference: 1033\r\npreferredEmail: "...)
	p = append(p, a.email...)
	p = append(p, "\r\ncountry: US\r\nPostalCode: \r\nGender: \r\nKid: 0\r\nAge: \r\nBDayPre: \r\nBirthday: \r\n"+
		"Wallet: \r\nFlags: 1027\r\nsid: 507\r\nkv: 2\r\nMSPAuth: "...)
	p = append(p, auth[:]...)
	p = append(p, "$$\r\n\r\n"...)
	c.scratch = p
	return msnp.AppendMSG(dst, "Hotmail", "Hotmail", p)
}
