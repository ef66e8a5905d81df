package testbed

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// What the credex-core stack's plan reads from EC2 that kumo lacks: the
// region's availability zones (DescribeAvailabilityZones), and the public
// SSM parameters naming the current Amazon Linux AMIs, which exist in every
// AWS account.

// PublicAMIParameters are the public SSM parameters the bed serves, each
// naming a (made-up) AMI ID.
var PublicAMIParameters = map[string]string{
	"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "ami-0a1b2c3d4e5f60718",
	"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64":  "ami-0b1c2d3e4f5a60729",
}

// zoneLetters are the availability zones the bed reports per region.
const zoneLetters = "abc"

// seedPublicParameters puts PublicAMIParameters into kumo's SSM.
func (b *Bed) seedPublicParameters(ctx context.Context) error {
	for name, ami := range PublicAMIParameters {
		in := map[string]any{"Name": name, "Value": ami, "Type": "String", "DataType": "aws:ec2:image", "Overwrite": true}
		if _, err := b.callKumo(ctx, "AmazonSSM.PutParameter", in, nil); err != nil {
			return fmt.Errorf("test bed: seeding the public parameter %s: %w", name, err)
		}
	}
	return nil
}

// callKumo makes one AWS JSON 1.1 call straight to kumo. On an AWS error it
// returns kumo's status and its JSON error body as the error text.
func (b *Bed) callKumo(ctx context.Context, target string, in, out any) (int, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return http.StatusInternalServerError, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.kumo.URL+"/", bytes.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, err
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return http.StatusInternalServerError, fmt.Errorf("test bed: %s: %w", target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return http.StatusInternalServerError, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("%s", strings.TrimSpace(string(data)))
	}
	if out == nil {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.Unmarshal(data, out)
}

// queryForm reads an AWS Query request's form, leaving the body readable
// for whoever handles the request next. ok is false for anything else.
func queryForm(r *http.Request) (url.Values, bool) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "" || r.Body == nil {
		return nil, false
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	return form, err == nil && form.Get("Action") != ""
}

// serveEC2 answers the EC2 actions the bed adds and reports whether it did.
func (b *Bed) serveEC2(w http.ResponseWriter, r *http.Request) bool {
	form, ok := queryForm(r)
	if !ok || form.Get("Action") != "DescribeAvailabilityZones" {
		return false
	}
	b.describeAvailabilityZones(w, r, form)
	return true
}

type availabilityZone struct {
	ZoneName           string `xml:"zoneName"`
	ZoneState          string `xml:"zoneState"`
	RegionName         string `xml:"regionName"`
	ZoneID             string `xml:"zoneId"`
	ZoneType           string `xml:"zoneType"`
	OptInStatus        string `xml:"optInStatus"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	MessageSet         string `xml:"messageSet"`
}

// zones are the region's availability zones: <region>a, b and c, with zone
// IDs shaped like AWS's (af-south-1 -> afs1-az1).
func zones(region string) []availabilityZone {
	parts := strings.Split(region, "-")
	short := ""
	if len(parts) >= 3 {
		short = parts[0]
		for _, p := range parts[1 : len(parts)-1] {
			short += p[:1]
		}
		short += parts[len(parts)-1]
	}
	out := make([]availabilityZone, len(zoneLetters))
	for i, l := range zoneLetters {
		out[i] = availabilityZone{
			ZoneName: region + string(l), ZoneState: "available", RegionName: region,
			ZoneID: short + "-az" + strconv.Itoa(i+1), ZoneType: "availability-zone", OptInStatus: "opt-in-not-required",
			GroupName: region, NetworkBorderGroup: region,
		}
	}
	return out
}

// azFilters maps DescribeAvailabilityZones filter names to the field each
// matches.
var azFilters = map[string]func(availabilityZone) string{
	"state":                func(z availabilityZone) string { return z.ZoneState },
	"zone-name":            func(z availabilityZone) string { return z.ZoneName },
	"zone-id":              func(z availabilityZone) string { return z.ZoneID },
	"zone-type":            func(z availabilityZone) string { return z.ZoneType },
	"region-name":          func(z availabilityZone) string { return z.RegionName },
	"opt-in-status":        func(z availabilityZone) string { return z.OptInStatus },
	"group-name":           func(z availabilityZone) string { return z.GroupName },
	"network-border-group": func(z availabilityZone) string { return z.NetworkBorderGroup },
}

// describeAvailabilityZones answers EC2 DescribeAvailabilityZones for the
// region the request was signed for, honouring ZoneName.N, ZoneId.N and
// Filter.N (state, zone-name, zone-id, zone-type, region-name, ...).
func (b *Bed) describeAvailabilityZones(w http.ResponseWriter, r *http.Request, form url.Values) {
	all := zones(signingRegion(r, b.Region))
	names, ids := indexed(form, "ZoneName"), indexed(form, "ZoneId")
	var out []availabilityZone
	for _, z := range all {
		if (len(names) > 0 && !slices.Contains(names, z.ZoneName)) || (len(ids) > 0 && !slices.Contains(ids, z.ZoneID)) {
			continue
		}
		keep := true
		for n := 1; form.Has(fmt.Sprintf("Filter.%d.Name", n)); n++ {
			name := form.Get(fmt.Sprintf("Filter.%d.Name", n))
			field, known := azFilters[name]
			if !known {
				writeEC2Error(w, http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", name))
				return
			}
			keep = keep && slices.Contains(indexed(form, fmt.Sprintf("Filter.%d.Value", n)), field(z))
		}
		if keep {
			out = append(out, z)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(all, func(z availabilityZone) bool { return z.ZoneName == n }) {
			writeEC2Error(w, http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("Invalid availability zone: [%s]", n))
			return
		}
	}
	resp := struct {
		XMLName   xml.Name           `xml:"DescribeAvailabilityZonesResponse"`
		Xmlns     string             `xml:"xmlns,attr"`
		RequestID string             `xml:"requestId"`
		Zones     []availabilityZone `xml:"availabilityZoneInfo>item"`
	}{Xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/", RequestID: requestID(), Zones: out}
	writeXML(w, http.StatusOK, resp)
}

// indexed reads a Query list: prefix.1, prefix.2, ...
func indexed(form url.Values, prefix string) []string {
	var out []string
	for n := 1; form.Has(fmt.Sprintf("%s.%d", prefix, n)); n++ {
		out = append(out, form.Get(fmt.Sprintf("%s.%d", prefix, n)))
	}
	return out
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/([a-z0-9-]+)/`)

// signingRegion is the region in the request's SigV4 credential scope, or
// fallback.
func signingRegion(r *http.Request, fallback string) string {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return fallback
}

func writeEC2Error(w http.ResponseWriter, status int, code, message string) {
	type ec2Error struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	writeXML(w, status, struct {
		XMLName   xml.Name   `xml:"Response"`
		Errors    []ec2Error `xml:"Errors>Error"`
		RequestID string     `xml:"RequestID"`
	}{Errors: []ec2Error{{code, message}}, RequestID: requestID()})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	data, err := xml.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(err.Error())
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), data...))
}

var requestSeq atomic.Int64

// requestID is a request ID for the bed's own answers.
func requestID() string { return fmt.Sprintf("testbed-%012d", requestSeq.Add(1)) }
