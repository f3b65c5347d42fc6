//! CVSS v2, v3.x and v4.0 base score computation from vector strings.
