package loadgen

import (
	"runtime"
	"testing"
)

// contract is the behaviour every engine must keep; the top-level tests run
// it on the default engine (the event loop on Linux, for http:// targets).
var contract = map[string]func(*testing.T){
	"ClosedModelCountsEveryRequest":                  TestClosedModelCountsEveryRequest,
	"ConstantRateSendsTheScheduledCount":             TestConstantRateSendsTheScheduledCount,
	"ServerErrorsCountAsErrors":                      TestServerErrorsCountAsErrors,
	"ConstantRateLatencyIsFreeOfCoordinatedOmission": TestConstantRateLatencyIsFreeOfCoordinatedOmission,
	"WireVariants":                                   TestWireVariants,
	"IdleKeepAliveClosedByTheServerIsRetried":        TestIdleKeepAliveClosedByTheServerIsRetried,
	"TimeoutsAndRefusedConnectionsAreErrors":         TestTimeoutsAndRefusedConnectionsAreErrors,
	"CancelledRunStopsAtOnce":                        TestCancelledRunStopsAtOnce,
}

// TestGoroutineEngineKeepsTheContract runs the behaviour contract on the
// goroutine engine too (on Linux the default is the event loop).
func TestGoroutineEngineKeepsTheContract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the goroutine engine is the default here")
	}
	useEventLoop = false
	t.Cleanup(func() { useEventLoop = true })
	for name, test := range contract {
		t.Run(name, test)
	}
}
