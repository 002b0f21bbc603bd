package uid

import (
	"errors"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{name: "zero", n: 0},
		{name: "negative", n: -3},
		{name: "one", n: 1},
		{name: "artifact stem", n: 16},
		{name: "long", n: 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := New(tc.n)
			if want := max(tc.n, 0); len(got) != want {
				t.Fatalf("len(New(%d)) = %d, want %d", tc.n, len(got), want)
			}
			for _, c := range got {
				if !strings.ContainsRune(Alphabet, c) {
					t.Fatalf("New(%d) = %q contains %q outside alphabet", tc.n, got, c)
				}
			}
		})
	}
}

// TestNewCoversAlphabet guards against a biased or truncated alphabet: with
// 62,000 draws every character is expected about 1,000 times.
func TestNewCoversAlphabet(t *testing.T) {
	counts := map[rune]int{}
	for _, c := range New(62000) {
		counts[c]++
	}
	tests := []struct {
		name  string
		chars string
	}{
		{name: "digits", chars: Alphabet[:10]},
		{name: "upper", chars: Alphabet[10:36]},
		{name: "lower", chars: Alphabet[36:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range tc.chars {
				if n := counts[c]; n < 700 || n > 1300 {
					t.Errorf("character %q drawn %d times, want about 1000", c, n)
				}
			}
		})
	}
}

func TestEncodeDecode(t *testing.T) {
	tests := []struct {
		name  string
		n     uint64
		width int
		want  string
	}{
		{name: "zero unpadded", n: 0, width: 0, want: "0"},
		{name: "zero padded", n: 0, width: 4, want: "0000"},
		{name: "nine", n: 9, width: 4, want: "0009"},
		{name: "upper A", n: 10, width: 4, want: "000A"},
		{name: "upper Z", n: 35, width: 4, want: "000Z"},
		{name: "lower a", n: 36, width: 4, want: "000a"},
		{name: "lower z", n: 61, width: 4, want: "000z"},
		{name: "carry", n: 62, width: 4, want: "0010"},
		{name: "wider than width", n: 62 * 62 * 62 * 62, width: 4, want: "10000"},
		{name: "max uint64", n: 1<<64 - 1, width: 0, want: "LygHa16AHYF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Encode(tc.n, tc.width); got != tc.want {
				t.Fatalf("Encode(%d, %d) = %q, want %q", tc.n, tc.width, got, tc.want)
			}
			got, err := Decode(tc.want)
			if err != nil {
				t.Fatalf("Decode(%q): %v", tc.want, err)
			}
			if got != tc.n {
				t.Fatalf("Decode(%q) = %d, want %d", tc.want, got, tc.n)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "empty", in: ""},
		{name: "dash", in: "00-0"},
		{name: "non ascii", in: "0é"},
		{name: "overflow", in: "LygHa16AHYG"},
		{name: "too long", in: "zzzzzzzzzzzz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.in); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%q) error = %v, want ErrInvalid", tc.in, err)
			}
		})
	}
}

func FuzzDecodeEncode(f *testing.F) {
	for _, s := range []string{"0", "000Z", "000a", "zzzz", "LygHa16AHYF", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Decode(s)
		if err != nil {
			return
		}
		// Encoding with the input's width must reproduce it exactly,
		// leading zeros included.
		if got := Encode(n, len(s)); got != s {
			t.Fatalf("Encode(Decode(%q)=%d, %d) = %q", s, n, len(s), got)
		}
	})
}

func TestNextVersion(t *testing.T) {
	const stem = "abcdefghABCDEFGH"
	tests := []struct {
		name    string
		family  []string
		want    string
		wantErr bool
	}{
		{name: "first", family: []string{stem + "0000"}, want: stem + "0001"},
		{name: "digit to upper", family: []string{stem + "0009"}, want: stem + "000A"},
		{name: "upper to lower", family: []string{stem + "000Z"}, want: stem + "000a"},
		{name: "after lower a", family: []string{stem + "000a"}, want: stem + "000b"},
		{name: "carry", family: []string{stem + "000z"}, want: stem + "0010"},
		{name: "unordered numeric max", family: []string{stem + "000a", stem + "0000", stem + "000Z", stem + "0009"}, want: stem + "000b"},
		{name: "string order would pick lower", family: []string{stem + "0010", stem + "000z"}, want: stem + "0011"},
		{name: "empty", family: nil, wantErr: true},
		{name: "foreign stem", family: []string{stem + "0000", "x" + stem[1:] + "0001"}, wantErr: true},
		{name: "bad length", family: []string{stem + "0000", stem + "00001"}, wantErr: true},
		{name: "bad suffix", family: []string{stem + "00-0"}, wantErr: true},
		{name: "exhausted", family: []string{stem + "zzzz"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NextVersion(tc.family, len(stem))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("NextVersion(%q) = %q, want error", tc.family, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("NextVersion(%q): %v", tc.family, err)
			}
			if got != tc.want {
				t.Fatalf("NextVersion(%q) = %q, want %q", tc.family, got, tc.want)
			}
		})
	}
}

func TestDerivedIDs(t *testing.T) {
	id := InstanceID("anonymous", "test-delete")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "instance id", got: id, want: "596e0621240c5129b0430f15f441fc0c"},
		{name: "md5 base62", got: MD5Base62("10075f070b0b48b0900618724fb3be62"), want: "7clAMMtTbqlKVQPmUbqnIq"},
		{name: "instance uid", got: InstanceUID(id), want: "5qkTiyJvjEZv"},
		{name: "anonymous user", got: UserUID("anonymous"), want: "00000000"},
		{name: "user deterministic", got: UserUID("alice"), want: UserUID("alice")},
		{name: "user is md5 prefix", got: UserUID("alice"), want: MD5Base62("lamin-user:alice")[:8]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestUserUIDShape(t *testing.T) {
	tests := []struct {
		name   string
		handle string
	}{
		{name: "simple", handle: "alice"},
		{name: "other", handle: "bob"},
		{name: "empty", handle: ""},
		{name: "unicode", handle: "jörg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := UserUID(tc.handle)
			if len(got) != 8 {
				t.Fatalf("UserUID(%q) = %q, want 8 characters", tc.handle, got)
			}
			if got == UserUID("anonymous") {
				t.Fatalf("UserUID(%q) collides with anonymous", tc.handle)
			}
		})
	}
}

func TestPrefixPads(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{name: "short", in: "abc", n: 8, want: "00000abc"},
		{name: "exact", in: "abcdefgh", n: 8, want: "abcdefgh"},
		{name: "long", in: "abcdefghij", n: 8, want: "abcdefgh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := prefix(tc.in, tc.n); got != tc.want {
				t.Fatalf("prefix(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}
