"""The live connector to a payee's billing (issue 14): OSMP «check / pay», the delivery outbox, checks."""
