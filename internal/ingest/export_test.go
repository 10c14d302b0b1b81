package ingest

// WithEventTime exposes withEventTime to the tests.
var WithEventTime = withEventTime
