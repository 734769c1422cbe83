package report_test

import (
	"math/rand/v2"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/report"
)

// TestEncodePackedMatchesLibrary checks the reusing encoder against
// hdrhistogram-go's own Encode, byte for byte, over varied histograms.
func TestEncodePackedMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := [][]int64{
		nil,              // empty
		{1},              // lowest value
		{report.HistMax}, // highest value
		{1, 2, 3, 2047, 2048, 2049, 4095, 4096},
		{1 << 40 >> 12, 5, 5, 5},
	}
	for i := 0; i < 50; i++ {
		var vs []int64
		n := rng.IntN(5000)
		scale := []float64{10, 1e3, 1e5, 1e8}[i%4]
		for j := 0; j < n; j++ {
			v := int64(rng.ExpFloat64()*scale) + 1
			vs = append(vs, min(v, report.HistMax))
		}
		cases = append(cases, vs)
	}
	for i, vs := range cases {
		d, p := report.NewHist(), report.NewPackedHist()
		for _, v := range vs {
			if err := d.RecordValue(v); err != nil {
				t.Fatal(err)
			}
			if err := p.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		// A large count exercises long varints.
		if i == 3 {
			_ = d.RecordValues(7, 1<<50)
			_ = p.RecordValues(7, 1<<50)
		}
		want, err := report.EncodeHist(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := report.EncodePacked(p)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("case %d (%d values): encodings differ\n got %s\nwant %s", i, len(vs), got, want)
		}
		back, err := report.DecodeHist(got)
		if err != nil || !back.Equals(d) {
			t.Fatalf("case %d: decode: %v", i, err)
		}
	}
}

func TestDecodeHistRefusesOtherGeometry(t *testing.T) {
	h := report.NewPackedHist()
	_ = h.RecordValue(5)
	good, _ := report.EncodePacked(h)
	if _, err := report.DecodeHist(good); err != nil {
		t.Fatal(err)
	}
	other := report.NewHist()
	_ = other.RecordValue(5)
	enc, _ := report.EncodeHist(other)
	if _, err := report.DecodeHist(enc); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "!!!", "HISTFAAAAB", good[:len(good)-8]} {
		if _, err := report.DecodeHist(bad); err == nil {
			t.Errorf("DecodeHist(%q) succeeded", bad)
		}
	}
	// 1 ns .. 1 h: another geometry.
	if _, err := report.DecodePacked(encodeGeometry(t, 1, 3_600_000_000_000, 2)); err == nil {
		t.Error("other geometry accepted")
	}
}

func BenchmarkEncode(b *testing.B) {
	p := report.NewPackedHist()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		_ = p.RecordValue(int64(rng.ExpFloat64()*2000) + 1)
	}
	d := report.NewHist()
	p.MergeInto(d)
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = report.EncodeHist(d)
		}
	})
	b.Run("reusing", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = report.EncodePacked(p)
		}
	})
}

// encodeGeometry encodes a one-value histogram of another geometry.
func encodeGeometry(t testing.TB, lo, hi int64, digits int) string {
	h := hdrhistogram.New(lo, hi, digits)
	_ = h.RecordValue(lo * 10)
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
