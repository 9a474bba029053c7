"""SCIM 2.0 (RFC 7643/7644) server at ``/scim/v2``: people and teams provisioned by an IdP."""
