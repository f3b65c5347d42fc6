//! Private OCI registry: Distribution API, storage, auth, projects and roles, audit.
