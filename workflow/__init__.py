"""The domain: pure Python, no framework imports, no wall clock."""
