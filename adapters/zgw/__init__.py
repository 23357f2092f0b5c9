"""A zaaksysteem that speaks the ZGW APIs (Zaken 1.5, Documenten 1.5, Catalogi 1.3).

It can play the zaaksysteem part instead of the e-Suite (``KETENBRUG_ROL_ZAAKSYSTEEM=zgw``):
it accepts the same zaak operations (:mod:`adapters.roles`) and zaakdocument operations
(:mod:`adapters.document`) and turns them into REST calls, authorised with the ZGW
client-id/secret JWT. Modules: ``config`` (settings), ``auth`` (the JWT), ``client`` (HTTP and
error classification), ``catalogi`` (codes to type URLs), ``zaken`` and ``documents`` (the
writes and their read-back), ``target`` (the Target), ``hook`` and ``plugin`` (registration).
"""
