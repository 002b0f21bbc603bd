// Package uid generates and manipulates lamindb-compatible identifiers:
// random base-62 uids, versioned artifact/collection uids, instance ids
// and the deterministic uids derived from them.
package uid

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Alphabet is lamindb's base-62 alphabet: digits, then upper case, then
// lower case, so that base-62 numbers sort like their values per digit.
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// SuffixLen is the length of the version suffix of artifact and collection
// uids; a new family starts at "0000".
const SuffixLen = 4

// ErrInvalid reports a character outside Alphabet or an overflowing value.
var ErrInvalid = errors.New("invalid base-62")

// digitValue maps a byte to its base-62 value, or -1.
var digitValue = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		v[Alphabet[i]] = int8(i)
	}
	return v
}()

// New returns n characters drawn uniformly from Alphabet using crypto/rand.
// It rejects bytes whose low six bits are 62 or 63 instead of reducing
// modulo 62, which would bias the first characters.
func New(n int) string {
	if n <= 0 {
		return ""
	}
	out := make([]byte, 0, n)
	// 62/64 of the draws are accepted; over-request so one read
	// usually suffices.
	buf := make([]byte, n+n/8+8)
	for len(out) < n {
		rand.Read(buf) // never returns an error since Go 1.24
		for _, b := range buf {
			if v := b & 63; v < 62 {
				out = append(out, Alphabet[v])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// Encode returns n in base 62, left-padded with '0' to at least width
// characters (never truncated).
func Encode(n uint64, width int) string {
	var buf [11]byte // 62^11 > 2^64
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = Alphabet[n%62]
		n /= 62
	}
	digits := buf[i:]
	if pad := width - len(digits); pad > 0 {
		return strings.Repeat("0", pad) + string(digits)
	}
	if len(digits) == 0 {
		return "0"
	}
	return string(digits)
}

// Decode parses a base-62 string written with Alphabet.
func Decode(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("decode %q: %w", s, ErrInvalid)
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d := digitValue[s[i]]
		if d < 0 {
			return 0, fmt.Errorf("decode %q: %w", s, ErrInvalid)
		}
		if n > (1<<64-1-uint64(d))/62 {
			return 0, fmt.Errorf("decode %q: overflow: %w", s, ErrInvalid)
		}
		n = n*62 + uint64(d)
	}
	return n, nil
}

// NextVersion returns the uid of the next version of a family: the shared
// stem of length stemLen followed by the largest existing suffix plus one.
// familyUIDs must hold every uid of the family (all branches and trashed
// records), otherwise a suffix could be reused. Suffixes are compared as
// base-62 numbers, not strings, so "000a" (36) follows "000Z" (35).
func NextVersion(familyUIDs []string, stemLen int) (string, error) {
	if len(familyUIDs) == 0 {
		return "", errors.New("next version: empty family")
	}
	if stemLen < 0 {
		return "", fmt.Errorf("next version: negative stem length %d", stemLen)
	}
	width := len(familyUIDs[0]) - stemLen
	if width <= 0 {
		return "", fmt.Errorf("next version: uid %q has no suffix after %d characters", familyUIDs[0], stemLen)
	}
	stem := familyUIDs[0][:stemLen]
	var top uint64
	for _, u := range familyUIDs {
		if len(u) != stemLen+width || u[:stemLen] != stem {
			return "", fmt.Errorf("next version: uid %q not in family %q", u, stem)
		}
		n, err := Decode(u[stemLen:])
		if err != nil {
			return "", fmt.Errorf("next version: %w", err)
		}
		top = max(top, n)
	}
	next := Encode(top+1, width)
	if len(next) > width {
		return "", fmt.Errorf("next version: family %q exhausted its %d-character suffix", stem, width)
	}
	return stem + next, nil
}

// namespaceURL is RFC 4122's NAMESPACE_URL, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
var namespaceURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// InstanceID returns lamindb's instance id for owner/name: the uuid5 of
// "owner/name" in the URL namespace, as 32 lowercase hex characters. Being
// derived from the slug, it is the same on every machine.
func InstanceID(owner, name string) string {
	h := sha1.New()
	h.Write(namespaceURL[:])
	h.Write([]byte(owner + "/" + name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return hex.EncodeToString(u[:])
}

// MD5Base62 returns the md5 of s as a big-endian integer in base 62, as
// lamin_utils does: no padding, so leading zero digits are dropped.
func MD5Base62(s string) string {
	sum := md5.Sum([]byte(s))
	n := new(big.Int).SetBytes(sum[:])
	if n.Sign() == 0 {
		return "0"
	}
	var out []byte
	base, mod := big.NewInt(62), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, Alphabet[mod.Int64()])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// InstanceUID returns the 12-character instance uid lamindb derives from an
// instance id (32 hex characters, no dashes).
func InstanceUID(instanceIDHex string) string {
	s := MD5Base62(instanceIDHex)
	return s[:min(12, len(s))] // plain slice, as lamindb does
}

// AnonymousHandle is the handle used when no user is logged in.
const AnonymousHandle = "anonymous"

// UserUID returns the offline 8-character uid of a user handle. It is
// derived from the handle alone so a user has the same uid in every
// instance without a server; the anonymous user is "00000000".
func UserUID(handle string) string {
	if handle == AnonymousHandle {
		return "00000000"
	}
	return prefix(MD5Base62("lamin-user:"+handle), 8)
}

// prefix returns the first n characters of s, left-padded with '0' when s
// is shorter (a small md5 value yields fewer base-62 digits).
func prefix(s string, n int) string {
	if len(s) < n {
		return strings.Repeat("0", n-len(s)) + s
	}
	return s[:n]
}
