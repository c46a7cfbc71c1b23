EXPLAIN ({options}) {statement}
