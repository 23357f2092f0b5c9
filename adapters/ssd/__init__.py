"""GWS4all's SSD services (UitkeringsSpecificatie v0600): SOAP over mutual TLS, through zeep."""
