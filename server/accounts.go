package server

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// account is one user the server knows. Contacts are not stored per account:
// every account has the same contact offsets (see directory), which keeps a
// directory of a million accounts small.
type account struct {
	email    string
	password []byte
	friendly string // URL-encoded friendly name
}

// directory holds the accounts and their contact lists. Account i's forward
// and allow lists hold (i+off) mod n for each offset; its reverse list (who
// has i on their forward list, i.e. who watches i's presence) holds
// (i-off) mod n. With offsets +1, -1, +2, -2, ... both are the neighbours of i.
type directory struct {
	accounts []account
	byEmail  map[string]int32
	offsets  []int32
}

func (d *directory) n() int { return len(d.accounts) }

// lookup finds an account by handle; the map index with string(b) does not
// allocate.
func (d *directory) lookup(handle []byte) (int32, bool) {
	i, ok := d.byEmail[string(handle)]
	return i, ok
}

// contact returns account i's k-th forward-list contact.
func (d *directory) contact(i int32, k int) int32 {
	return int32((int(i) + int(d.offsets[k])) % d.n())
}

// watcher returns account i's k-th reverse-list entry.
func (d *directory) watcher(i int32, k int) int32 {
	return int32((int(i) - int(d.offsets[k]) + d.n()) % d.n())
}

// newDirectory builds the accounts from cfg (generated or from a file).
func newDirectory(cfg *Config) (*directory, error) {
	d := &directory{}
	if cfg.UsersFile != "" {
		if err := d.load(cfg.UsersFile); err != nil {
			return nil, err
		}
	} else {
		d.accounts = make([]account, cfg.Accounts)
		d.byEmail = make(map[string]int32, cfg.Accounts)
		pw := []byte(cfg.Password) // shared: nobody writes it
		for i := range d.accounts {
			email := strings.Replace(cfg.UserPattern, "%d", strconv.Itoa(i), 1)
			d.accounts[i] = account{email: email, password: pw, friendly: urlEncode(email)}
			d.byEmail[email] = int32(i)
		}
	}
	d.offsets = contactOffsets(cfg.Contacts, d.n())
	return d, nil
}

// contactOffsets returns up to k distinct non-zero residues mod n, in the
// order +1, -1, +2, -2, ...
func contactOffsets(k, n int) []int32 {
	if k > n-1 {
		k = n - 1
	}
	if k <= 0 {
		return nil
	}
	out := make([]int32, 0, k)
	seen := make(map[int]bool, k)
	for m := 1; len(out) < k; m++ {
		for _, off := range [2]int{m % n, (n - m%n) % n} {
			if off != 0 && !seen[off] && len(out) < k {
				seen[off] = true
				out = append(out, int32(off))
			}
		}
	}
	return out
}

// maxHandle is the longest user handle MSNP allows (MSNP.md §1.2).
const maxHandle = 129

func (d *directory) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("server: users file: %w", err)
	}
	defer f.Close()
	d.byEmail = make(map[string]int32)
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.SplitN(line, ",", 3)
		if len(fields) < 2 {
			return fmt.Errorf("server: users file %s line %d: want email,password[,friendly name]", path, ln)
		}
		email := strings.TrimSpace(fields[0])
		if err := checkHandle(email); err != nil {
			return fmt.Errorf("server: users file %s line %d: %w", path, ln, err)
		}
		if _, dup := d.byEmail[email]; dup {
			return fmt.Errorf("server: users file %s line %d: duplicate account %s", path, ln, email)
		}
		friendly := email
		if len(fields) == 3 && strings.TrimSpace(fields[2]) != "" {
			friendly = strings.TrimSpace(fields[2])
		}
		d.byEmail[email] = int32(len(d.accounts))
		d.accounts = append(d.accounts, account{email: email, password: []byte(fields[1]), friendly: urlEncode(friendly)})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("server: users file %s: %w", path, err)
	}
	if len(d.accounts) == 0 {
		return fmt.Errorf("server: users file %s holds no accounts", path)
	}
	return nil
}

func checkHandle(email string) error {
	switch {
	case email == "":
		return errors.New("empty email")
	case len(email) > maxHandle:
		return errors.New("email longer than 129 bytes")
	case strings.IndexByte(email, '@') < 1:
		return errors.New("email " + strconv.Quote(email) + " has no domain")
	case strings.ContainsAny(email, " \t\r\n%"):
		return errors.New("email " + strconv.Quote(email) + " contains whitespace or %")
	}
	return nil
}

// urlEncode encodes every octet outside [A-Za-z0-9._~-] as %XX, the way
// friendly names travel (MSNP.md §1.6).
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			c == '~' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
