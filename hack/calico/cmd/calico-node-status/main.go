// Command calico-node-status is calico-node's BGP status reporter (what `calico-node -status-reporter`
// runs): it reads BIRD's sessions through its control socket and writes them to CalicoNodeStatus.
package main

import "github.com/projectcalico/calico/node/pkg/status"

func main() {
	status.Run()
}
