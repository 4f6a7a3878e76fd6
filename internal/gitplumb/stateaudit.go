package gitplumb

import "context"

// auditFromFacts records what a later audit needs of f.
func auditFromFacts(f *Facts) *AuditState {
	return &AuditState{}
}

// auditFacts sets Scan.Facts for the repository now, from st.
func (s *StateScan) auditFacts(ctx context.Context, v repoView, st *ScanState) error {
	return nil
}
