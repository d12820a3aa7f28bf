"""The API contract: the OpenAPI document, its examples, and the offline docs pages."""
