//! Registries.
use crate::{Image, OciError, OpenOptions};
pub(crate) fn open(_r: &str, reference: &str, _o: &OpenOptions) -> Result<Image, OciError> {
    Err(OciError::InvalidReference { reference: reference.into(), reason: "todo".into() })
}
