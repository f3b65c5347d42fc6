//! Reporters: CycloneDX, SPDX, SARIF, JSON and table output of inventories and findings.
