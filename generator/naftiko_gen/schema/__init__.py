"""The JSON Schema of the Naftiko dialect naftiko-gen accepts (package data)."""
