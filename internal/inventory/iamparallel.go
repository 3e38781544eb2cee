package inventory

import (
	"fmt"
	"strings"
	"sync"
)

// authLists are the arrays of get-account-authorization-details that hold
// the data (lower-cased: decoding matches field names case-insensitively, as the v1 encoding/json did).
var authLists = map[string]bool{"userdetaillist": true, "groupdetaillist": true, "roledetaillist": true, "policies": true}

// decodeAuthDetails decodes the authorization details, splitting the four
// lists into elements and decoding those on up to limit goroutines: the file
// of a large account is tens of megabytes and would otherwise be decoded on
// one core. Anything the splitter does not recognise is decoded serially.
func decodeAuthDetails(data []byte, limit int) (*authDetailsOut, error) {
	spans, ok := splitArrays(data, authLists)
	if !ok {
		return decodeAuthDetailsSerial(data)
	}
	get := func(name string) []span { return spans[strings.ToLower(name)] }
	out := &authDetailsOut{
		UserDetailList:  make([]userOut, len(get("UserDetailList"))),
		GroupDetailList: make([]groupOut, len(get("GroupDetailList"))),
		RoleDetailList:  make([]roleOut, len(get("RoleDetailList"))),
		Policies:        make([]policyOut, len(get("Policies"))),
	}
	var jobs []func() error
	jobs = appendDecodeJobs(jobs, data, "UserDetailList", get("UserDetailList"), out.UserDetailList)
	jobs = appendDecodeJobs(jobs, data, "GroupDetailList", get("GroupDetailList"), out.GroupDetailList)
	jobs = appendDecodeJobs(jobs, data, "RoleDetailList", get("RoleDetailList"), out.RoleDetailList)
	jobs = appendDecodeJobs(jobs, data, "Policies", get("Policies"), out.Policies)

	// Run the jobs on limit workers; keep every job's error and report the
	// first in file order, so the result does not depend on scheduling.
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(limit, len(jobs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				errs[j] = jobs[j]()
			}
		}()
	}
	for j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeBatch is how many list elements one job decodes.
const decodeBatch = 200

func appendDecodeJobs[T any](jobs []func() error, data []byte, list string, spans []span, dst []T) []func() error {
	for b := 0; b < len(spans); b += decodeBatch {
		jobs = append(jobs, func() error {
			for j := b; j < min(b+decodeBatch, len(spans)); j++ {
				sp := spans[j]
				if err := unmarshal(data[sp.start:sp.end], &dst[j]); err != nil {
					return jsonErrorAt(data, int64(sp.start), fmt.Sprintf("/%s/%d", list, j), err)
				}
			}
			return nil
		})
	}
	return jobs
}
