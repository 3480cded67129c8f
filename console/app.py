"""The console's web app: pages (Jinja2, autoescaped) and the JSON API beside them (``/api/…``).

Routes stay thin: they read through :mod:`console.services` and change things only through the
storage services the CLI uses (:func:`storage.review.set_status`, :func:`storage.exports.export_package`,
:mod:`storage.cases`). Who is asking comes from a signed session cookie (pages, and the page's own
``fetch`` calls with the CSRF header) or an ``Authorization: Bearer`` API token (scripts).
"""

# no `from __future__ import annotations`: FastAPI reads the local Annotated aliases at runtime

import datetime as dt
import hmac
import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from console import services as sv
from console.sqlquery import QueryRefused, run_query, to_csv
from console.users import (
    ROLES,
    LoginError,
    Principal,
    TooManyAttempts,
    authenticate,
    principal_for_id,
    principal_for_token,
)
from markwatch.errors import UserError
from markwatch.platforms import PLATFORMS
from storage.models import Brand, CaseStatus, SavedQuery
from storage.queries import listing_ids, queue_page

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed"}
#: Case answers the board can record (the platform's answer to a submitted complaint).
ANSWERS = ("removed", "rejected", "counter-notice", "reinstated")
BOARD = ("draft", "submitted", "counter-notice", "removed", "rejected", "reinstated")


class LoginRequired(Exception):
    """A page asked for without a session: the browser goes to the sign-in page."""


class Forbidden(Exception):
    def __init__(self, why: str) -> None:
        self.why = why


class DecisionIn(BaseModel):
    action: str = Field(description="confirm, dismiss, undo or second (four-eyes agreement)")
    note: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, description="with confirm: counterfeit, unauthorised-use…")


class BulkIn(BaseModel):
    filter: dict[str, str] = Field(default_factory=dict, description="the queue's filter fields")
    action: str = Field(description="confirm or dismiss")
    expect: int = Field(description="the count the preview showed; refused if the filter now selects another")
    note: str | None = Field(default=None, max_length=2000)


class ExportIn(BaseModel):
    brand: str
    platform: str
    listing_ids: list[int] | None = None


class SubmitIn(BaseModel):
    number: str = Field(min_length=1, max_length=100)


class AnswerIn(BaseModel):
    status: str
    note: str | None = Field(default=None, max_length=2000)


def create_app(engine: Engine, settings: sv.Settings | None = None) -> FastAPI:
    settings = settings or sv.Settings()
    secret = settings.secret_key or secrets.token_urlsafe(32)
    app = FastAPI(
        title="markwatch review console",
        description="Review suspects, decide, export takedown packages and follow cases.",
        version="1",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="markwatch_session",
        max_age=12 * 3600,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    templates = Jinja2Templates(env=env)

    @app.middleware("http")
    async def server_timing(request: Request, call_next: Any) -> Response:
        start, cpu = time.perf_counter(), time.process_time()
        response: Response = await call_next(request)
        # wall time in the app, and the process's CPU time meanwhile (the request's own when alone)
        response.headers["Server-Timing"] = (
            f"app;dur={(time.perf_counter() - start) * 1000:.1f}, "
            f"cpu;dur={(time.process_time() - cpu) * 1000:.1f}"
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    templates.env.globals["PLATFORMS"] = PLATFORMS
    templates.env.filters["pct"] = lambda x: "—" if x is None else f"{x:.0%}"
    templates.env.filters["when"] = lambda t: "" if t is None else f"{t:%Y-%m-%d %H:%M}"
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.engine = engine
    app.state.settings = settings

    # --- plumbing -----------------------------------------------------------------------------------

    def db() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    DB = Annotated[Session, Depends(db)]

    def _principal(request: Request, session: Session) -> Principal | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return principal_for_token(session, auth[7:].strip())
        uid = request.session.get("uid")
        return principal_for_id(session, int(uid)) if isinstance(uid, int) else None

    def _is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def user(request: Request, session: DB) -> Principal:
        who = _principal(request, session)
        if who is None:
            if _is_api(request):
                raise HTTPException(
                    401, "sign in, or send Authorization: Bearer TOKEN (markwatch users token)"
                )
            raise LoginRequired()
        request.state.user = who
        return who

    def _check_csrf(request: Request, sent: str | None) -> None:
        if request.headers.get("authorization", "").lower().startswith("bearer "):
            return  # a token is not sent by browsers on their own
        want = request.session.get("csrf")
        if not want or not sent or not hmac.compare_digest(str(want), str(sent)):
            raise Forbidden("the form's CSRF token is missing or stale: reload the page and try again")

    async def csrf(request: Request) -> None:
        if request.method != "POST":
            return
        sent = request.headers.get("x-csrf-token")
        if sent is None and "form" in request.headers.get("content-type", ""):
            form = await request.form()
            value = form.get("csrf")
            sent = value if isinstance(value, str) else None
        _check_csrf(request, sent)

    def role(required: str) -> Any:
        def check(who: Annotated[Principal, Depends(user)], _c: Annotated[None, Depends(csrf)]) -> Principal:
            if not who.can(required):
                raise Forbidden(f"{who.name} is a {who.role}: this needs the {required} role")
            return who

        return check

    Viewer = Annotated[Principal, Depends(role("viewer"))]
    Analyst = Annotated[Principal, Depends(role("analyst"))]
    Admin = Annotated[Principal, Depends(role("admin"))]

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(24)
        return str(token)

    def page(
        request: Request, template: str, who: Principal | None, status_code: int = 200, **ctx: Any
    ) -> HTMLResponse:
        flash = request.session.pop("flash", None)
        return templates.TemplateResponse(
            request,
            template,
            {"user": who, "csrf": csrf_token(request), "flash": flash, "nav": template.split(".")[0], **ctx},
            status_code=status_code,
        )

    def flash(request: Request, text: str, kind: str = "ok") -> None:
        request.session["flash"] = {"text": text, "kind": kind}

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.why}, status_code=403)
        return page(request, "error.html", getattr(request.state, "user", None), 403, message=exc.why)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return page(request, "error.html", getattr(request.state, "user", None), 400, message=str(exc))

    # --- sign in ------------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/queue") -> HTMLResponse:
        return page(request, "login.html", None, next=_local(next))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        _check_csrf(request, _s(form.get("csrf")))
        name, password, nxt = _s(form.get("name")), _s(form.get("password")), _local(_s(form.get("next")))
        client = request.client.host if request.client else "?"
        with Session(engine) as session:
            try:
                who = authenticate(session, name, password, client)
            except TooManyAttempts as exc:
                session.commit()
                return page(request, "login.html", None, 429, next=nxt, error=str(exc), name=name)
            except LoginError as exc:
                session.commit()
                return page(request, "login.html", None, 401, next=nxt, error=str(exc), name=name)
            session.commit()
        request.session.clear()
        request.session["uid"] = who.id
        request.session["csrf"] = secrets.token_urlsafe(24)
        return RedirectResponse(nxt, status_code=303)

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request, _c: Annotated[None, Depends(csrf)]) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/queue", status_code=303)

    # --- queue --------------------------------------------------------------------------------------

    def _queue(session: Session, request: Request) -> dict[str, Any]:
        form = sv.FilterForm.from_params(request.query_params)
        f = sv.build_filter(session, form)
        try:
            size = int(request.query_params.get("size") or 20)
            page_no = max(1, int(request.query_params.get("page") or 1))
        except ValueError:
            raise UserError("page and size are whole numbers") from None
        size = size if size in sv.PAGE_SIZES else 20
        rows = queue_page(session, f, offset=(page_no - 1) * size, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        thumbs = sv.first_images(session, [r.id for r in rows], settings.photos_dir)
        return {
            "form": form,
            "rows": rows,
            "thumbs": thumbs,
            "more": more,
            "page": page_no,
            "size": size,
            "urls": {r.id: sv.safe_url(r.platform, r.url) for r in rows},
            "strongest": {r.id: sv.strongest(r.reasons) for r in rows},
            "query": urlencode(form.as_params()),
        }

    @app.get("/queue", response_class=HTMLResponse, include_in_schema=False)
    def queue_view(request: Request, session: DB, who: Viewer) -> HTMLResponse:
        data = _queue(session, request)
        return page(request, "queue.html", who, brands=sv.brand_slugs(session), **data)

    @app.get("/api/queue", tags=["queue"])
    def api_queue(request: Request, session: DB, who: Viewer) -> dict[str, Any]:
        """The queue: same filters as `markwatch suspects` (brand, platform, status, min_score, seller,
        since, search), highest risk first; `page` and `size` (1, 20, 50, 100)."""
        data = _queue(session, request)
        return {
            "page": data["page"],
            "size": data["size"],
            "more": data["more"],
            "rows": [r.as_dict() for r in data["rows"]],
        }

    def _bulk_preview(session: Session, fields: dict[str, str]) -> tuple[list[int], Any]:
        form = sv.FilterForm.from_params(fields)
        if not form.as_params():
            raise UserError(
                "a bulk action needs a filter (brand, platform, search…): it would take the whole queue"
            )
        f = sv.build_filter(session, form)
        ids = listing_ids(session, f)
        return ids, f

    @app.get("/bulk", response_class=HTMLResponse, include_in_schema=False)
    def bulk_preview(request: Request, session: DB, who: Analyst) -> HTMLResponse:
        form = sv.FilterForm.from_params(request.query_params)
        ids, f = _bulk_preview(session, form.as_params())
        f.limit = 10
        sample = queue_page(session, f, limit=10)
        action = request.query_params.get("action", "confirm")
        if action not in ACTIONS:
            raise UserError("bulk action: confirm or dismiss")
        return page(request, "bulk.html", who, form=form, count=len(ids), sample=sample, action=action)

    @app.post("/bulk", include_in_schema=False)
    async def bulk_apply(request: Request, who: Analyst) -> Response:
        form = await request.form()
        fields = {k: _s(form.get(k)) for k in sv.FilterForm.__dataclass_fields__}
        body = BulkIn(
            filter=fields,
            action=_s(form.get("action")),
            expect=int(_s(form.get("expect")) or -1),
            note=_s(form.get("note")) or None,
        )
        n = _do_bulk(body, who)
        flash(request, f"{n} listing(s) {ACTIONS[body.action]}")
        return RedirectResponse(
            "/queue?" + urlencode(sv.FilterForm.from_params(fields).as_params()), status_code=303
        )

    def _do_bulk(body: BulkIn, who: Principal) -> int:
        from storage.review import set_status

        if body.action not in ACTIONS:
            raise UserError("bulk action: confirm or dismiss")
        with Session(engine) as session, session.begin():
            ids, _f = _bulk_preview(session, body.filter)
            if len(ids) != body.expect:
                raise UserError(
                    f"the filter now selects {len(ids)} listing(s), not the {body.expect} previewed: "
                    "look again"
                )
            result = set_status(session, ids, ACTIONS[body.action], actor=who.name, note=body.note)
        return len(result.changed)

    @app.post("/api/bulk", tags=["queue"])
    def api_bulk(body: BulkIn, who: Analyst) -> dict[str, Any]:
        """Confirm or dismiss every listing a filter selects; `expect` is the previewed count."""
        return {"changed": _do_bulk(body, who)}

    @app.get("/api/bulk/preview", tags=["queue"])
    def api_bulk_preview(request: Request, session: DB, who: Viewer) -> dict[str, Any]:
        ids, f = _bulk_preview(session, dict(request.query_params))
        sample = queue_page(session, f, limit=10)
        return {"count": len(ids), "sample": [r.as_dict() for r in sample]}

    # --- decisions ----------------------------------------------------------------------------------

    def _decide(listing_id: int, body: DecisionIn, who: Principal) -> dict[str, Any]:
        from storage.models import Listing
        from storage.review import second_confirm, set_status, undo_last

        with Session(engine) as session, session.begin():
            if body.action in ACTIONS:
                set_status(
                    session, [listing_id], ACTIONS[body.action], actor=who.name, note=body.note or None
                )
                if body.reason and body.action == "confirm":
                    lst = session.get(Listing, listing_id)
                    if lst is not None:
                        lst.extra = {**(lst.extra or {}), "reason": body.reason}
            elif body.action == "undo":
                undo_last(session, listing_id, actor=who.name)
            elif body.action == "second":
                second_confirm(session, listing_id, actor=who.name)
            else:
                raise UserError(f"unknown action {body.action!r}: confirm, dismiss, undo or second")
            lst = session.get(Listing, listing_id)
            status = lst.status if lst else None
        return {"id": listing_id, "status": status, "actor": who.name}

    @app.post("/api/listings/{listing_id}/decision", tags=["listings"])
    def api_decide(listing_id: int, body: DecisionIn, who: Analyst) -> dict[str, Any]:
        """Confirm, dismiss, undo (your latest decision) or second (four-eyes) one listing."""
        return _decide(listing_id, body, who)

    @app.post("/listings/{listing_id}/decision", include_in_schema=False)
    async def form_decide(listing_id: int, request: Request, who: Analyst) -> Response:
        form = await request.form()
        body = DecisionIn(
            action=_s(form.get("action")),
            note=_s(form.get("note")) or None,
            reason=_s(form.get("reason")) or None,
        )
        out = _decide(listing_id, body, who)
        flash(request, f"listing {listing_id}: {out['status']}")
        return RedirectResponse(f"/listings/{listing_id}", status_code=303)

    # --- listing ------------------------------------------------------------------------------------

    @app.get("/listings/{listing_id}", response_class=HTMLResponse, include_in_schema=False)
    def listing_view(listing_id: int, request: Request, session: DB, who: Viewer) -> HTMLResponse:
        d = sv.listing_detail(session, listing_id, settings)
        return page(request, "listing.html", who, d=d, data=sv.listing_json(d))

    @app.get("/api/listings/{listing_id}", tags=["listings"])
    def api_listing(listing_id: int, session: DB, who: Viewer) -> dict[str, Any]:
        return sv.listing_json(sv.listing_detail(session, listing_id, settings))

    @app.get("/photos/{image_id}", include_in_schema=False)
    def photo(image_id: int, session: DB, who: Viewer) -> Response:
        path = sv.photo_path(session, image_id, settings.photos_dir)
        if path is None:
            raise HTTPException(404, "no such photo in the photo store")
        return FileResponse(
            path, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
        )

    @app.get("/brand-photos/{brand_id}/{n}", include_in_schema=False)
    def brand_photo(brand_id: int, n: int, session: DB, who: Viewer) -> Response:
        brand = sv.brand_config(session, brand_id, settings.brands_dir)
        files = sv.brand_images(brand) if brand else []
        if not 0 <= n < len(files) or not files[n].is_file():
            raise HTTPException(404, "no such brand photo")
        return FileResponse(files[n], headers={"X-Content-Type-Options": "nosniff"})

    # --- sellers ------------------------------------------------------------------------------------

    @app.get("/sellers", response_class=HTMLResponse, include_in_schema=False)
    def sellers_view(request: Request, session: DB, who: Viewer, brand: str = "") -> HTMLResponse:
        from console.charts import network
        from storage.sellers import photo_groups, seller_report

        brand_id = session.scalar(select(Brand.id).where(Brand.slug == brand)) if brand else None
        report = seller_report(session, brand_id)[:200]
        groups = photo_groups(session, brand_id=brand_id)[:30]
        return page(
            request,
            "sellers.html",
            who,
            report=report,
            groups=groups,
            net=network(groups),
            brand=brand,
            brands=sv.brand_slugs(session),
        )

    # --- cases --------------------------------------------------------------------------------------

    @app.get("/cases", response_class=HTMLResponse, include_in_schema=False)
    def cases_view(
        request: Request, session: DB, who: Viewer, brand: str = "", platform: str = ""
    ) -> HTMLResponse:
        from console.charts import bars
        from storage.cases import GOOD_FAITH_MAX_COUNTER, GOOD_FAITH_MIN_REMOVED, list_cases, scorecard

        rows = list_cases(session)
        board = {s: [r for r in rows if r.status == s] for s in BOARD}
        card = scorecard(session, days=None)
        ttr = sv.time_to_removal(session)
        selection: list[Any] = []
        brand_id = session.scalar(select(Brand.id).where(Brand.slug == brand)) if brand else None
        if brand_id is not None and platform in PLATFORMS:
            selection = sv.confirmed_for_export(session, brand_id, platform)
        return page(
            request,
            "cases.html",
            who,
            board=board,
            card=card,
            card_chart=bars(
                [(f"{r.platform} {r.reason}", r.removed_share) for r in card],
                bound=GOOD_FAITH_MIN_REMOVED,
                above=True,
            ),
            counter_chart=bars(
                [(f"{r.platform} {r.reason}", r.counter_share) for r in card],
                bound=GOOD_FAITH_MAX_COUNTER,
                above=False,
            ),
            ttr=ttr,
            ttr_chart=bars(
                [(t["platform"], t["median"]) for t in ttr],
                bound=None,
                above=True,
                scale=max([t["max"] for t in ttr] or [1]),
            ),
            bounds=(GOOD_FAITH_MIN_REMOVED, GOOD_FAITH_MAX_COUNTER),
            brands=sv.brand_slugs(session),
            brand=brand,
            platform=platform,
            selection=selection,
            answers=ANSWERS,
        )

    def _export(body: ExportIn, who: Principal) -> dict[str, Any]:
        from storage.exports import export_package

        with Session(engine) as session, session.begin():
            brand_id = session.scalar(select(Brand.id).where(Brand.slug == body.brand))
            brand = sv.brand_config(session, brand_id, settings.brands_dir)
            if brand is None:
                raise UserError(f"no brand {body.brand!r} in the database with its YAML file")
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            out = settings.packages_dir / f"{brand.slug}-{body.platform}-{stamp}"
            result = export_package(
                session, brand, body.platform, out, actor=who.name, listing_ids=body.listing_ids
            )
            return {
                "out": str(result.out),
                "cases": result.case_ids,
                "links": result.links,
                "files": result.files,
                "warnings": result.warnings,
                "skipped": result.skipped,
            }

    @app.post("/api/cases/export", tags=["cases"])
    def api_export(body: ExportIn, who: Analyst) -> dict[str, Any]:
        """Build a takedown package (as `markwatch takedown export`), optionally from a selection."""
        return _export(body, who)

    @app.post("/cases/export", include_in_schema=False)
    async def form_export(request: Request, who: Analyst) -> Response:
        form = await request.form()
        ids = [int(v) for v in form.getlist("listing") if isinstance(v, str) and v.isdigit()]
        body = ExportIn(
            brand=_s(form.get("brand")), platform=_s(form.get("platform")), listing_ids=ids or None
        )
        out = _export(body, who)
        note = f"package with {out['links']} link(s): draft case(s) {', '.join(map(str, out['cases']))}"
        if out["skipped"]:
            note += f"; {len(out['skipped'])} skipped ({out['skipped'][0]})"
        flash(request, note)
        return RedirectResponse("/cases", status_code=303)

    def _submit(case_id: int, number: str, who: Principal) -> dict[str, Any]:
        from storage.cases import submit_case

        with Session(engine) as session, session.begin():
            case = submit_case(session, case_id, number, actor=who.name)
            return {"id": case.id, "status": case.status, "number": case.complaint_number}

    @app.post("/api/cases/{case_id}/submit", tags=["cases"])
    def api_submit(case_id: int, body: SubmitIn, who: Analyst) -> dict[str, Any]:
        """Mark a draft case submitted with the platform's complaint number (its listings become reported)."""
        return _submit(case_id, body.number, who)

    @app.post("/cases/{case_id}/submit", include_in_schema=False)
    async def form_submit(case_id: int, request: Request, who: Analyst) -> Response:
        form = await request.form()
        out = _submit(case_id, _s(form.get("number")), who)
        flash(request, f"case {case_id}: submitted as {out['number']}")
        return RedirectResponse("/cases", status_code=303)

    def _answer(case_id: int, body: AnswerIn, who: Principal) -> dict[str, Any]:
        from storage.cases import set_case_status

        if body.status not in ANSWERS:
            raise UserError(f"answer: one of {', '.join(ANSWERS)}")
        with Session(engine) as session, session.begin():
            case = set_case_status(session, case_id, CaseStatus(body.status), actor=who.name, note=body.note)
            return {
                "id": case.id,
                "status": case.status,
                "deadline": case.deadline.isoformat() if case.deadline else None,
            }

    @app.post("/api/cases/{case_id}/answer", tags=["cases"])
    def api_answer(case_id: int, body: AnswerIn, who: Analyst) -> dict[str, Any]:
        """Record the platform's answer: removed, rejected, counter-notice or reinstated."""
        return _answer(case_id, body, who)

    @app.post("/cases/{case_id}/answer", include_in_schema=False)
    async def form_answer(case_id: int, request: Request, who: Analyst) -> Response:
        form = await request.form()
        out = _answer(
            case_id, AnswerIn(status=_s(form.get("status")), note=_s(form.get("note")) or None), who
        )
        flash(request, f"case {case_id}: {out['status']}")
        return RedirectResponse("/cases", status_code=303)

    @app.get("/api/cases", tags=["cases"])
    def api_cases(session: DB, who: Viewer) -> list[dict[str, Any]]:
        from storage.cases import list_cases

        return [r.as_dict() for r in list_cases(session)]

    @app.get("/api/scorecard", tags=["cases"])
    def api_scorecard(session: DB, who: Viewer, days: int = 90) -> list[dict[str, Any]]:
        from storage.cases import scorecard

        return [r.as_dict() for r in scorecard(session, days=days or None)]

    # --- crawls -------------------------------------------------------------------------------------

    @app.get("/crawls", response_class=HTMLResponse, include_in_schema=False)
    def crawls_view(request: Request, session: DB, who: Viewer) -> HTMLResponse:
        accounts, accounts_problem = sv.accounts_health()
        return page(
            request,
            "crawls.html",
            who,
            runs=sv.crawl_runs(session),
            what_to_do=sv.what_to_do,
            accounts=accounts,
            accounts_problem=accounts_problem,
        )

    # --- query --------------------------------------------------------------------------------------

    def _saved(session: Session) -> list[SavedQuery]:
        return list(session.scalars(select(SavedQuery).order_by(SavedQuery.name)))

    @app.get("/query", response_class=HTMLResponse, include_in_schema=False)
    def query_view(request: Request, session: DB, who: Analyst, saved: int | None = None) -> HTMLResponse:
        sql = "SELECT id, platform, title, score, status FROM listings ORDER BY score DESC LIMIT 20"
        if saved is not None:
            row = session.get(SavedQuery, saved)
            if row is not None:
                sql = row.sql
        return page(request, "query.html", who, sql=sql, saved=_saved(session), result=None)

    @app.post("/query", include_in_schema=False)
    async def query_run(request: Request, session: DB, who: Analyst) -> Response:
        form = await request.form()
        sql, what, name = _s(form.get("sql")), _s(form.get("do")), _s(form.get("name")).strip()
        if what == "save":
            if not name:
                raise UserError("give the query a name to save it")
            from console.sqlquery import check_read_only

            check_read_only(sql)
            existing = session.scalar(select(SavedQuery).where(SavedQuery.name == name[:200]))
            if existing is None:
                session.add(SavedQuery(name=name[:200], sql=sql, owner=who.name))
            else:
                existing.sql, existing.owner = sql, who.name
            session.commit()
            flash(request, f"saved as {name}")
            return RedirectResponse("/query", status_code=303)
        try:
            result = run_query(
                engine, sql, timeout_ms=settings.query_timeout_ms, row_cap=settings.query_row_cap
            )
        except QueryRefused as exc:
            return page(
                request, "query.html", who, 400, sql=sql, saved=_saved(session), result=None, error=str(exc)
            )
        if what == "csv":
            return Response(
                to_csv(result.columns, result.rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="markwatch-query.csv"'},
            )
        return page(request, "query.html", who, sql=sql, saved=_saved(session), result=result)

    # --- admin --------------------------------------------------------------------------------------

    @app.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    def admin_view(request: Request, session: DB, who: Admin) -> HTMLResponse:
        from console.users import list_users
        from markwatch.brand import brand_files

        return page(
            request,
            "admin.html",
            who,
            users=list_users(session),
            roles=ROLES,
            stored=list(session.scalars(select(Brand).order_by(Brand.slug))),
            files=[p.stem for p in brand_files(settings.brands_dir)],
        )

    @app.post("/admin/users", include_in_schema=False)
    async def admin_add(request: Request, session: DB, who: Admin) -> Response:
        from console.users import add_user

        form = await request.form()
        add_user(session, _s(form.get("name")), _s(form.get("role")), _s(form.get("password")) or None)
        session.commit()
        flash(request, f"user {_s(form.get('name'))} added")
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/users/{name}/remove", include_in_schema=False)
    async def admin_remove(name: str, request: Request, session: DB, who: Admin) -> Response:
        from console.users import remove_user

        if name == who.name:
            raise UserError("you cannot remove yourself")
        remove_user(session, name)
        session.commit()
        flash(request, f"user {name} removed")
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/brands/sync", include_in_schema=False)
    async def admin_sync(request: Request, session: DB, who: Admin) -> Response:
        from markwatch.brand import resolve_brand
        from storage.ingest import sync_brand

        form = await request.form()
        brand = resolve_brand(_s(form.get("slug")), settings.brands_dir)
        sync_brand(session, brand)
        session.commit()
        flash(request, f"brand {brand.slug} synced from its YAML")
        return RedirectResponse("/admin", status_code=303)

    @app.get("/api/me", tags=["users"])
    def api_me(who: Viewer) -> dict[str, Any]:
        return {"name": who.name, "role": who.role}

    return app


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _local(target: str) -> str:
    """Only a path on this site (no scheme, no host, no '//'): where to go after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    return target
