EXPLAIN ({options}) EXECUTE {name}({arguments})
