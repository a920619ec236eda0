"""Evidence: the dated, verifiable pack (`callwatch report`) and its verification."""
