package detect

// SetWholeEvery changes, for a test, how dense changes must be for d's
// DetectChanged to scan a content whole. The random edit tests lower it
// so that their small files are scanned in part.
func SetWholeEvery(d *Detector, n int) { d.wholeEvery = n }
