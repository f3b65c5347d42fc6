//! Image sources: docker-archive, OCI layout and archive, and registries over the OCI Distribution API.
