// Command clickhouse-http-client reads flows from fabricscope's ClickHouse HTTP endpoint with
// clickhouse-go v2 in HTTP mode, as Grafana's ClickHouse plugin does, and tries a write. It prints
// what it read and how the write was refused as one JSON object, which the test compares with the
// warehouse. Usage: clickhouse-http-client <host:port> <user> <password>
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// A flow as read: the time in microseconds since the epoch, addresses as Go prints them.
type flow struct {
	Time        string `json:"time"`
	Vrouter     string `json:"vrouter"`
	SourceIP    string `json:"sourceIp"`
	VrouterIPv4 string `json:"vrouterIpv4"`
	Bytes       string `json:"diffBytes"`
}

type report struct {
	Server       string            `json:"server"`
	Flows        []flow            `json:"flows"`
	ByVrouter    map[string]string `json:"bytesByVrouter"`
	WriteCode    int32             `json:"writeCode"`
	WriteMessage string            `json:"writeMessage"`
}

func main() {
	if len(os.Args) != 4 {
		fail(errors.New("usage: clickhouse-http-client <host:port> <user> <password>"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:     []string{os.Args[1]},
		Auth:     clickhouse.Auth{Username: os.Args[2], Password: os.Args[3]},
		Protocol: clickhouse.HTTP,
		// As Grafana's plugin configures it in HTTP mode: its query timeout as max_execution_time,
		// gzip asked for (the server compresses only with enable_http_compression=1).
		Settings:    clickhouse.Settings{"max_execution_time": 60},
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionGZIP},
		DialTimeout: 10 * time.Second,
	})
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		fail(fmt.Errorf("ping: %w", err))
	}
	out := report{ByVrouter: map[string]string{}}
	version, err := conn.ServerVersion()
	if err != nil {
		fail(err)
	}
	out.Server = version.String()

	rows, err := conn.Query(ctx, `SELECT time, vrouter, source_ip, toIPv4OrDefault(replaceRegexpOne(IPv6NumToString(vrouter_ip), '^::ffff:', '')) AS vrouter_ipv4, diff_bytes
		FROM flows ORDER BY time, flow_uuid LIMIT {limit:UInt32}`, clickhouse.Named("limit", "5"))
	if err != nil {
		fail(fmt.Errorf("select flows: %w", err))
	}
	for rows.Next() {
		var (
			t         time.Time
			vrouter   string
			source    net.IP
			vrouterV4 net.IP
			bytes     uint64
		)
		if err := rows.Scan(&t, &vrouter, &source, &vrouterV4, &bytes); err != nil {
			fail(fmt.Errorf("scan: %w", err))
		}
		out.Flows = append(out.Flows, flow{
			Time: fmt.Sprint(t.UnixMicro()), Vrouter: vrouter, SourceIP: source.String(),
			VrouterIPv4: vrouterV4.String(), Bytes: fmt.Sprint(bytes),
		})
	}
	if err := rows.Err(); err != nil {
		fail(fmt.Errorf("rows: %w", err))
	}
	rows.Close()

	totals, err := conn.Query(ctx, "SELECT vrouter, sum(diff_bytes * greatest(sampling, 1)) FROM flows GROUP BY vrouter")
	if err != nil {
		fail(fmt.Errorf("select totals: %w", err))
	}
	for totals.Next() {
		var (
			vrouter string
			sum     uint64
		)
		if err := totals.Scan(&vrouter, &sum); err != nil {
			fail(fmt.Errorf("scan totals: %w", err))
		}
		out.ByVrouter[vrouter] = fmt.Sprint(sum)
	}
	if err := totals.Err(); err != nil {
		fail(fmt.Errorf("totals: %w", err))
	}
	totals.Close()

	err = conn.Exec(ctx, "INSERT INTO flows (vrouter) VALUES ('written-by-a-client')")
	var exception *clickhouse.Exception
	if !errors.As(err, &exception) {
		fail(fmt.Errorf("the write was not refused with a ClickHouse exception: %v", err))
	}
	out.WriteCode, out.WriteMessage = exception.Code, exception.Message

	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
