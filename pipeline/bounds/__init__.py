"""LP/SDP bound formulations, search and certification."""
