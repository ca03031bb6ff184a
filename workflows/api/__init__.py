"""The REST API (/api/): the same services, step table and visibility rules as the web pages."""
