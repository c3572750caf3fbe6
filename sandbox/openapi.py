def document():
    return {"openapi": "3.1.0"}
