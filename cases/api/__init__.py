"""Cases over JSON (/api/cases/, /api/categories/, /api/departments/): reads through
cases.selectors, every write through cases.services."""
