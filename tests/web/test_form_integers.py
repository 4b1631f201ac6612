"""The pages share the API's rule on integers beyond 64 bits (security.integers)."""

from __future__ import annotations

from .conftest import csrf_of

BIG = str(2 ** 63)


def test_a_huge_integer_in_a_page_form_is_refused(client, make_user, login, make_case):
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    c = login(officer)
    page = c.get(f"/cases/{case.id}")
    r = c.post(f"/cases/{case.id}/assign", data={"mediator_id": BIG, "csrf_token": csrf_of(page.text)},
               follow_redirects=False)
    assert r.status_code == 422  # the page says the number is not valid, rather than an internal error
