package queue

// Partition exposes the key hash to the tests of package queue_test.
var Partition = partition
