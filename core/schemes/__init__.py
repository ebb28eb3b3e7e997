"""Shop Watch schemes: who belongs, in what role, and what that role may do."""
