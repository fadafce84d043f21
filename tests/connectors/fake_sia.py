"""A Sign In App in memory, behind httpx.MockTransport, for tests that feed the client the docs' own examples.

Like the real API it answers a request lacking `Content-Type: application/json` or `Accept:
application/json` with a 302 to its sign-in page (Getting Started, "Common Problems and Solutions").
"""
import json
import pathlib
import re

import httpx

DOCS_EXAMPLES = pathlib.Path(__file__).parent.parent / "fixtures" / "sia_client_api_docs.json"
BASE_URL = "https://example.signinapp.com/client-api/v1"


def docs_examples():
    """The docs' example group list and members pages (tests/fixtures/sia_client_api_docs.json)."""
    return json.loads(DOCS_EXAMPLES.read_text())


def refusing_without_json_headers(answer):
    """A transport that redirects a request lacking either JSON header, as Sign In App does, else asks
    `answer(request)`; the requests it saw are on its `.seen` list."""
    seen = []

    def handle(request):
        seen.append(request)
        if request.headers.get("Accept") != "application/json" or request.headers.get("Content-Type") != "application/json":
            return httpx.Response(302, headers={"Location": "https://example.signinapp.com/login"})
        return answer(request)

    transport = httpx.MockTransport(handle)
    transport.seen = seen
    return transport


def documented_account(groups, pages, details=None):
    """A transport serving `GET /groups` (`groups`) and `GET /groups/{id}/members?page=N` (`pages`:
    {group id: [page body, …]}), and, as the partner integration, `GET /groups/{id}` from `details`
    ({group id: {"integrations": …, "sign_in_options": …}}); anything else is 404."""
    by_id = {int(group["id"]): group for group in groups}

    def answer(request):
        path = request.url.path.removeprefix("/client-api/v1")
        if path == "/groups":
            return httpx.Response(200, json=groups)
        members = re.fullmatch(r"/groups/(\d+)/members", path)
        if members and int(members[1]) in pages:
            number = int(request.url.params.get("page", "1"))
            group_pages = pages[int(members[1])]
            if number <= len(group_pages):
                return httpx.Response(200, json=group_pages[number - 1])
            return httpx.Response(200, json={"links": {"next": None}, "meta": {}, "data": []})
        group = re.fullmatch(r"/groups/(\d+)", path)
        if group and details is not None and int(group[1]) in by_id:
            return httpx.Response(200, json={**by_id[int(group[1])], **details.get(int(group[1]), {})})
        return httpx.Response(404, json={"message": "Not found."})

    return refusing_without_json_headers(answer)
