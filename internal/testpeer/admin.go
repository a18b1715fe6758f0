package testpeer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// AdminGet fetches path from sxgw's admin listener at base
// ("http://host:port"), reading at most 8 MiB of the body.
func AdminGet(ctx context.Context, c *http.Client, base, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, body, err
}

// Ready reports whether /readyz answers 200; otherwise the error carries
// the status and the failing checks.
func Ready(ctx context.Context, c *http.Client, base string) error {
	status, body, err := AdminGet(ctx, c, base, "/readyz")
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("/readyz: %d %s", status, strings.TrimSpace(string(body)))
	}
	return nil
}
