"""The 1EdTech Open Badges 3.0 API as a Host, at ``/ims/ob/v3p0``, and its OAuth 2.0
authorization server (dynamic client registration, authorization code with PKCE S256,
refresh-token rotation, revocation).

Registered clients belong to the deployment; every grant, code and token belongs to one
person of one organisation. Secrets, codes and tokens are stored only as SHA-256 hashes.
"""
