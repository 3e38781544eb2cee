package awsfake

// Request is one request the fake received, as it came over the wire.
type Request struct {
	Service   string // kms, iam, sts, organizations, ec2
	Operation string // e.g. PutKeyPolicy
	AccessKey string // the access key id of its SigV4 signature
	Region    string
	Body      string // the raw request body (JSON for KMS)
}

// Requests returns every request received so far, in arrival order, so a
// test can assert the exact calls a client made and their parameters.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Mutate runs fn while no request is being served, so a test can change the
// fake's state (a key's policy or state) between two calls of the code under
// test without a data race.
func (s *Server) Mutate(fn func()) {
	s.state.Lock()
	defer s.state.Unlock()
	fn()
}

// Accounts returns the fake's accounts, whose state the mutating operations
// change. Read or change them only inside Mutate or when no request is in
// flight.
func (s *Server) Accounts() []*Account { return s.cfg.Accounts }
