"""``/`` is a landing page a new user can start from; ``/api`` answers JSON."""


def test_landing_page_links_docs_console_health_schema_and_quick_start(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for href in ('href="/api/docs/"', 'href="/admin/"', 'href="/api/sdk/health"', 'href="/api/schema/"'):
        assert href in html
    assert 'id="quick-start"' in html
    assert "make run" in html


def test_the_widget_demo_is_linked_when_it_is_served_with_debug(client, settings):
    settings.DEBUG = True
    assert 'id="link-demo" href="/demo/"' in client.get("/").content.decode()
    settings.DEBUG = False
    assert "/demo/" not in client.get("/").content.decode()


def test_console_view_site_link_leads_to_the_landing_page(client):
    assert client.get("/admin/login/").context["site_url"] == "/"
    assert client.get("/").status_code == 200


def test_api_root_answers_the_json_envelope_for_any_method(client):
    for response in (client.get("/api"), client.post("/api", data="{}", content_type="application/json")):
        assert response["Content-Type"] == "application/json"
        assert response.json()["success"] is False


def _strict(policy: str) -> None:
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_the_landing_page_has_the_consoles_content_security_policy(client):
    _strict(client.get("/")["Content-Security-Policy"])


def test_html_error_pages_have_the_content_security_policy_too(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "text/html" in missing["Content-Type"]
    _strict(missing["Content-Security-Policy"])
    bad_host = client.get("/", HTTP_HOST="evil.example.net")
    assert bad_host.status_code == 400
    _strict(bad_host["Content-Security-Policy"])


def test_the_landing_page_links_the_inbox_with_the_demo_agents_login_in_development(client, settings):
    settings.DEBUG = True
    html = client.get("/").content.decode()
    assert 'href="/inbox/?workspace=demo&amp;username=agent1"' in html
    assert "agent1 / ringnity-demo-2026" in html
    settings.DEBUG = False
    html = client.get("/").content.decode()
    assert 'href="/inbox/"' in html
    assert "ringnity-demo-2026" not in html
