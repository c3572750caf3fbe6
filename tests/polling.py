"""A live partial as the browser polls it, for tests of its ETag: `changed()` sends back the ETag
it holds (If-None-Match) and keeps the new one after a 200, as the page does."""


class Polled:
    def __init__(self, client, url: str, query: dict | None = None):
        self.client, self.url, self.query = client, url, query or {}
        self.response = self.get()
        assert self.response.status_code == 200, self.response.status_code
        self.etag = self.response["ETag"]

    def get(self, etag: str | None = None, **headers):
        headers = {"HX-Request": "true", **headers} | ({"If-None-Match": etag} if etag else {})
        return self.client.get(self.url, self.query, headers=headers)

    def changed(self, **headers) -> bool:
        """True: drawn again (200); False: unchanged (304)."""
        response = self.get(self.etag, **headers)
        assert response.status_code in (200, 304), response.status_code
        if response.status_code == 200:
            self.response, self.etag = response, response["ETag"]
        return response.status_code == 200

    @property
    def html(self) -> str:
        return self.response.content.decode()
