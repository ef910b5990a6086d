"""The home page (tablero): the node at a glance, for every role."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from enlace.exchange.witness_status import ALERT_KINDS
from enlace.web.context import Context
from enlace.web.i18n import Formatter
from enlace.web.navigation import (
    ALERT_ROLES,
    EXCHANGE_ROLES,
    MATCHING_ROLES,
    RECORD_ROLES,
    TRACKING_ROLES,
    may,
)
from enlace.web.queries.dashboard import dashboard
from enlace.web.rendering import render, request_language
from enlace.web.security import CurrentUser, allow
from enlace.web.sparkline import chart_text, sparkline

SPARK_POINTS = 12  # the latest periods drawn at a glance

router = APIRouter()


@router.get("/web/")
def home(request: Request, context: Context, user: CurrentUser = allow()) -> HTMLResponse:
    """Records by kind and owner, exchange per partner, latest hits, indicators, next meeting;
    and witnessing's audit alerts, for the roles that can act on them."""
    view = dashboard(
        context.store,
        party=context.party,
        today=date.today(),
        alerts=may(user.roles, ALERT_ROLES),
    )
    t = Formatter(request_language(request, user))
    sparks = {
        series.id: sparkline(
            [p.value for p in series.points[-SPARK_POINTS:]],
            target=series.target.value if series.target is not None else None,
            label=chart_text(series, t, last=SPARK_POINTS),
        )
        for series in view.indicators
    }
    return render(
        request,
        user,
        "dashboard.html",
        {
            "view": view,
            "sparks": sparks,
            "alert_kinds": ALERT_KINDS,
            "links": {
                "records": may(user.roles, RECORD_ROLES),
                "exchange": may(user.roles, EXCHANGE_ROLES),
                "matching": may(user.roles, MATCHING_ROLES),
                "tracking": may(user.roles, TRACKING_ROLES),
            },
        },
    )
