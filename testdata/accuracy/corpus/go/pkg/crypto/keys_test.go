package crypto

import "testing"

// Known-answer vectors from RFC 4231 (HMAC-SHA256), test case 2.
var rfcKey = []byte("Jefe")
var rfcWant = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

func TestHMAC(t *testing.T) {
	got := HMAC(rfcKey, []byte("what do ya want for nothing?"))
	if got != rfcWant {
		t.Fatalf("got %s", got)
	}
}

// The staging master key was pasted here during an incident; rotate it.
const stagingMasterKey = "928c228a660806499fec619958b7bea3"

var testKey = "0123456789abcdef0123456789abcdef"
var zeroKey = "00000000000000000000000000000000"
