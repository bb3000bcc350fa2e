"""Text answers compressed for the wire: brotli where the browser takes it, else gzip (Flask-Compress).

Most buyers are on phones, often on metered mobile data: a product page's HTML shrinks about five-fold,
the stylesheet and the JSON API alike. Only text types, only above ``MIN_SIZE`` bytes (below it the
headers cost more than they save); photos are JPEG/WebP already. An ETag of a compressed answer names
its encoding (``"…:br"``) and a conditional request is answered 304 on it, so the page cache's
revalidation keeps working. gzip level 6 and brotli quality 4 are the libraries' balance of CPU against
size for answers made per request.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

MIN_SIZE = 1024
MIMETYPES = ("text/html", "text/css", "text/plain", "text/csv", "text/xml", "text/javascript",
             "application/javascript", "application/json", "application/xml", "application/rss+xml",
             "application/atom+xml", "image/svg+xml", "text/calendar")


def init_app(app: Flask) -> None:
    app.config.update(COMPRESS_ALGORITHM=["br", "gzip"], COMPRESS_STREAMS=False, COMPRESS_MIN_SIZE=MIN_SIZE,
                      COMPRESS_MIMETYPES=list(MIMETYPES), COMPRESS_LEVEL=6, COMPRESS_BR_LEVEL=4)
    Compress(app)

    @app.after_request  # runs before Compress's hook (Flask runs them last-registered first)
    def _static_text_in_memory(response: Response) -> Response:
        """A stylesheet or script is a file streamed from disk; Flask-Compress's streaming path leaves
        that file open, so a text file is read into memory here (they are a few kB) and compressed whole."""
        if (request.endpoint == "static" and response.status_code == 200 and response.mimetype in MIMETYPES
                and response.is_streamed):
            response.direct_passthrough = False
            response.get_data()  # reads it and closes the file when the answer is closed
        return response
