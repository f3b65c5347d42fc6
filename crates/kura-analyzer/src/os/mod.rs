//! Operating-system analyzers: release files and OS package databases.
