"""Known vulnerabilities: OSV advisories, each feed's policy about them, and exceptions."""
