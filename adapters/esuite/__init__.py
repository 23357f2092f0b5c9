"""The e-Suite (zaaksysteem + DMS): StUF-ZKN ZDS 1.2 over SOAP."""
