"""The HTML page and its static files."""

from __future__ import annotations


def test_index_lists_notes_and_the_release(client):
    client.post("/api/notes", json={"title": "Visible <b>title</b>"})
    page = client.get("/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Visible &lt;b&gt;title&lt;/b&gt;" in html  # escaped, not markup
    assert "release 20261122T101500Z" in html


def test_index_links_its_static_css_and_js(client):
    html = client.get("/").get_data(as_text=True)
    assert "/static/app.css" in html
    assert "/static/app.js" in html


def test_static_files_are_served(client):
    css = client.get("/static/app.css")
    js = client.get("/static/app.js")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert js.status_code == 200 and "javascript" in js.mimetype
    css.close()
    js.close()
