package detect

// SetWholeEvery changes, for a test, how dense changes must be for
// DetectChanged to scan a content whole, and returns the undo. The random
// edit tests lower it so that their small files are scanned in part.
func SetWholeEvery(n int) (undo func()) {
	old := wholeEvery
	wholeEvery = n
	return func() { wholeEvery = old }
}
