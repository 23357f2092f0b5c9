"""Suwinet-Inkijk (BKWI): BRPDossierPersoonGSD and UWVDossierInkomstenGSD over mutual TLS, zeep."""
