package search

import "fmt"

// A Method decides, after each epoch, how a search goes on. Methods are
// values built once from the configuration (NewMethod); their state lives
// in the checkpoint (MethodState).
type Method interface {
	// Name is the method's config value (darts, darts-es, ...).
	Name() string
	// Fired is called when the DARTS-ES rule fires at the end of an
	// epoch, pointing at stopEpoch. The event is recorded in the epoch's
	// metrics.
	Fired(stopEpoch int) Decision
}

// Decision is what a method does when the DARTS-ES rule fires.
type Decision struct {
	Action Action
	Event  Event
}

// Action is the kind of a Decision.
type Action int

// Actions.
const (
	Continue Action = iota // record the event and go on
	Stop                   // end the run; the answer is Event.Epoch's architecture
	Rollback               // restart from Event.Epoch with Event.WeightDecay
)

// DARTS is plain DARTS: it only records where DARTS-ES would have stopped.
type DARTS struct{}

// Name implements Method.
func (DARTS) Name() string { return "darts" }

// Fired implements Method.
func (DARTS) Fired(stop int) Decision {
	return Decision{Continue, Event{Kind: EventESWouldStop, Epoch: stop}}
}

// DARTSES is DARTS with early stopping (the paper's DARTS-ES). With
// Simulate it runs to the end and only records the stop.
type DARTSES struct{ Simulate bool }

// Name implements Method.
func (DARTSES) Name() string { return "darts-es" }

// Fired implements Method.
func (m DARTSES) Fired(stop int) Decision {
	if m.Simulate {
		return DARTS{}.Fired(stop)
	}
	return Decision{Stop, Event{Kind: EventESStop, Epoch: stop}}
}

// DARTSADA is DARTS with adaptive regularisation (DARTS-ADA): when the
// rule fires it rolls back to the stop epoch with a higher weight decay,
// until the schedule is final.
type DARTSADA struct{ Schedule *Adaptive }

// Name implements Method.
func (DARTSADA) Name() string { return "darts-ada" }

// Fired implements Method.
func (m DARTSADA) Fired(stop int) Decision {
	wd, ok := m.Schedule.Increase()
	if !ok {
		return DARTS{}.Fired(stop)
	}
	return Decision{Rollback, Event{Kind: EventADARollback, Epoch: stop, WeightDecay: wd}}
}

// RandomWS is random search with weight sharing (RS-ws): w is trained
// with a random architecture per step, α is not learnt, and an
// architecture is selected at the end (selectRandomWS).
type RandomWS struct{}

// Name implements Method.
func (RandomWS) Name() string { return "rs-ws" }

// Fired implements Method; RS-ws computes no eigenvalues.
func (RandomWS) Fired(stop int) Decision { return DARTS{}.Fired(stop) }

// NewMethod builds the method of a configuration; ada is the DARTS-ADA
// schedule (restored from a checkpoint or fresh).
func NewMethod(c Config, ada *Adaptive) (Method, error) {
	switch c.Method {
	case "darts":
		return DARTS{}, nil
	case "darts-es":
		return DARTSES{Simulate: c.ESSimulate}, nil
	case "darts-ada":
		return DARTSADA{Schedule: ada}, nil
	case "rs-ws":
		return RandomWS{}, nil
	}
	return nil, fmt.Errorf("method: %q is not one of darts, darts-es, darts-ada, rs-ws", c.Method)
}
