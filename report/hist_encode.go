package report

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/bits"
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// histEncoder writes the V2 compressed encoding of a sparse histogram with
// the Run geometry, byte for byte what hdrhistogram-go's Encode writes for
// the same counts, but reusing its zlib compressor and buffers: the library
// allocates a new compressor (about 800 KB) per histogram, which dominated
// Tick and made merging a long run allocate tens of GB.
type histEncoder struct {
	payload []byte
	inner   bytes.Buffer // header + payload, uncompressed
	comp    bytes.Buffer
	zw      *zlib.Writer
	outer   []byte
	b64     []byte
}

var encoderPool = sync.Pool{New: func() any { return new(histEncoder) }}

// encodePacked returns the encoding of p (which must have the Run geometry).
func encodePacked(p *hdrhistogram.PackedHistogram) (string, error) {
	e := encoderPool.Get().(*histEncoder)
	defer encoderPool.Put(e)
	return e.encode(p)
}

// V2 encoding cookies with the word size bits hdrhistogram-go sets.
const (
	v2Cookie           = hdrhistogram.V2EncodingCookieBase | 0x10
	v2CompressedCookie = hdrhistogram.V2CompressedEncodingCookieBase | 0x10
)

// countsIndex is HdrHistogram's counts index of v for the Run geometry
// (unit magnitude 0, sub-bucket half count magnitude 10).
func countsIndex(v int64) int64 {
	const subBucketMask, halfMag, half = 2047, 10, 1024
	bucket := int64(64-bits.LeadingZeros64(uint64(v|subBucketMask))) - (halfMag + 1)
	sub := v >> uint(bucket)
	return (bucket+1)<<halfMag + sub - half
}

// appendZigZag appends v as HdrHistogram's ZigZag LEB128 (at most 9 bytes,
// the ninth holding 8 bits).
func appendZigZag(b []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	for i := 0; i < 8; i++ {
		if u < 0x80 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u))
}

func (e *histEncoder) encode(p *hdrhistogram.PackedHistogram) (string, error) {
	// Counts from index 0 to the last populated one: runs of zeros as a
	// negative length, a single zero as 0, counts as themselves.
	pl := e.payload[:0]
	next := int64(0) // next index to write
	for v, c := range p.ForEachBucket {
		idx := countsIndex(v)
		switch gap := idx - next; {
		case gap > 1:
			pl = appendZigZag(pl, -gap)
		case gap == 1:
			pl = appendZigZag(pl, 0)
		}
		pl = appendZigZag(pl, c)
		next = idx + 1
	}
	if next == 0 {
		pl = appendZigZag(pl, 0) // empty: the library writes counts[0]
	}
	e.payload = pl

	e.inner.Reset()
	var hdr [40]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(v2Cookie))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(pl)))
	binary.BigEndian.PutUint32(hdr[8:], 0) // normalizing index offset
	binary.BigEndian.PutUint32(hdr[12:], HistDigits)
	binary.BigEndian.PutUint64(hdr[16:], HistMin)
	binary.BigEndian.PutUint64(hdr[24:], HistMax)
	binary.BigEndian.PutUint64(hdr[32:], math.Float64bits(1))
	e.inner.Write(hdr[:])
	e.inner.Write(pl)

	e.comp.Reset()
	if e.zw == nil {
		zw, err := zlib.NewWriterLevel(&e.comp, zlib.BestCompression)
		if err != nil {
			return "", err
		}
		e.zw = zw
	} else {
		e.zw.Reset(&e.comp)
	}
	if _, err := e.zw.Write(e.inner.Bytes()); err != nil {
		return "", err
	}
	if err := e.zw.Close(); err != nil {
		return "", err
	}

	out := e.outer[:0]
	out = binary.BigEndian.AppendUint32(out, uint32(v2CompressedCookie))
	out = binary.BigEndian.AppendUint32(out, uint32(e.comp.Len()))
	out = append(out, e.comp.Bytes()...)
	e.outer = out
	n := base64.StdEncoding.EncodedLen(len(out))
	if cap(e.b64) < n {
		e.b64 = make([]byte, n)
	}
	e.b64 = e.b64[:n]
	base64.StdEncoding.Encode(e.b64, out)
	return string(e.b64), nil
}
