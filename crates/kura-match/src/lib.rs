//! Match an inventory against the vulnerability database; merge aliases; fix advice.
