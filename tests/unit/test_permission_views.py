"""Role checks on GET as well as POST, and the permission helpers with each role."""
