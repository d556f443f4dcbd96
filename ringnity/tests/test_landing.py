"""``/`` is a landing page a new user can start from; ``/api`` answers JSON."""


def test_landing_page_links_docs_console_health_schema_and_quick_start(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for href in ('href="/api/docs/"', 'href="/admin/"', 'href="/api/sdk/health"', 'href="/api/schema/"'):
        assert href in html
    assert 'id="quick-start"' in html
    assert "make run" in html


def test_console_view_site_link_leads_to_the_landing_page(client):
    assert client.get("/admin/login/").context["site_url"] == "/"
    assert client.get("/").status_code == 200


def test_api_root_answers_the_json_envelope_for_any_method(client):
    for response in (client.get("/api"), client.post("/api", data="{}", content_type="application/json")):
        assert response["Content-Type"] == "application/json"
        assert response.json()["success"] is False
