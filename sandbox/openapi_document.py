"""The whole OpenAPI document served at /sandbox/openapi.json: the section 2 paths of
openapi.py and the SDR area's paths of openapi_sdr.py (which adds its schemas to SCHEMAS)."""

from .openapi import PATHS, SCHEMAS
from .openapi_sdr import SDR_PATHS


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Leadterra API (sandbox)",
            "version": "1",
            "description": "The documented Leadterra API as the sandbox serves it. Times are ISO 8601 UTC; "
            "the `timestamps` shape switch adds milliseconds.",
        },
        "servers": [{"url": "/sandbox"}],
        "paths": {**PATHS, **SDR_PATHS},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "the workspace key"},
                "sdrKey": {"type": "http", "scheme": "bearer", "description": "an SDR's personal key"},
            },
        },
    }
