ROLLBACK TO SAVEPOINT optischema_step
