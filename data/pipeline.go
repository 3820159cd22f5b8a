package data

import "sync"

// Iter walks a Source's batches from a start step, either synchronously or
// with a background goroutine filling up to prefetch batches ahead. The
// batch returned by Next is owned by the Iter and valid only until the next
// call to Next or Close. Always Close an Iter (closing early is fine).
type Iter struct {
	src  Source
	step int // next step to return

	// synchronous mode
	buf *Batch

	// prefetch mode
	ready chan *Batch // filled batches in step order
	free  chan *Batch // buffers handed back by the consumer
	done  chan struct{}
	wg    sync.WaitGroup
	held  *Batch // the batch the caller holds
	once  sync.Once
}

// Iterate returns an iterator over src's steps [start, src.Steps()). With
// prefetch > 0 a goroutine produces batches ahead of the caller (prefetch
// of them waiting, plus one in the making); the batches are identical to
// the synchronous ones.
func Iterate(src Source, start, prefetch int) *Iter {
	it := &Iter{src: src, step: start}
	if prefetch <= 0 {
		it.buf = &Batch{}
		return it
	}
	it.ready = make(chan *Batch, prefetch)
	it.free = make(chan *Batch, prefetch+2)
	it.done = make(chan struct{})
	for i := 0; i < prefetch+2; i++ {
		it.free <- &Batch{}
	}
	it.wg.Add(1)
	go it.produce(start)
	return it
}

// produce fills free buffers in step order until the source is exhausted
// or the Iter is closed.
func (it *Iter) produce(start int) {
	defer it.wg.Done()
	defer close(it.ready)
	for step := start; step < it.src.Steps(); step++ {
		var b *Batch
		select {
		case b = <-it.free:
		case <-it.done:
			return
		}
		it.src.Fill(step, b)
		select {
		case it.ready <- b:
		case <-it.done:
			return
		}
	}
}

// Next returns the next batch and true, or nil and false at the end.
func (it *Iter) Next() (*Batch, bool) {
	if it.ready == nil {
		if it.step >= it.src.Steps() {
			return nil, false
		}
		it.src.Fill(it.step, it.buf)
		it.step++
		return it.buf, true
	}
	if it.held != nil {
		it.free <- it.held // never blocks: free has room for every buffer
		it.held = nil
	}
	b, ok := <-it.ready
	if !ok {
		return nil, false
	}
	it.held = b
	it.step++
	return b, true
}

// Step returns the step number of the batch the next call to Next returns.
func (it *Iter) Step() int { return it.step }

// Close stops the background goroutine, if any, and waits for it to exit.
// It is safe to call more than once.
func (it *Iter) Close() {
	if it.ready == nil {
		return
	}
	it.once.Do(func() {
		close(it.done)
		it.wg.Wait()
	})
}
