//! Policy: severity filters, ignore files, VEX, and the CI gate's exit decision.
