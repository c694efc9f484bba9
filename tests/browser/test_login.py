"""Signing in from a plain browser, and what a page says to someone who has not."""

from __future__ import annotations

from typing import Any


def test_a_page_opened_signed_out_leads_through_login_back_to_itself(
    dashboard: Any, new_page: Any, project: str
) -> None:
    dashboard.post_records(f"{project}/mine", [[1, "history", {"_step": 0, "loss": 1.0}]])
    watched = new_page()
    page = watched.page
    page.goto(f"{dashboard.url}/{project}/runs/mine")
    page.get_by_role("alert").get_by_text("Sign in to see this page").wait_for()
    page.get_by_role("link", name="Sign in").click()

    page.get_by_label("token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Not signed in: invalid token").wait_for()
    page.get_by_label("token").fill(dashboard.token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("main[data-loaded='1']")
    assert page.url == f"{dashboard.url}/{project}/runs/mine"
    assert page.locator(".chart[data-key='loss']").get_attribute("data-points") == "1"
    cookie = next(c for c in page.context.cookies() if c["name"] == "nbrun_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie") == ""  # out of reach of scripts


def test_the_embed_view_without_a_valid_token_says_so(
    dashboard: Any, new_page: Any, project: str
) -> None:
    dashboard.post_records(f"{project}/shy", [[1, "history", {"_step": 0, "loss": 1.0}]])
    page = new_page().page
    page.goto(f"{dashboard.url}/{project}/runs/shy?embed=1&token=nbrr_forged")
    alert = page.get_by_role("alert")
    alert.get_by_text("Not authorised").wait_for()
    assert "read token" in alert.inner_text()
    assert page.locator("a:text('Sign in')").count() == 0  # no login form inside a notebook


def test_after_login_the_app_goes_only_to_its_own_pages(dashboard: Any, new_page: Any) -> None:
    page = new_page().page
    page.goto(f"{dashboard.url}/login?next=/%5Cevil.example/x#token={dashboard.token}")
    page.wait_for_selector("main.page h1:text('Projects')")
    assert page.url == f"{dashboard.url}/"
