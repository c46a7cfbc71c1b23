PREPARE {name} AS {statement}
