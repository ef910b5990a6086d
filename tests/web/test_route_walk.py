"""Every route of a node, walked with boundary values and with schemathesis's generated
requests, signed in: no answer is a 5xx.

The routes come from the application (`support.routes.served_routes`): the web pages, the
partners' APIs (matching under /matching/v1/, TAXII 2.1) and the static files. The node
serves no OpenAPI document (nobody should learn its routes from it), so the schema the walk
uses is written here from those routes: each path parameter, query parameter and form field
a string, the bodies of the matching protocol bytes. Every request goes to a real server on
loopback, with a session holding every role (its cookie and CSRF token) for the web pages and
the partner US's Bearer token for the partners' APIs.

Two passes per operation:

- **boundary values**: each parameter in turn takes each value of `BOUNDARY` (numbers past
  32 and 64 bits, 29 digits, digits of other scripts, days at the calendar's ends, empty,
  NUL, 5,000 characters...), the others keeping a value that reaches past the route's first
  checks (`BASE`: the real API root, collection, record...);
- **generated**: `GENERATED_EXAMPLES` requests schemathesis draws from the schema
  (Hypothesis, derandomised: the same requests each run).

Bounded in time by those counts: about a minute on two cores. The test prints its summary
(``pytest -s``): operations, requests per operation, 5xx.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation

from enlace.exchange.release import release_one
from enlace.exchange.taxii.protocol import collection_id
from enlace.matching.agreements import set_agreement
from enlace.model.roles import Role
from enlace.node.config import NodeConfig
from enlace.node.keys import load_signing_key
from enlace.store.repositories.partners import token_hash
from enlace.store.store import Store
from enlace.web.security import CSRF_HEADER, SESSION_COOKIE
from support.pages import US_KEY, mx_node
from support.routes import ServedRoute, served_routes
from support.web import RunningWeb, serving, session_csrf

pytestmark = pytest.mark.e2e

GENERATED_EXAMPLES = 60  # per operation, drawn by schemathesis; fewer where fewer exist
PARTNER_TOKEN = "us-pulls-mx-0123456789abcdef"
BOUNDARY: tuple[str, ...] = (
    "",
    "0",
    "-1",
    "1",
    "2147483647",
    "2147483648",  # past PostgreSQL's INTEGER
    "9223372036854775808",  # past a signed 64-bit integer
    "18446744073709551616",
    "9" * 29,
    "9" * 5000,  # past int()'s digit limit
    "٣",  # Arabic-Indic three
    "３",  # fullwidth three
    "²",  # passes str.isdigit(), not int()
    "1_000",
    " 1",
    "1e3",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59-01:00",
    "2025-02-30",
    "\x00",
    "%",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "x" * 5000,
    "ñandú—Ωμέγα",
)
Operation = APIOperation[Any, Any, Any, Any]
WalkCase = Case[Any]
RAW_BODIES: tuple[bytes, ...] = (b"", b"\x00" * 32, b"\xff" * 33, b"{}", b'{"handle": 1}')


@dataclass(slots=True)
class Walk:
    """What the walk sent and what came back."""

    sent: dict[str, int] = field(default_factory=dict)  # operation -> requests
    boundary: dict[str, int] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)


def openapi(routes: list[ServedRoute]) -> dict[str, Any]:
    """An OpenAPI 3.0 document of `routes`, every parameter a string."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "operationId": f"{route.method} {route.path}",
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in route.path_parameters
            ]
            + [
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                for name in route.query_parameters
            ],
            "responses": {"default": {"description": "any answer but a 5xx"}},
        }
        if route.form_fields:
            properties = {name: {"type": "string"} for name in route.form_fields}
            operation["requestBody"] = {
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "properties": properties}
                    }
                }
            }
        elif route.raw_body:
            operation["requestBody"] = {
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                }
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {"openapi": "3.0.3", "info": {"title": "Enlace node", "version": "1"}, "paths": paths}


def boundary_cases(
    operation: Operation, route: ServedRoute, base: dict[str, str], base_query: dict[str, str]
) -> list[WalkCase]:
    """Each parameter of `route` in turn with each value of `BOUNDARY`, the others at `base`."""
    path_values = {name: base.get(name, "x") for name in route.path_parameters}
    query_values = {name: base_query[name] for name in route.query_parameters if name in base_query}
    form_values: dict[str, Any] = {name: base.get(name, "x") for name in route.form_fields}

    def case(
        path: dict[str, str], query: dict[str, str], form: dict[str, Any] | None = None
    ) -> WalkCase:
        if not route.form_fields:
            return operation.Case(path_parameters=path, query=query)
        return operation.Case(
            path_parameters=path,
            query=query,
            body=form_values if form is None else form,
            media_type="application/x-www-form-urlencoded",
        )

    cases = []
    for name in route.path_parameters:
        # An empty path segment is another route.
        cases += [case({**path_values, name: v}, query_values) for v in BOUNDARY if v]
    for name in route.query_parameters:
        cases += [case(path_values, {**query_values, name: v}) for v in BOUNDARY]
    for name in route.form_fields:
        cases += [case(path_values, query_values, {**form_values, name: v}) for v in BOUNDARY]
    if route.raw_body:
        cases += [
            operation.Case(
                path_parameters=path_values,
                query=query_values,
                body=body,
                media_type="application/octet-stream",
            )
            for body in RAW_BODIES
        ]
    return cases or [case(path_values, query_values)]


def walk_generated(operation: Operation, send: Callable[[WalkCase], None]) -> None:
    """`send` up to `GENERATED_EXAMPLES` requests schemathesis draws for `operation`."""

    @settings(
        max_examples=GENERATED_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def generated(case: WalkCase) -> None:
        send(case)

    generated()


@pytest.fixture
def node(store: Store, tmp_path: Path) -> Iterator[tuple[RunningWeb, dict[str, str]]]:
    ids = mx_node(store)
    with serving(store, tmp_path / "mx") as web:
        key = load_signing_key(NodeConfig(directory=tmp_path / "mx", party="MX").key_dir)
        release_one(store, record_id=ids["own"], partner="US", signing_key=key, actor="test")
        with store.unit_of_work() as uow:
            # A closed port: a sync the walk starts is refused at once, not waited for.
            uow.partners.put(
                party="US",
                url="http://127.0.0.1:9",
                verify_key_hex=US_KEY.verify_key.encode().hex(),
                token_hash=token_hash(PARTNER_TOKEN),
                added_at=uow.started_at,
            )
            set_agreement(
                uow,
                partner="US",
                kind="phone",
                max_set_size=100,
                runs_per_day=100_000,
                at=uow.started_at,
                actor="test",
            )
            uow.commit()
        web.add("everyone", *Role)
        yield web, ids


def test_every_route_walked_with_boundary_values_answers_no_5xx(
    node: tuple[RunningWeb, dict[str, str]],
) -> None:
    web, ids = node
    routes = served_routes(web.app)
    schema = schemathesis.openapi.from_dict(openapi(routes))
    by_label = {route.label: route for route in routes}
    # A value for each parameter that gets past the route's first checks, so that a
    # boundary value in another parameter is read by what lies behind them.
    base = {
        "api_root": "enlace",
        "collection": collection_id("MX", "US"),
        "object_id": ids["own"],
        "record_id": ids["own"],
        "request_id": "1",
        "run_id": "0" * 32,
        "rest": "no-such-page",
        "path": "favicon.svg",
        "partner": "US",
        "reason": "not ours",
        "lang": "en",
        "next": "/web/",
        "username": "nobody",
        "password": "not the password",
    }
    base_query = {"kind": "phone", "size": "1"}  # the matching API's, for its agreement
    everyone = web.login("everyone")
    leaving = web.login("everyone")  # the session POST /web/logout ends: not the walk's
    sessions = {
        "walk": (everyone.cookies[SESSION_COOKIE], session_csrf(everyone, "/web/")),
        "logout": (leaving.cookies[SESSION_COOKIE], session_csrf(leaving, "/web/")),
    }
    http = requests.Session()
    walk = Walk()

    def send(route: ServedRoute, case: WalkCase) -> None:
        if route.application == "partners":
            headers = {"Authorization": f"Bearer {PARTNER_TOKEN}"}
            cookies: dict[str, str] = {}
        else:
            cookie, csrf = sessions["logout" if route.path == "/web/logout" else "walk"]
            headers, cookies = {CSRF_HEADER: csrf}, {SESSION_COOKIE: cookie}
        answer = case.call(
            base_url=web.url,
            session=http,
            headers=headers,
            cookies=cookies,
            allow_redirects=False,
            timeout=30,
        )
        walk.sent[route.label] = walk.sent.get(route.label, 0) + 1
        if answer.status_code >= 500:
            walk.faults.append(f"{answer.status_code} {case.as_curl_command()}")

    started = time.monotonic()
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the schema written from the routes is invalid"
    for operation in operations:
        route = by_label[operation.label]
        cases = boundary_cases(operation, route, base, base_query)
        for case in cases:
            send(route, case)
        walk.boundary[route.label] = len(cases)
        walk_generated(operation, functools.partial(send, route))
    seconds = time.monotonic() - started

    requests_sent = sorted(walk.sent.values())
    summary = (
        f"route walk: {len(operations)} operations, {sum(requests_sent)} requests "
        f"({min(walk.boundary.values())}-{max(walk.boundary.values())} boundary cases and up "
        f"to {GENERATED_EXAMPLES} generated per operation; {requests_sent[0]}-"
        f"{requests_sent[-1]} requests each), {len(walk.faults)} 5xx, {seconds:.0f} s"
    )
    print(summary)
    assert walk.faults == [], "\n".join(walk.faults[:20])
    assert {operation.label for operation in operations} == set(by_label)
    assert len(operations) >= 40, summary  # the routes of this writing: none may drop out
