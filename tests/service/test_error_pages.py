"""Error pages for people: the site's header and navigation, in the reader's language, the
service's message in French when it has one; over real HTTP, and for the statuses no page
route can be made to answer (406, 500, 503) through the one renderer every error goes by."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest

from kg.paths import Layout
from service.errors import ServiceError, render
from service.i18n import ERROR_WORDS, WORDS
from service.routes import family
from tests.http import Reply, request
from tests.live import LiveServer

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FRENCH = {**BROWSER, "Cookie": "dmkg_lang=fr"}
# Words of the English pages a French reader must not meet.
ENGLISH = re.compile(r"\b(Not Found|Bad Request|Method Not Allowed|Search|Home|Browse|Claims|"
                     r"parameter|expected|no entity|requested URL)\b")


def shown(page: str) -> str:
    """The text a reader sees, scripts and styles left out."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def check_french(page: str, status: int) -> None:
    assert '<html lang="fr">' in page
    assert f"<h1>{status} {ERROR_WORDS['fr'][str(status)]}</h1>" in page
    # The site's header: every part of the site and the search box, in French.
    header = page.split('<header class="bar">')[1].split("</header>")[0]
    for href, word in (("/browse?lang=fr", "browse"), ("/claims?lang=fr", "claims_browser"),
                       ("/map?lang=fr", "map"), ("/sparql?lang=fr", "editor")):
        assert f'<a href="{href}">{html.escape(WORDS["fr"][word])}</a>' in header
    assert 'role="search"' in header and ">Rechercher</button>" in header
    assert ENGLISH.search(shown(page)) is None, ENGLISH.findall(shown(page))


def get(server: LiveServer, path: str, method: str = "GET",
        headers: dict[str, str] | None = None) -> Reply:
    return request(method, server.url + path, headers=headers or FRENCH)


def test_pages_errors_are_french_pages_of_the_site(live_server: LiveServer) -> None:
    for path, method, status, said in (
            ("/no-such-page", "GET", 404, "Aucune page ne se trouve à cette adresse."),
            ("/claims?page=abc", "GET", 400, "paramètre «\u00a0page\u00a0»\u202f: un nombre "
                                             "entier est attendu"),
            ("/claims?kind=Rumour", "GET", 400, "«\u00a0Rumour\u00a0» n\u2019est pas une "
                                                "valeur possible"),
            ("/browse/substance?page=99", "GET", 404, "la page 99 est au-delà"),
            ("/browse/nonsense", "GET", 404, "aucune sorte «\u00a0nonsense\u00a0»"),
            ("/id/substance/nope", "GET", 404, "aucune entité substance/nope dans ce graphe"),
            ("/id/substance/cocaine?format=xyz", "GET", 400,
             "format «\u00a0xyz\u00a0» non disponible ici"),
            ("/browse", "DELETE", 405, "Cette adresse ne répond pas à cette méthode."),
            ("/id/substance/cocaine", "DELETE", 405, "ne répond pas à cette méthode")):
        reply = get(live_server, path, method)
        assert reply.status == status and reply.media_type == "text/html", path
        assert reply.headers["content-language"] == "fr", path
        check_french(reply.text, status)
        assert said in shown(reply.text), path
        assert "(en anglais)" not in reply.text, path


def test_english_pages_and_messages_without_french(live_server: LiveServer) -> None:
    english = get(live_server, "/no-such-page?lang=en", headers=BROWSER)
    assert english.status == 404 and '<html lang="en">' in english.text
    assert "<h1>404 Not Found</h1>" in english.text and ">Browse</a>" in english.text
    assert "No page lives at this address." in english.text
    # A message the French table does not know is shown as written, marked as English.
    _, _, body = render(ServiceError(409, "the update could not be applied: a clash"),
                        family("/claims"), {}, "fr")
    assert ('Détail (en anglais)\u202f: <span lang="en">the update could not be applied: '
            "a clash</span>") in body.decode()


@pytest.mark.parametrize("status,message,headers", [
    (400, "parameter 'q': expected an integer", ()),
    (404, "404 Not Found: The requested URL was not found on the server.", ()),
    (405, "405 Method Not Allowed: The method is not allowed for the requested URL.", ()),
    (406, "none of the accepted media types can be produced; available: text/html", ()),
    (429, "slow down and retry after Retry-After seconds", (("Retry-After", "7"),)),
    (500, "the server could not answer this request", ()),
    (503, "the query ran longer than the 1.5 s time limit and was stopped; narrow it "
          "(LIMIT, more specific patterns)", ()),
])
def test_every_status_a_reader_meets_is_a_french_page(
        status: int, message: str, headers: tuple[tuple[str, str], ...]) -> None:
    _, sent, body = render(ServiceError(status, message, headers), family("/claims"), {}, "fr")
    assert ("Content-Type", "text/html; charset=utf-8") in sent
    assert ("Content-Language", "fr") in sent
    page = body.decode()
    check_french(page, status)
    explained = ERROR_WORDS["fr"].get(f"explain_{status}") or ERROR_WORDS["fr"][
        f"explain_{status // 100}"]
    assert html.escape(explained) in page
    assert "(en anglais)" not in page  # a message of the service's own, said in French
    if status == 429:
        assert "Réessayez dans 7\u00a0s." in page


@pytest.mark.slow
def test_a_reader_over_the_rate_gets_a_french_page(tmp_path: Path, built: Layout) -> None:
    with LiveServer(tmp_path, home=built.root,
                    settings={"RATE_LIMIT": "1", "RATE_BURST": "2"}) as server:
        time.sleep(2.5)  # the start-up probes spent some of the burst
        replies = [get(server, "/browse?lang=fr") for _ in range(5)]
        refused = [r for r in replies if r.status == 429]
        assert refused, [r.status for r in replies]
        assert refused[0].media_type == "text/html"
        check_french(refused[0].text, 429)
        assert "Réessayez dans" in refused[0].text
