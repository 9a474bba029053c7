"""The OpenAPI 3 document of the REST API, generated from the views and marshmallow schemas."""
