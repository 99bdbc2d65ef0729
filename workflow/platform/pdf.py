"""PDF export with WeasyPrint: a print template's HTML becomes an A4 document.

A document (the tjänsteutlåtande, meeting minutes) is a standalone HTML page without navigation,
the same page a browser would print. ``html_to_pdf`` adds ``PAGE_CSS`` as a user stylesheet:
A4, margins for binding and "Sida X av Y" at the foot of every page (CSS counters ``page`` and
``pages``). A template overrides any of it with its own ``@page`` rule (author styles win over
user styles). An element with class ``running-title`` repeats its text at the top of every page
after the first.

WeasyPrint is imported when a PDF is asked for, not when the app starts: where its system
libraries (Pango, HarfBuzz) are missing the rest of the app still runs and a PDF request gets
:class:`PdfUnavailable` (503, "PDF kan inte skapas ...").

Rendering never goes to the network or the file system on the page's behalf: ``data:`` URLs
and the app's own ``/static/`` files (read from disk) are the only resources it loads, so an
image or stylesheet link in a document neither calls back into the server (which could block a
single-worker deployment) nor reaches anything else.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from flask import Response, current_app, has_app_context, has_request_context, request
from werkzeug.security import safe_join

from workflow.platform.errors import ServiceError
from workflow.states.i18n import N_

__all__ = ["PAGE_CSS", "PdfUnavailable", "html_to_pdf", "page_css", "pdf_response",
           "safe_filename"]


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def page_css(page: str = "Sida", of: str = "av") -> str:
    """The A4 page rule; ``page``/``of`` spell "Sida 2 av 5" (Swedish by default)."""
    label = f'"{_css_string(page)} " counter(page) " {_css_string(of)} " counter(pages)'
    return f"""
@page {{
  size: A4 portrait;
  margin: 22mm 20mm 24mm 25mm;
  @top-right {{ content: string(running-title); font-size: 8pt; color: #4a4a4a; }}
  @bottom-center {{ content: {label}; font-size: 8pt; color: #4a4a4a; }}
}}
@page :first {{ @top-right {{ content: none; }} }}
.running-title {{ string-set: running-title content(text); }}
html {{ font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; }}
h1, h2, h3 {{ break-after: avoid; }}
tr, li {{ break-inside: avoid; }}
"""


PAGE_CSS = page_css()


class PdfUnavailable(ServiceError):
    """WeasyPrint (or the system libraries it needs) is missing on this server."""

    status = 503
    message = N_("PDF kan inte skapas på den här servern just nu. Skriv ut sidan från "
                 "webbläsaren i stället, och be administratören installera WeasyPrint.")

    def __init__(self, cause: str):
        self.cause = cause
        super().__init__()

    def __str__(self) -> str:
        return f"PDF export is unavailable: {self.cause}"


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """Render ``html`` (a complete document) as an A4 PDF.

    ``base_url`` resolves relative links such as ``/static/logo.png``; in a request it defaults
    to the app's root URL. Raises :class:`PdfUnavailable` when WeasyPrint cannot be loaded.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango or another library is missing
        if has_app_context():
            current_app.logger.error("PDF export unavailable: %s", exc)
        raise PdfUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if base_url is None and has_request_context():
        base_url = request.url_root
    fetcher = _url_fetcher(weasyprint, base_url)
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[weasyprint.CSS(string=PAGE_CSS)])


def pdf_response(html: str, filename: str) -> Response:
    """``html`` as a downloaded PDF file named ``filename`` (made safe ASCII)."""
    body = html_to_pdf(html)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    return response


def safe_filename(name: str, default: str = "dokument") -> str:
    """An ASCII file name ending in .pdf: "Tjänsteutlåtande nr 7" becomes
    "Tjansteutlatande-nr-7.pdf"."""
    stem = re.sub(r"\.pdf$", "", name or "", flags=re.IGNORECASE)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem)
    ascii_stem = re.sub(r"-{2,}", "-", ascii_stem).strip("-._")[:120]
    return f"{ascii_stem or default}.pdf"


# ---------------------------------------------------------------- resources

def _static_file(url: str, base_url: str | None) -> str | None:
    """The file on disk behind a URL of the app's own /static/ folder, else None."""
    if not (base_url and has_app_context() and current_app.static_folder):
        return None
    prefix = urljoin(base_url, (current_app.static_url_path or "/static").rstrip("/") + "/")
    target = urlsplit(url)
    if not url.startswith(prefix) or target.query:
        return None
    relative = unquote(target.path[len(urlsplit(prefix).path):])
    path = safe_join(current_app.static_folder, relative)
    return path if path and os.path.isfile(path) else None


def _refuse(url: str) -> ValueError:
    return ValueError(f"PDF rendering loads only data: URLs and the app's /static/ files, "
                      f"not {url}")


def _url_fetcher(weasyprint: Any, base_url: str | None) -> Any:
    """A fetcher for this WeasyPrint version that serves ``data:`` and /static/ only."""
    urls = weasyprint.urls
    base = getattr(urls, "URLFetcher", None)
    if base is None:  # WeasyPrint before the URLFetcher class: a function returning a dict
        def fetch(url: str, *args: Any, **kwargs: Any) -> dict:
            local = _static_file(url, base_url)
            if url.startswith("data:"):
                return weasyprint.default_url_fetcher(url, *args, **kwargs)
            if local is not None:
                return weasyprint.default_url_fetcher(Path(local).as_uri(), *args, **kwargs)
            raise _refuse(url)
        return fetch

    class LocalFetcher(base):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            local = _static_file(url, base_url)
            if local is not None:
                return super().fetch(Path(local).as_uri(), headers)
            raise _refuse(url)

    return LocalFetcher(allowed_protocols={"data", "file"})
