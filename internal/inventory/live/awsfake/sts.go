package awsfake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// serveSTS answers GetCallerIdentity and AssumeRole. AssumeRole issues
// credentials whose access key id names the target account, so later
// requests signed with them are routed there.
func (s *Server) serveSTS(w http.ResponseWriter, c call) {
	action := c.params.Get("Action")
	switch action {
	case "GetCallerIdentity":
		arn := c.account.UserARN
		if c.assumed {
			arn = "arn:aws:sts::" + c.account.ID + ":assumed-role/" + c.account.Role + "/kmsguard"
		} else if arn == "" {
			arn = "arn:aws:iam::" + c.account.ID + ":user/auditor"
		}
		var d xmlDoc
		d.text("Arn", arn)
		d.text("UserId", "AIDAFAKE"+c.account.ID)
		d.text("Account", c.account.ID)
		writeQuery(w, "sts", action, d.b.String())
	case "AssumeRole":
		roleARN := c.params.Get("RoleArn")
		parts := strings.Split(roleARN, ":")
		var target *Account
		if len(parts) == 6 {
			target = s.account(parts[4])
		}
		if target == nil || target.Role == "" || parts[5] != "role/"+target.Role ||
			(target.ExternalID != "" && c.params.Get("ExternalId") != target.ExternalID) || s.denied(c, action, roleARN) {
			writeQueryError(w, "sts", http.StatusForbidden, "AccessDenied",
				fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.account.UserARN, roleARN))
			return
		}
		var d xmlDoc
		d.open("Credentials")
		d.text("AccessKeyId", AssumedAccessKey(target.ID))
		d.text("SecretAccessKey", "fake-secret")
		d.text("SessionToken", "fake-session-token")
		d.time("Expiration", time.Now().Add(time.Hour))
		d.close("Credentials")
		d.open("AssumedRoleUser")
		d.text("AssumedRoleId", "AROAFAKE:"+c.params.Get("RoleSessionName"))
		d.text("Arn", "arn:aws:sts::"+target.ID+":assumed-role/"+target.Role+"/"+c.params.Get("RoleSessionName"))
		d.close("AssumedRoleUser")
		writeQuery(w, "sts", action, d.b.String())
	default:
		writeQueryError(w, "sts", http.StatusBadRequest, "InvalidAction", "action "+action+" is not faked")
	}
}

// serveEC2 answers DescribeRegions: with AllRegions=false only enabled
// regions, with AllRegions=true every region with its opt-in status.
func (s *Server) serveEC2(w http.ResponseWriter, c call) {
	action := c.params.Get("Action")
	if action != "DescribeRegions" {
		writeQueryError(w, "ec2", http.StatusBadRequest, "InvalidAction", "action "+action+" is not faked")
		return
	}
	if s.denied(c, action, "") {
		writeQueryError(w, "ec2", http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation.")
		return
	}
	all := c.params.Get("AllRegions") == "true"
	var names []string
	for name := range c.account.Regions {
		names = append(names, name)
	}
	names = append(names, c.account.DisabledRegions...)
	slices.Sort(names)
	var d xmlDoc
	d.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<DescribeRegionsResponse xmlns="` + namespace("ec2") + `">`)
	d.text("requestId", "fake-request-id")
	d.open("regionInfo")
	for _, name := range names {
		status := "opt-in-not-required"
		if disabled(c.account, name) {
			if !all {
				continue
			}
			status = "not-opted-in"
		}
		d.open("item")
		d.text("regionName", name)
		d.text("regionEndpoint", "ec2."+name+".amazonaws.com")
		d.text("optInStatus", status)
		d.close("item")
	}
	d.close("regionInfo")
	d.close("DescribeRegionsResponse")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(d.b.String())) // fails only when the client hung up
}
