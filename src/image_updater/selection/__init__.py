"""Tag selection: filters and update strategies. Pure: no I/O, no logging, inputs never mutated."""
