//! Read RPM package databases (SQLite, Berkeley DB hash, NDB) and RPM headers, in Rust.
